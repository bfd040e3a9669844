package io.eventvault.bench;

import java.time.Instant;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * The generated events every arm writes: a fixed seed, so two runs (and every arm of one run) send the same
 * bytes. Shape: one tenant, 5 projects, 20 types (skewed), 20,000 users (skewed), a correlation id per
 * "session", a causation id on follow-up events, a small metadata object and a ~0.5 KB order-like payload.
 * Only the event id differs between arms: ids are UUIDv7 made at send time (time-ordered, like the ids the
 * server generates itself), so no arm ever collides with another in the dedup table.
 */
final class Corpus {

  static final String TENANT = "bench";

  static final String[] TYPES = {
      "page.viewed", "cart.item_added", "order.created", "order.paid", "user.signed_in", "payment.authorized",
      "payment.captured", "cart.item_removed", "order.shipped", "shipment.dispatched", "shipment.delivered",
      "user.signed_out", "invoice.issued", "invoice.paid", "cart.checked_out", "user.profile_updated",
      "order.cancelled", "payment.failed", "order.refunded", "user.signed_up"};
  static final String[] PROJECTS = {"shop", "billing", "mobile", "crm", "analytics"};
  static final String[] SOURCES = {"checkout-service", "web-frontend", "payments", "fulfilment", "identity"};
  private static final String[] WORDS = {
      "alpha", "bravo", "cobalt", "delta", "ember", "falcon", "granite", "harbor", "indigo", "juniper", "kepler",
      "lumen", "meadow", "nimbus", "onyx", "prairie", "quartz", "raven", "sierra", "tundra", "umber", "velvet",
      "willow", "xenon", "yonder", "zephyr", "organic", "cotton", "shirt", "bottle", "lamp", "chair", "desk"};
  private static final String[] CITIES = {"Berlin", "Lisbon", "Lyon", "Toronto", "Osaka", "Austin", "Leeds"};
  private static final String[] CURRENCIES = {"EUR", "USD", "GBP", "JPY", "CAD"};
  private static final String[] COUNTRIES = {"DE", "PT", "FR", "CA", "JP", "US", "GB"};

  /** One event without its id. */
  record Event(String type, String projectId, String source, String subject, String userId, String occurredAt,
               int schemaVersion, String correlationId, String causationId, String metadata, String payload,
               /** the JSON members after "id", without the closing brace: {"id":"..",REST} */
               String rest) {}

  final Event[] events;
  final long payloadBytes;
  final long jsonBytes;

  Corpus(int size, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    events = new Event[size];
    long base = Instant.parse("2026-11-01T00:00:00Z").toEpochMilli();
    long pBytes = 0;
    long jBytes = 0;
    String correlation = null;
    String previous = null;
    for (int i = 0; i < size; i++) {
      String type = TYPES[skewed(rnd, TYPES.length, 1.6)];
      String project = PROJECTS[skewed(rnd, PROJECTS.length, 1.3)];
      String source = SOURCES[(type.hashCode() & 0x7fffffff) % SOURCES.length];
      String user = rnd.nextInt(20) == 0 ? null : "user-" + skewed(rnd, 20_000, 2.0);
      int orderNo = 100_000 + rnd.nextInt(900_000);
      String subject = type.startsWith("page.") ? null : "order/" + orderNo;
      if (correlation == null || rnd.nextInt(4) == 0) {
        correlation = "c-" + Long.toHexString(rnd.nextLong() & 0xffffffffffffL);
        previous = null;
      }
      String causation = previous;
      previous = "e-" + Long.toHexString(rnd.nextLong() & 0xffffffffL);
      String occurredAt = Instant.ofEpochMilli(base + i * 37L + rnd.nextInt(30)).toString();
      if (occurredAt.length() == 20) { // whole second: Instant prints no millis
        occurredAt = occurredAt.substring(0, 19) + ".000Z";
      }
      String metadata = "{\"ip\":\"203.0.113." + rnd.nextInt(255) + "\",\"userAgent\":\"Mozilla/5.0 (X11; Linux x86_64)"
          + " Bench/" + (1 + rnd.nextInt(9)) + "\",\"traceId\":\"" + Long.toHexString(rnd.nextLong()) + "\"}";
      String payload = payload(rnd, orderNo, user);
      StringBuilder rest = new StringBuilder(payload.length() + metadata.length() + 300);
      rest.append("\"type\":\"").append(type).append("\",\"projectId\":\"").append(project)
          .append("\",\"source\":\"").append(source).append('"');
      if (subject != null) {
        rest.append(",\"subject\":\"").append(subject).append('"');
      }
      if (user != null) {
        rest.append(",\"userId\":\"").append(user).append('"');
      }
      rest.append(",\"occurredAt\":\"").append(occurredAt).append("\",\"schemaVersion\":1")
          .append(",\"correlationId\":\"").append(correlation).append('"');
      if (causation != null) {
        rest.append(",\"causationId\":\"").append(causation).append('"');
      }
      rest.append(",\"metadata\":").append(metadata).append(",\"payload\":").append(payload);
      events[i] = new Event(type, project, source, subject, user, occurredAt, 1, correlation, causation, metadata,
          payload, rest.toString());
      pBytes += payload.length();
      jBytes += rest.length() + 46; // {"id":"<36>", ... }
    }
    payloadBytes = pBytes;
    jsonBytes = jBytes;
  }

