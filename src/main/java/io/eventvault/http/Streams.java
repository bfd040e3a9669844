package io.eventvault.http;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;

/** The open streams of one HTTP verticle, so that stopping the server can end them cleanly. */
final class Streams {

  private final Set<EventStream> open = new HashSet<>();

  Future<Void> open(EventStream stream) {
    open.add(stream);
    stream.onClose(() -> open.remove(stream));
    return stream.start();
  }

  void endAll() {
    new ArrayList<>(open).forEach(EventStream::end);
  }
}
