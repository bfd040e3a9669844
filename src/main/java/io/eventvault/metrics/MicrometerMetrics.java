package io.eventvault.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Metrics on a Micrometer registry; every meter name starts with {@code eventvault_}. */
public final class MicrometerMetrics implements Metrics {

  private final MeterRegistry registry;
  private final Counter stored;
  private final Counter duplicates;
  private final DistributionSummary batchSize;
  private final Timer flushLatency;
  private final Counter flushFailures;
  private final AtomicInteger openStreams = new AtomicInteger();
  private final Counter streamed;
  private final Timer followLatency;
  private final java.util.Map<String, Counter> streamReads = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, java.util.concurrent.atomic.AtomicLong> lagEvents =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, java.util.concurrent.atomic.AtomicLong> lagSeconds =
      new java.util.concurrent.ConcurrentHashMap<>();

  public MicrometerMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.stored = Counter.builder("eventvault_ingest_events").tag("result", "stored")
        .description("Events committed").register(registry);
    this.duplicates = Counter.builder("eventvault_ingest_events").tag("result", "duplicate")
        .description("Events re-sent with an id already stored").register(registry);
    this.batchSize = DistributionSummary.builder("eventvault_writer_batch_size")
        .description("Events per flush").publishPercentiles(0.5, 0.99).register(registry);
    this.flushLatency = Timer.builder("eventvault_writer_flush_latency")
        .description("Time from flush start to COMMIT").publishPercentiles(0.5, 0.99).register(registry);
    this.flushFailures = Counter.builder("eventvault_writer_flush_failures").register(registry);
    this.streamed = Counter.builder("eventvault_stream_events").description("Events written to streams")
        .register(registry);
    this.followLatency = Timer.builder("eventvault_stream_follow_latency")
        .description("From the append statement to a live event written to a follower")
        .publishPercentiles(0.5, 0.99).register(registry);
    Gauge.builder("eventvault_streams_open", openStreams, AtomicInteger::get).register(registry);
  }

  @Override
  public void eventsAppended(int storedCount, int duplicateCount) {
    stored.increment(storedCount);
    duplicates.increment(duplicateCount);
  }

  @Override
  public void flushed(int events, long nanos) {
    batchSize.record(events);
    flushLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void flushFailed() {
    flushFailures.increment();
  }

  @Override
  public void rejected(String reason) {
    registry.counter("eventvault_ingest_rejected", "reason", reason).increment();
  }

  @Override
  public void queueDepth(Supplier<Number> events) {
    Gauge.builder("eventvault_writer_queue_depth", events).description("Events waiting for a flush")
        .register(registry);
  }

  @Override
  public void queryCompleted(String kind, long nanos) {
    Timer.builder("eventvault_query_latency").tag("kind", kind).publishPercentiles(0.5, 0.99)
        .register(registry).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void streamOpened() {
    openStreams.incrementAndGet();
  }

  @Override
  public void streamClosed() {
    openStreams.decrementAndGet();
  }

  @Override
  public void eventsStreamed(int count) {
    streamed.increment(count);
  }

  @Override
  public void followLatency(long millis) {
    followLatency.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  @Override
  public void streamRead(String kind) {
    streamReads.computeIfAbsent(kind, k -> Counter.builder("eventvault_stream_reads").tag("kind", k)
        .description("Database reads for followers: the shared tail per tenant, or a stream's own")
        .register(registry)).increment();
  }

  @Override
  public void subscriptionLag(String tenantId, String name, long events, double seconds) {
    String key = tenantId + "\u0000" + name;
    lagEvents.computeIfAbsent(key, k -> {
      java.util.concurrent.atomic.AtomicLong value = new java.util.concurrent.atomic.AtomicLong();
      Gauge.builder("eventvault_subscription_lag_events", value, java.util.concurrent.atomic.AtomicLong::get)
          .tag("tenant", tenantId).tag("subscription", name)
          .description("Matching events after the checkpoint (counted up to 10,000), when last read")
          .register(registry);
      return value;
    }).set(events);
    lagSeconds.computeIfAbsent(key, k -> {
      java.util.concurrent.atomic.AtomicLong value = new java.util.concurrent.atomic.AtomicLong();
      Gauge.builder("eventvault_subscription_lag_seconds", value, v -> v.get() / 1000.0)
          .tag("tenant", tenantId).tag("subscription", name)
          .description("Age of the oldest event after the checkpoint, when last read").register(registry);
      return value;
    }).set((long) (seconds * 1000));
  }

  @Override
  public void defaultPartitionRows(Supplier<Number> rows) {
    Gauge.builder("eventvault_default_partition_rows", rows)
        .description("Rows in the default partition; must be 0").register(registry);
  }
}
