package io.eventvault.writer;

import io.eventvault.bus.Messages.AppendRequest;
import io.eventvault.domain.Appended;
import io.eventvault.domain.EventDraft;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The column arrays of one flush. An event whose (tenant, id) already appears earlier in the same flush is
 * not sent twice: it shares the earlier row's slot and is answered as a duplicate of it.
 */
final class FlushRows {

  private record Key(String tenantId, UUID id) {}

  private final List<AppendRequest> requests;
  /** For each request, for each event: the slot (row index) it maps to. */
  private final int[][] slotOf;
  /** True where an event repeats an earlier one of the same flush. */
  private final boolean[][] repeat;
  private final List<String> tenantIds = new ArrayList<>();
  private final List<UUID> ids = new ArrayList<>();
  private final List<EventDraft> drafts = new ArrayList<>();
  /** The flush's tenants, comma-separated and sorted: sent with the lock, then published after COMMIT. */
  private final String tenants;

  FlushRows(List<AppendRequest> requests) {
    this.requests = requests;
    this.slotOf = new int[requests.size()][];
    this.repeat = new boolean[requests.size()][];
    Map<Key, Integer> slots = new HashMap<>();
    for (int r = 0; r < requests.size(); r++) {
      AppendRequest request = requests.get(r);
      slotOf[r] = new int[request.events().size()];
      repeat[r] = new boolean[request.events().size()];
      for (int e = 0; e < request.events().size(); e++) {
        EventDraft draft = request.events().get(e);
        Key key = new Key(request.tenantId(), draft.id());
        Integer existing = slots.get(key);
        if (existing != null) {
          slotOf[r][e] = existing;
          repeat[r][e] = true;
        } else {
          int slot = drafts.size();
          slots.put(key, slot);
          slotOf[r][e] = slot;
          tenantIds.add(request.tenantId());
          ids.add(draft.id());
          drafts.add(draft);
        }
      }
    }
    this.tenants = String.join(",", new java.util.TreeSet<>(tenantIds));
  }

  /** The flush's tenants, comma-separated, as row-level security expects them. */
  String tenants() {
    return tenants;
  }

  int size() {
    return drafts.size();
  }

  Tuple tuple() {
    int n = drafts.size();
    String[] type = new String[n];
    String[] project = new String[n];
    String[] source = new String[n];
    String[] subject = new String[n];
    String[] user = new String[n];
    OffsetDateTime[] occurred = new OffsetDateTime[n];
    Integer[] schemaVersion = new Integer[n];
    String[] correlation = new String[n];
    String[] causation = new String[n];
    String[] metadata = new String[n];
    String[] payload = new String[n];
    for (int i = 0; i < n; i++) {
      EventDraft d = drafts.get(i);
      type[i] = d.type();
      project[i] = d.projectId();
      source[i] = d.source();
      subject[i] = d.subject();
      user[i] = d.userId();
      occurred[i] = d.occurredAt().atOffset(ZoneOffset.UTC);
      schemaVersion[i] = d.schemaVersion();
      correlation[i] = d.correlationId();
      causation[i] = d.causationId();
      metadata[i] = d.metadataJson();
      payload[i] = d.payloadJson();
    }
    return Tuple.of(tenantIds.toArray(String[]::new), ids.toArray(UUID[]::new), type, project, source, subject,
            user)
        .addValue(occurred)
        .addValue(schemaVersion)
        .addValue(correlation)
        .addValue(causation)
        .addValue(metadata)
        .addValue(payload);
  }

  /** Maps the statement's rows (one per slot, in slot order) back to every request, in request order. */
  List<List<Appended>> answers(RowSet<Row> rows) {
    long[] position = new long[drafts.size()];
    boolean[] duplicate = new boolean[drafts.size()];
    for (Row row : rows) {
      int slot = (int) (row.getLong(0) - 1);
      position[slot] = row.getLong(1);
      duplicate[slot] = row.getBoolean(2);
    }
    List<List<Appended>> answers = new ArrayList<>(requests.size());
    for (int r = 0; r < requests.size(); r++) {
      List<EventDraft> events = requests.get(r).events();
      List<Appended> answer = new ArrayList<>(events.size());
      for (int e = 0; e < events.size(); e++) {
        int slot = slotOf[r][e];
        answer.add(new Appended(events.get(e).id(), position[slot], repeat[r][e] || duplicate[slot]));
      }
      answers.add(answer);
    }
    return answers;
  }

  int freshCount(RowSet<Row> rows) {
    int fresh = 0;
    for (Row row : rows) {
      if (!row.getBoolean(2)) {
        fresh++;
      }
    }
    return fresh;
  }
}
