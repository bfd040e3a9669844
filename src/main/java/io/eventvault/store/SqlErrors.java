package io.eventvault.store;

import io.vertx.pgclient.PgException;

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
   * The database is out of reach, refusing connections or shutting down: any failure that is not an answer
   * to the statement itself. PostgreSQL classes 08 (connection), 28 (authorization), 3D (no such database),
   * 53 (insufficient resources), 55 (not accepting connections) and 57P (shutdown, termination).
   */
  public static boolean isUnavailable(Throwable failure) {
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState();
      return state == null || state.startsWith("08") || state.startsWith("28") || state.startsWith("3D")
          || state.startsWith("53") || state.startsWith("55") || state.startsWith("57P");
    }
    return true;
  }
}
