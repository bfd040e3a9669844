package io.eventvault.benchquery;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The dataset of issue 3, generated deterministically from a seed and loaded with COPY: {@code events} rows over
 * {@code days} daily partitions ending the day before yesterday (UTC), {@code tenants} tenants with skewed sizes
 * (weight 1/rank), 5 projects each, 20 event types, ~0.5 KB JSON payloads; {@code event_ids} is filled alongside.
 *
 * <p>Fast path: each day is COPYed into a fresh table without indexes (created {@code LIKE public.events}, named as
 * the server names partitions), then attached as a partition, which builds the partitioned indexes in one sort each,
 * then vacuumed and analyzed. The attach of day d runs on a second connection while day d+1 is being COPYed.
 */
final class Dataset {

  static final String[] TYPES = {"page.viewed", "order.created", "cart.item_added", "user.logged_in",
      "order.paid", "search.performed", "payment.authorized", "payment.captured", "order.shipped",
      "cart.item_removed", "email.sent", "user.signed_up", "invoice.issued", "cart.checked_out",
      "user.profile_updated", "order.cancelled", "subscription.renewed", "order.refunded", "payment.failed",
      "user.logged_out"};
  static final double[] PROJECT_WEIGHTS = {0.35, 0.25, 0.2, 0.12, 0.08};
  static final String[] CURRENCIES = {"EUR", "EUR", "USD", "USD", "GBP", "CHF"};
  static final String[] STATUSES = {"new", "paid", "paid", "shipped", "delivered", "cancelled", "refunded"};
  static final String[] CHANNELS = {"web", "web", "ios", "android", "pos"};
  static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "ES", "IT", "NL", "SE", "PL", "CH"};
  static final String NOTE = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
      + "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco "
      + "laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit "
      + "esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa";

  final long events;
  final int days;
  final int tenants;
  final long seed;
  final LocalDate firstDay;
  final double[] tenantCumulative;
  final double[] typeCumulative;
  final long[] tenantExpected;
  final long[] correlation;

  Dataset(long events, int days, int tenants, long seed, LocalDate lastDay) {
    this.events = events;
    this.days = days;
    this.tenants = tenants;
    this.seed = seed;
    this.firstDay = lastDay.minusDays(days - 1L);
    this.tenantCumulative = cumulative(tenants, 1.0);
    this.typeCumulative = cumulative(TYPES.length, 0.7);
    this.tenantExpected = new long[tenants];
    for (int t = 0; t < tenants; t++) {
      double previous = t == 0 ? 0 : tenantCumulative[t - 1];
      tenantExpected[t] = Math.max(1, Math.round(events * (tenantCumulative[t] - previous)));
    }
    this.correlation = new long[tenants];
  }

  /** Weights 1/(rank+1)^s, as a cumulative distribution. */
  static double[] cumulative(int n, double s) {
    double[] c = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1.0 / Math.pow(i + 1, s);
      c[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      c[i] /= sum;
    }
    c[n - 1] = 1.0;
    return c;
  }

  static int pick(double[] cumulative, double u) {
    int lo = 0;
    int hi = cumulative.length - 1;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cumulative[mid] < u) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  static String tenantId(int t) {
    return String.format("t%02d", t + 1);
  }

  static String partitionName(LocalDate day) {
    return "events_p" + DateTimeFormatter.BASIC_ISO_DATE.format(day);
  }

  /** Loads every day; returns the highest position written. */
  long load(String jdbcUrl, String user, String password) throws Exception {
    BlockingQueue<LocalDate> toAttach = new ArrayBlockingQueue<>(2);
    List<Throwable> failures = new ArrayList<>();
    Thread attacher = new Thread(() -> {
      try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); Statement s = c.createStatement()) {
        s.execute("SET maintenance_work_mem = '512MB'");
        while (true) {
          LocalDate day = toAttach.take();
          if (day.equals(LocalDate.MIN)) {
            return;
          }
          long started = System.nanoTime();
          String table = "event_partitions." + partitionName(day);
          s.execute("ALTER TABLE public.events ATTACH PARTITION " + table + " FOR VALUES FROM ('" + day
              + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
          s.execute("VACUUM (ANALYZE) " + table);
          System.out.printf("   attached, indexed, vacuumed %s in %.1f s%n", table,
              (System.nanoTime() - started) / 1e9);
        }
      } catch (Throwable e) {
        synchronized (failures) {
          failures.add(e);
        }
      }
    }, "attacher");
    attacher.start();
    long position = 0;
    try (Connection eventConn = DriverManager.getConnection(jdbcUrl, user, password);
        Connection ids = DriverManager.getConnection(jdbcUrl, user, password)) {
      try (Statement s = eventConn.createStatement()) {
        s.execute("SET synchronous_commit = off");
      }
      try (Statement s = ids.createStatement()) {
        s.execute("SET synchronous_commit = off");
      }
      for (int d = 0; d < days; d++) {
        // One COPY (one transaction) per day for event_ids too: a transaction open across days would hold back the
        // xmin horizon, and VACUUM could not mark the loaded pages all-visible (no index-only scans).
        Rows idRows = new Rows(ids.unwrap(PGConnection.class).getCopyAPI()
            .copyIn("COPY public.event_ids (tenant_id, id, position, recorded_at) FROM STDIN"));
        LocalDate day = firstDay.plusDays(d);
        long n = events / days + (d < events % days ? 1 : 0);
        String table = "event_partitions." + partitionName(day);
        try (Statement s = eventConn.createStatement()) {
          s.execute("CREATE TABLE " + table + " (LIKE public.events INCLUDING DEFAULTS)");
        }
        long started = System.nanoTime();
        CopyIn copy = eventConn.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + table
            + " (tenant_id, position, id, type, project_id, source, subject, user_id, occurred_at, recorded_at,"
            + " schema_version, correlation_id, causation_id, metadata, payload) FROM STDIN");
        Rows rows = new Rows(copy);
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + d);
        long dayStart = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        for (long i = 0; i < n; i++) {
          position++;
          long recorded = dayStart + (i * 86_400_000L) / n;
          row(rows, idRows, random, position, recorded);
        }
        rows.finish();
        idRows.finish();
        System.out.printf("   day %2d/%d %s: %,d events COPYed in %.1f s%n", d + 1, days, day, n,
            (System.nanoTime() - started) / 1e9);
        synchronized (failures) {
          if (!failures.isEmpty()) {
            throw new IllegalStateException("attaching a partition failed", failures.get(0));
          }
        }
        toAttach.put(day);
      }
      toAttach.put(LocalDate.MIN);
      attacher.join();
      synchronized (failures) {
        if (!failures.isEmpty()) {
          throw new IllegalStateException("attaching a partition failed", failures.get(0));
        }
      }
      try (Statement s = eventConn.createStatement()) {
        s.execute("SELECT setval('event_position_seq', " + position + ")");
        s.execute("VACUUM (ANALYZE) public.event_ids");
        s.execute("ANALYZE public.events");
      }
    }
    return position;
  }

  /** One event: a line for {@code events} and one for {@code event_ids}. */
  private void row(Rows rows, Rows idRows, SplittableRandom r, long position, long recorded) throws SQLException {
    int t = pick(tenantCumulative, r.nextDouble());
    long size = tenantExpected[t];
    String tenant = tenantId(t);
    int type = pick(typeCumulative, r.nextDouble());
    String typeName = TYPES[type];
    int project = pickProject(r.nextDouble());
    long users = Math.max(50, size / 40);
    long customers = Math.max(20, size / 60);
    long orders = Math.max(50, size / 5);
    long user = (long) (users * Math.pow(r.nextDouble(), 1.5));
    long order = r.nextLong(orders);
    long occurred = r.nextInt(1000) < 5 ? recorded - 86_400_000L - r.nextLong(2 * 86_400_000L)
        : recorded - r.nextInt(3000);
    if (r.nextInt(4) == 0) {
      correlation[t]++;
    }
    String id = uuidV7(recorded, r);

    rows.text(tenant).tab().number(position).tab().text(id).tab().text(typeName).tab()
        .text("p").number(project + 1).tab();
    rows.text(typeName.substring(0, typeName.indexOf('.'))).text("-service").tab();
    // subject
    if (typeName.startsWith("order.") || typeName.startsWith("payment.") || typeName.startsWith("invoice.")
        || typeName.equals("cart.checked_out")) {
      rows.text("order/").number(order).tab();
    } else if (typeName.startsWith("user.")) {
      rows.text("user/").number(user).tab();
    } else if (r.nextBoolean()) {
      rows.text("session/").number(r.nextLong(orders)).tab();
    } else {
      rows.nul().tab();
    }
    // user_id
    if (r.nextInt(10) != 0) {
      rows.text("u").number(user).tab();
    } else {
      rows.nul().tab();
    }
    rows.timestamp(occurred).tab().timestamp(recorded).tab().text("1").tab();
    if (r.nextInt(100) < 85) {
      rows.text("c-").number(correlation[t]).tab();
    } else {
      rows.nul().tab();
    }
    rows.nul().tab();
    // metadata
    rows.text("{\"ip\": \"203.0.113.").number(r.nextInt(256)).text("\", \"agent\": \"")
        .text(CHANNELS[r.nextInt(CHANNELS.length)]).text("/5.").number(r.nextInt(10))
        .text("\", \"traceId\": \"").hex(r.nextLong()).text("\"}").tab();
    // payload, ~0.5 KB
    long amountCents = 100 + r.nextLong(99_900);
    rows.text("{\"orderId\": \"o-").number(order).text("\", \"customerId\": \"c-")
        .number((long) (customers * Math.pow(r.nextDouble(), 1.3)))
        .text("\", \"amount\": ").number(amountCents / 100).text(".").number2(amountCents % 100)
        .text(", \"currency\": \"").text(CURRENCIES[r.nextInt(CURRENCIES.length)])
        .text("\", \"status\": \"").text(STATUSES[r.nextInt(STATUSES.length)])
        .text("\", \"channel\": \"").text(CHANNELS[r.nextInt(CHANNELS.length)])
        .text("\", \"country\": \"").text(COUNTRIES[r.nextInt(COUNTRIES.length)])
        .text("\", \"items\": [");
    int items = 1 + r.nextInt(3);
    for (int k = 0; k < items; k++) {
      if (k > 0) {
        rows.text(", ");
      }
      rows.text("{\"sku\": \"sku-").number(r.nextInt(5000)).text("\", \"qty\": ").number(1 + r.nextInt(4))
          .text(", \"price\": ").number(1 + r.nextInt(200)).text(".").number2(r.nextInt(100)).text("}");
    }
    int noteStart = r.nextInt(60);
    rows.text("], \"coupon\": ").text(r.nextInt(10) == 0 ? "\"SPRING" + r.nextInt(20) + "\"" : "null")
        .text(", \"note\": \"").text(NOTE, noteStart, noteStart + 150 + r.nextInt(120)).text("\"}").newline();

    idRows.text(tenant).tab().text(id).tab().number(position).tab().timestamp(recorded).newline();
  }

  private static int pickProject(double u) {
    double sum = 0;
    for (int p = 0; p < PROJECT_WEIGHTS.length; p++) {
      sum += PROJECT_WEIGHTS[p];
      if (u < sum) {
        return p;
      }
    }
    return PROJECT_WEIGHTS.length - 1;
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  static String uuidV7(long millis, SplittableRandom r) {
    long msb = (millis << 16) | 0x7000L | (r.nextLong() & 0x0FFFL);
    long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    char[] out = new char[36];
    int p = 0;
    for (int i = 0; i < 16; i++) {
      if (i == 4 || i == 6 || i == 8 || i == 10) {
        out[p++] = '-';
      }
      long word = i < 8 ? msb : lsb;
      int shift = (7 - (i % 8)) * 8;
      int b = (int) ((word >>> shift) & 0xFF);
      out[p++] = HEX[b >>> 4];
      out[p++] = HEX[b & 0xF];
    }
    return new String(out);
  }

  /** A text-format COPY stream of ASCII rows, written in 1 MiB chunks. */
  static final class Rows {
    private final CopyIn copy;
    private final byte[] buffer = new byte[1 << 20];
    private int length;

    Rows(CopyIn copy) {
      this.copy = copy;
    }

    private void ensure(int n) throws SQLException {
      if (length + n > buffer.length) {
        copy.writeToCopy(buffer, 0, length);
        length = 0;
      }
    }

    Rows text(String s) throws SQLException {
      return text(s, 0, s.length());
    }

    Rows text(String s, int from, int to) throws SQLException {
      ensure(to - from);
      for (int i = from; i < to; i++) {
        buffer[length++] = (byte) s.charAt(i);
      }
      return this;
    }

    Rows number(long v) throws SQLException {
      return text(Long.toString(v));
    }

    Rows number2(long v) throws SQLException {
      ensure(2);
      buffer[length++] = (byte) ('0' + v / 10);
      buffer[length++] = (byte) ('0' + v % 10);
      return this;
    }

    Rows hex(long v) throws SQLException {
      ensure(16);
      for (int shift = 60; shift >= 0; shift -= 4) {
        buffer[length++] = (byte) HEX[(int) ((v >>> shift) & 0xF)];
      }
      return this;
    }

    Rows tab() throws SQLException {
      ensure(1);
      buffer[length++] = '\t';
      return this;
    }

    Rows newline() throws SQLException {
      ensure(1);
      buffer[length++] = '\n';
      return this;
    }

    Rows nul() throws SQLException {
      return text("\\N");
    }

    Rows timestamp(long millis) throws SQLException {
      return text(java.time.Instant.ofEpochMilli(millis).toString());
    }

    void finish() throws SQLException {
      if (length > 0) {
        copy.writeToCopy(buffer, 0, length);
        length = 0;
      }
      copy.endCopy();
    }
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
