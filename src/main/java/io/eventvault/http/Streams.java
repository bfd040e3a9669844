package io.eventvault.http;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The open streams of one HTTP verticle, so that they can be ended cleanly: when the server stops, when their
 * key is revoked, or when their tenant changes (suspended, deleted, limits changed). A client that reconnects
 * with {@code Last-Event-ID} is authenticated again, so a revoked key or a suspended tenant gets its 401 or 403.
 */
final class Streams {

  private final Set<EventStream> open = new HashSet<>();

  Future<Void> open(EventStream stream) {
    open.add(stream);
    stream.onClose(() -> open.remove(stream));
    return stream.start();
  }

  void endAll() {
    end(stream -> true);
  }

  void endKey(String credential) {
    end(stream -> credential.equals(stream.credential()));
  }

  void endTenant(String tenantId) {
    end(stream -> tenantId.equals(stream.tenantId()));
  }

  private void end(Predicate<EventStream> which) {
    new ArrayList<>(open).stream().filter(which).forEach(EventStream::end);
  }
}