  Event get(long i) {
    return events[(int) (i % events.length)];
  }

  /** The event as a client sends it. */
  static void appendJson(StringBuilder out, UUID id, Event e) {
    out.append("{\"id\":\"").append(id).append("\",").append(e.rest()).append('}');
  }

  /** 0..n-1, small values much more likely (a cheap Zipf-like skew). */
  private static int skewed(SplittableRandom rnd, int n, double power) {
    return Math.min(n - 1, (int) (Math.pow(rnd.nextDouble(), power) * n));
  }

  private static String payload(SplittableRandom rnd, int orderNo, String user) {
    StringBuilder p = new StringBuilder(640);
    String currency = CURRENCIES[rnd.nextInt(CURRENCIES.length)];
    p.append("{\"orderId\":\"").append(orderNo).append("\",\"customer\":{\"id\":\"")
        .append(user == null ? "anonymous" : user).append("\",\"tier\":\"")
        .append(rnd.nextInt(5) == 0 ? "gold" : "standard").append("\",\"country\":\"")
        .append(COUNTRIES[rnd.nextInt(COUNTRIES.length)]).append("\"},\"currency\":\"").append(currency)
        .append("\",\"items\":[");
    int items = 1 + rnd.nextInt(3);
    long totalCents = 0;
    for (int k = 0; k < items; k++) {
      long cents = 199 + rnd.nextInt(20_000);
      int qty = 1 + rnd.nextInt(4);
      totalCents += cents * qty;
      if (k > 0) {
        p.append(',');
      }
      p.append("{\"sku\":\"SKU-").append(10_000 + rnd.nextInt(90_000)).append("\",\"name\":\"")
          .append(WORDS[rnd.nextInt(WORDS.length)]).append(' ').append(WORDS[rnd.nextInt(WORDS.length)])
          .append("\",\"qty\":").append(qty).append(",\"price\":").append(cents / 100).append('.')
          .append(String.format("%02d", cents % 100)).append('}');
    }
    p.append("],\"amount\":").append(totalCents / 100).append('.').append(String.format("%02d", totalCents % 100))
        .append(",\"shipping\":{\"method\":\"").append(rnd.nextBoolean() ? "standard" : "express")
        .append("\",\"address\":{\"street\":\"").append(1 + rnd.nextInt(300)).append(' ')
        .append(WORDS[rnd.nextInt(WORDS.length)]).append(" Street\",\"city\":\"")
        .append(CITIES[rnd.nextInt(CITIES.length)]).append("\",\"postcode\":\"").append(10_000 + rnd.nextInt(89_999))
        .append("\"}},\"channel\":\"").append(rnd.nextBoolean() ? "web" : "app").append("\",\"coupon\":")
        .append(rnd.nextInt(4) == 0 ? "\"SPRING10\"" : "null").append(",\"note\":\"");
    int target = 440 + rnd.nextInt(120); // payloads of ~440..560 bytes, mean ~500
    boolean first = true;
    while (p.length() < target - 2) {
      if (!first) {
        p.append(' ');
      }
      p.append(WORDS[rnd.nextInt(WORDS.length)]);
      first = false;
    }
    return p.append("\"}").toString();
  }
}
