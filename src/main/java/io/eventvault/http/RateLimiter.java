package io.eventvault.http;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-tenant token buckets, shared by the HTTP verticles of one node. A bucket holds one second of its
 * rate; a request larger than that is let through when the bucket is full and leaves it in debt, so a big
 * batch is slowed down, not refused forever. Each node limits on its own: with N nodes behind a balancer a
 * tenant gets up to N times its rate.
 */
public final class RateLimiter {

  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /**
   * Takes {@code amount} tokens from the tenant's bucket of {@code ratePerSecond}; returns 0 when allowed,
   * else the seconds to wait. A rate of 0 is unlimited.
   */
  public long acquire(String tenantId, String kind, int ratePerSecond, int amount) {
    if (ratePerSecond <= 0) {
      return 0;
    }
    Bucket bucket = buckets.computeIfAbsent(tenantId + '\u0000' + kind, k -> new Bucket());
    return bucket.acquire(ratePerSecond, amount, System.nanoTime());
  }

  static final class Bucket {
    private double tokens = -1;
    private long updated;

    synchronized long acquire(int rate, int amount, long now) {
      if (tokens < 0 && updated == 0) {
        tokens = rate;
      } else {
        tokens = Math.min(rate, tokens + (now - updated) / 1e9 * rate);
      }
      updated = now;
      if (tokens >= Math.min(amount, rate)) {
        tokens -= amount;
        return 0;
      }
      double missing = Math.min(amount, rate) - tokens;
      return Math.max(1, (long) Math.ceil(missing / rate));
    }
  }
}
