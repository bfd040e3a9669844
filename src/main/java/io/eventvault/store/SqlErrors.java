package io.eventvault.store;

import io.vertx.pgclient.PgException;
import java.io.IOException;

/** SQLSTATE checks, in one place. */
public final class SqlErrors {
  private SqlErrors() {}

  /** The data of one request was refused (classes 22 data exception and 23 integrity violation). */
  public static boolean isDataError(Throwable failure) {
    return failure instanceof PgException pg
        && pg.getSqlState() != null
        && (pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("23"));
  }

  /** 57014: canceled by statement_timeout. */
  public static boolean isTimeout(Throwable failure) {
    return failure instanceof PgException pg && "57014".equals(pg.getSqlState());
  }

  /**
   * The database is out of reach or shutting down: connection failures, class 08 (connection exception),
   * 57P (operator intervention: shutdown, crash) and 53 (insufficient resources).
   */
  public static boolean isUnavailable(Throwable failure) {
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState();
      return state != null && (state.startsWith("08") || state.startsWith("57P") || state.startsWith("53"));
    }
    return failure instanceof IOException
        || failure instanceof io.vertx.core.VertxException
        || (failure != null && failure.getClass().getName().contains("Closed"));
  }
}
