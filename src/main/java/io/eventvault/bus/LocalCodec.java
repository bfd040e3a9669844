package io.eventvault.bus;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Passes immutable records between verticles of one JVM by reference: no serialization on the hot path.
 * A clustered event bus needs a wire format, which these records do not have yet (see docs/decisions.md).
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {

  private final Class<T> type;

  private LocalCodec(Class<T> type) {
    this.type = type;
  }

  /** Registers a pass-through codec as the default for each type. Call once per Vertx instance. */
  public static void registerAll(Vertx vertx) {
    register(vertx, Messages.AppendRequest.class);
    register(vertx, Messages.AppendResult.class);
    register(vertx, Messages.GetEvent.class);
    register(vertx, Messages.CountRequest.class);
    register(vertx, Messages.KeyLookup.class);
    register(vertx, Messages.CreateTenant.class);
    register(vertx, Messages.CreateKey.class);
    register(vertx, Messages.RevokeKey.class);
    register(vertx, Messages.ListKeys.class);
    register(vertx, Messages.AdminRequest.class);
    register(vertx, Messages.CreateSubscription.class);
    register(vertx, Messages.GetSubscription.class);
    register(vertx, Messages.AckSubscription.class);
    register(vertx, Messages.DeleteSubscription.class);
    register(vertx, Messages.ListSubscriptions.class);
    register(vertx, Messages.TailJoin.class);
    register(vertx, Messages.TailLeave.class);
    register(vertx, Messages.TailBatch.class);
    register(vertx, io.eventvault.domain.EventQuery.class);
    register(vertx, io.eventvault.domain.EventPage.class);
    register(vertx, io.eventvault.domain.StoredEvent.class);
    register(vertx, io.eventvault.domain.Principal.class);
  }

  private static <T> void register(Vertx vertx, Class<T> type) {
    vertx.eventBus().registerDefaultCodec(type, new LocalCodec<>(type));
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    throw new UnsupportedOperationException(type.getSimpleName() + " is local to one JVM");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException(type.getSimpleName() + " is local to one JVM");
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return "local-" + type.getName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
