package io.eventvault.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** Test events in the contract's shape. */
public final class Events {
  private Events() {}

  public static JsonObject event(String type, String projectId) {
    return new JsonObject()
        .put("id", UUID.randomUUID().toString())
        .put("type", type)
        .put("projectId", projectId)
        .put("payload", new JsonObject().put("n", 1));
  }

  public static JsonArray batch(int size, String type, String projectId) {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < size; i++) {
      batch.add(event(type, projectId).put("payload", new JsonObject().put("i", i)));
    }
    return batch;
  }
}
