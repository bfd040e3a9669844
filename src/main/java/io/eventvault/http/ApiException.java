package io.eventvault.http;

import io.vertx.core.json.JsonArray;

/** A refusal that the failure handler turns into {@code application/problem+json}. */
public final class ApiException extends RuntimeException {

  private final int status;
  private final String title;
  private final JsonArray errors;
  private final Integer retryAfterSeconds;

  private ApiException(int status, String title, String detail, JsonArray errors, Integer retryAfterSeconds) {
    super(detail, null, false, false);
    this.status = status;
    this.title = title;
    this.errors = errors;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiException of(int status, String detail) {
    return new ApiException(status, titleOf(status), detail, null, retryAfterOf(status));
  }

  public static ApiException badRequest(String detail) {
    return of(400, detail);
  }

  public static ApiException unauthorized(String detail) {
    return of(401, detail);
  }

  public static ApiException forbidden(String detail) {
    return of(403, detail);
  }

  public static ApiException notFound(String detail) {
    return of(404, detail);
  }

  public static ApiException tooLarge(String detail, JsonArray errors) {
    return new ApiException(413, titleOf(413), detail, errors, null);
  }

  public static ApiException tooManyRequests(String detail, long retryAfterSeconds) {
    return new ApiException(429, titleOf(429), detail, null, (int) Math.min(Integer.MAX_VALUE, retryAfterSeconds));
  }

  public static ApiException unsupportedMediaType(String detail) {
    return of(415, detail);
  }

  /** Some events of a batch break the rules: {@code errors} lists each as {index, field, message}. */
  public static ApiException invalidEvents(String detail, JsonArray errors) {
    return new ApiException(422, "Invalid events", detail, errors, null);
  }

  public static ApiException unprocessable(String detail) {
    return of(422, detail);
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  public JsonArray errors() {
    return errors;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  static Integer retryAfterOf(int status) {
    return status == 429 || status == 503 ? 1 : null;
  }

  static String titleOf(int status) {
    return switch (status) {
      case 400 -> "Bad request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not found";
      case 405 -> "Method not allowed";
      case 406 -> "Not acceptable";
      case 409 -> "Conflict";
      case 413 -> "Payload too large";
      case 415 -> "Unsupported media type";
      case 422 -> "Unprocessable content";
      case 429 -> "Too many requests";
      case 503 -> "Service unavailable";
      case 504 -> "Query timeout";
      default -> "Internal server error";
    };
  }
}
