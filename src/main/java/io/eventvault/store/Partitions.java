package io.eventvault.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps daily partitions of {@code events} (UTC days of {@code recorded_at}) ahead of time, so that
 * midnight never stops ingest. Names are generated from dates, never from input.
 */
public final class Partitions {

  private static final Logger LOG = LoggerFactory.getLogger(Partitions.class);
  private static final DateTimeFormatter SUFFIX = DateTimeFormatter.BASIC_ISO_DATE;

  private final Pool pool;

  public Partitions(Pool pool) {
    this.pool = pool;
  }

  public static String partitionName(LocalDate day) {
    return "events_p" + SUFFIX.format(day);
  }

  /** Creates the partitions of yesterday, today and {@code daysAhead} days ahead that are missing. */
  public Future<Integer> ensure(LocalDate today, int daysAhead) {
    return pool.withTransaction(conn -> conn.query(Sql.PARTITION_LOCK_TIMEOUT).execute()
        .compose(v -> conn.query(Sql.PARTITION_LOCK).execute()).compose(locked -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (int offset = -1; offset <= daysAhead; offset++) {
        LocalDate day = today.plusDays(offset);
        chain = chain.compose(created -> conn.query(createSql(day)).execute()
            .compose(v -> conn.query(protectSql(day)).execute())
            .map(created + 1));
      }
      return chain;
    })).onSuccess(n -> LOG.debug("partitions checked for {} days around {}", n, today));
  }

  /** Rows in the default partition: should be 0; anything else means a partition was missing. */
  public Future<Long> defaultPartitionRows() {
    return pool.query(Sql.DEFAULT_PARTITION_ROWS).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  /** Direct reads of a partition bypass the parent's policies: RLS without a policy shows them nothing. */
  static String protectSql(LocalDate day) {
    return "ALTER TABLE event_partitions." + partitionName(day) + " ENABLE ROW LEVEL SECURITY";
  }

  public static LocalDate todayUtc() {
    return LocalDate.now(ZoneOffset.UTC);
  }

  static String createSql(LocalDate day) {
    return "CREATE TABLE IF NOT EXISTS event_partitions." + partitionName(day) + " PARTITION OF public.events"
        + " FOR VALUES FROM ('" + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')";
  }
}
