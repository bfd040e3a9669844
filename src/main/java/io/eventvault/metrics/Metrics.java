package io.eventvault.metrics;

import java.util.function.Supplier;

/** What the server measures. Every method defaults to nothing, so tests and tools can pass {@link #NONE}. */
public interface Metrics {

  Metrics NONE = new Metrics() {};

  default void eventsAppended(int stored, int duplicates) {}

  default void flushed(int events, long nanos) {}

  default void flushFailed() {}

  default void rejected(String reason) {}

  default void queueDepth(Supplier<Number> events) {}

  default void queryCompleted(String kind, long nanos) {}

  default void streamOpened() {}

  default void streamClosed() {}

  default void eventsStreamed(int count) {}

  /** From recorded_at (the append statement) to the moment a live event is written to a follower. */
  default void followLatency(long millis) {}

  /**
   * One database read made for following: {@code tail} (the node's shared read of a tenant's new events) or
   * {@code stream} (a live stream's own read: closing a gap, catching up after its client was too slow, or a
   * filter only SQL evaluates). The pages of the catch-up before a stream goes live are not counted.
   */
  default void streamRead(String kind) {}

  default void subscriptionLag(String tenantId, String name, long events, double seconds) {}

  default void defaultPartitionRows(Supplier<Number> rows) {}
}
