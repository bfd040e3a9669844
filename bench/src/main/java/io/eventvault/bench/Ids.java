package io.eventvault.bench;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Time-ordered, like server-made ids. */
final class Ids {
  private Ids() {}

  static UUID v7() {
    ThreadLocalRandom rnd = ThreadLocalRandom.current();
    long ms = System.currentTimeMillis();
    long msb = (ms << 16) | 0x7000L | (rnd.nextLong() & 0x0fffL);
    long lsb = (rnd.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(msb, lsb);
  }
}
