package io.eventvault.query;

import io.eventvault.domain.EventQuery;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;
import java.util.TreeSet;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque keyset cursors: the last position of a page, signed together with the tenant and the query that
 * produced it (HMAC-SHA256, truncated to 16 bytes). A cursor is 32 characters whatever the query, and one
 * that was altered or belongs to another tenant or query is refused.
 */
public final class Cursors {

  private static final int MAC_BYTES = 16;
  private final byte[] secret;

  public Cursors(String secret) {
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  public String encode(EventQuery query, long lastPosition) {
    ByteBuffer buffer = ByteBuffer.allocate(8 + MAC_BYTES);
    buffer.putLong(lastPosition);
    buffer.put(mac(query, lastPosition));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.array());
  }

  /** The last position the cursor stands for, or empty when it is malformed or not this query's. */
  public Optional<Long> decode(EventQuery query, String cursor) {
    byte[] raw;
    try {
      raw = Base64.getUrlDecoder().decode(cursor);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (raw.length != 8 + MAC_BYTES) {
      return Optional.empty();
    }
    ByteBuffer buffer = ByteBuffer.wrap(raw);
    long position = buffer.getLong();
    byte[] given = Arrays.copyOfRange(raw, 8, raw.length);
    return MessageDigest.isEqual(given, mac(query, position)) ? Optional.of(position) : Optional.empty();
  }

  private byte[] mac(EventQuery query, long position) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(fingerprint(query).getBytes(StandardCharsets.UTF_8));
      mac.update(ByteBuffer.allocate(8).putLong(position).array());
      return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /** Every field that selects or orders events; not the limit, which may change from page to page. */
  static String fingerprint(EventQuery q) {
    return String.join("\u0000",
        "v1",
        q.tenantId(),
        String.valueOf(new TreeSet<>(q.allowedProjects())),
        String.valueOf(q.projectId()),
        String.valueOf(new TreeSet<>(q.types())),
        String.valueOf(q.typePrefix()),
        String.valueOf(q.userId()),
        String.valueOf(q.subject()),
        String.valueOf(q.correlationId()),
        String.valueOf(q.occurredFrom()),
        String.valueOf(q.occurredTo()),
        String.valueOf(q.fromPosition()),
        String.valueOf(q.toPosition()),
        String.valueOf(q.payloadContains()),
        String.valueOf(q.where()),
        q.descending() ? "desc" : "asc");
  }
}
