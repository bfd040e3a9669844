package io.eventvault.http;

import io.eventvault.bus.Addresses;
import io.eventvault.bus.Messages.TailBatch;
import io.eventvault.bus.Messages.TailJoin;
import io.eventvault.bus.Messages.TailLeave;
import io.eventvault.domain.EventPage;
import io.eventvault.domain.EventQuery;
import io.eventvault.domain.StoredEvent;
import io.eventvault.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's live tail: for every tenant with at least one follower on this node, one reader of that tenant's new
 * events, shared by all those followers. Woken by commits (this node's writer and NOTIFY from other nodes, both
 * naming the tenants) and by a fallback poll, it reads the events after the last position it has read, at most
 * one read per tenant at a time and one per {@code minReadIntervalMs}, and publishes them as a {@link TailBatch}
 * covering a contiguous range of positions. Followers filter a batch in memory, so a thousand followers of a
 * tenant cost one database read per commit, not a thousand.
 *
 * <p>A batch is complete for its range because positions are drawn under the append lock held to COMMIT: once a
 * read has seen position N, every lower position is committed or will never be (docs/decisions.md, "Global
 * order"). A follower that is not exactly at a batch's start reads the gap itself (see {@link EventStream}).
 * Single instance per node.
 */
public final class LiveTail extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LiveTail.class);
  private static final DeliveryOptions READ = new DeliveryOptions().setSendTimeout(60_000);

  private final int pageSize;
  private final long minReadIntervalMs;
  private final long pollMs;
  private final Metrics metrics;
  private final Map<String, Tail> tails = new HashMap<>();

  /** One tenant's tail: how many followers want it, and the last position read (null until the head is known). */
  private static final class Tail {
    final String tenantId;
    int followers;
    Long position;
    boolean reading;
    boolean scheduled;
    boolean again;
    long lastRead;

    Tail(String tenantId) {
      this.tenantId = tenantId;
    }
  }

  public LiveTail(int pageSize, long minReadIntervalMs, long pollMs, Metrics metrics) {
    this.pageSize = pageSize;
    this.minReadIntervalMs = minReadIntervalMs;
    this.pollMs = pollMs;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer(Addresses.TAIL_CONTROL, message -> {
      if (message.body() instanceof TailJoin join) {
        message.reply(join(join.tenantId()));
      } else if (message.body() instanceof TailLeave leave) {
        leave(leave.tenantId());
      }
    });
    vertx.eventBus().<String>consumer(Addresses.APPENDED, message -> appended(message.body()));
    vertx.setPeriodic(pollMs, id -> tails.values().forEach(this::wake));
    return Future.succeededFuture();
  }

  /**
   * Counts a follower in and answers the position the tail has read up to (the newcomer may have missed batches
   * published before it listened), or -1 while the tail's first read is running: its end is then published.
   */
  private long join(String tenantId) {
    Tail tail = tails.computeIfAbsent(tenantId, Tail::new);
    tail.followers++;
    if (tail.position == null) {
      wake(tail);
      return -1;
    }
    return tail.position;
  }

  private void leave(String tenantId) {
    Tail tail = tails.get(tenantId);
    if (tail != null && --tail.followers == 0) {
      tails.remove(tenantId);
    }
  }

  private void appended(String tenants) {
    if (tenants == null || tenants.isEmpty()) {
      tails.values().forEach(this::wake);
      return;
    }
    for (String tenantId : tenants.split(",")) {
      Tail tail = tails.get(tenantId);
      if (tail != null) {
        wake(tail);
      }
    }
  }

  /** Reads now, or once the running read is done, or when the least interval between reads has passed. */
  private void wake(Tail tail) {
    if (tail.reading || tail.scheduled) {
      tail.again = true;
      return;
    }
    long wait = minReadIntervalMs - (System.nanoTime() - tail.lastRead) / 1_000_000;
    if (wait > 0) {
      tail.scheduled = true;
      vertx.setTimer(wait, id -> {
        tail.scheduled = false;
        read(tail);
      });
    } else {
      read(tail);
    }
  }

  private void read(Tail tail) {
    if (tails.get(tail.tenantId) != tail) {
      return;
    }
    tail.reading = true;
    tail.again = false;
    tail.lastRead = System.nanoTime();
    metrics.streamRead("tail");
    boolean head = tail.position == null;
    // The first read finds the tenant's newest position: the tail starts there, not at the tenant's beginning.
    EventQuery query = new EventQuery(tail.tenantId, Set.of(), null, List.of(), null, null, null, null, null, null,
        null, null, null, List.of(), head, head ? 1 : pageSize, null, tail.position);
    vertx.eventBus().<EventPage>request(Addresses.QUERY_PAGE, query, READ).onComplete(result -> {
      tail.reading = false;
      boolean more = false;
      if (result.failed()) {
        LOG.warn("live tail read for tenant {} failed (retried on the next commit or poll): {}", tail.tenantId,
            result.cause().getMessage());
      } else if (head) {
        tail.position = result.result().body().events().isEmpty() ? 0L : result.result().body().lastPosition();
        mark(tail);
      } else {
        EventPage page = result.result().body();
        publish(tail, page.events());
        more = page.nextCursor() != null;
      }
      if (more) {
        read(tail);
      } else if (tail.again) {
        wake(tail);
      }
    });
  }

  /** Publishes events read after the tail's position and moves the position to the last of them. */
  private void publish(Tail tail, List<StoredEvent> events) {
    if (events.isEmpty() || tails.get(tail.tenantId) != tail) {
      return;
    }
    List<byte[]> json = new ArrayList<>(events.size());
    for (StoredEvent event : events) {
      json.add(event.toJson().getBytes(StandardCharsets.UTF_8));
    }
    long from = tail.position;
    tail.position = events.get(events.size() - 1).position();
    vertx.eventBus().publish(Addresses.tail(tail.tenantId), new TailBatch(from, tail.position, events, json));
  }

  /** An empty batch {@code (position, position]}: followers behind it read up to it from the database. */
  private void mark(Tail tail) {
    if (tails.get(tail.tenantId) == tail) {
      vertx.eventBus().publish(Addresses.tail(tail.tenantId),
          new TailBatch(tail.position, tail.position, List.of(), List.of()));
    }
  }
}
