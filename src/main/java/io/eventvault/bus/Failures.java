package io.eventvault.bus;

/**
 * Failure codes of event-bus replies. They are HTTP statuses on purpose: the HTTP edge maps them 1:1 to
 * problem+json answers, and nothing else needs a second table.
 */
public final class Failures {
  public static final int BAD_REQUEST = 400;
  public static final int UNAUTHORIZED = 401;
  public static final int FORBIDDEN = 403;
  public static final int NOT_FOUND = 404;
  public static final int CONFLICT = 409;
  public static final int UNPROCESSABLE = 422;
  public static final int OVERLOADED = 429;
  public static final int UNAVAILABLE = 503;
  public static final int TIMEOUT = 504;

  private Failures() {}
}
