package io.eventvault.bench;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/** Hot methods of a JFR recording: top frames (self time) and methods on the stack (total time). */
final class JfrSummary {
  private JfrSummary() {}

  static String summarize(Path file, int top) throws Exception {
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    Map<String, Integer> threads = new HashMap<>();
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      samples++;
      List<RecordedFrame> frames = st.getFrames();
      self.merge(name(frames.get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : frames) {
        String n = name(f);
        if (seen.add(n)) {
          total.merge(n, 1, Integer::sum);
        }
      }
      String t = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
      threads.merge(t == null ? "?" : t.replaceAll("-\\d+$", "-N"), 1, Integer::sum);
    }
    StringBuilder sb = new StringBuilder();
    sb.append("JFR ").append(file.getFileName()).append(": ").append(samples).append(" execution samples\n");
    sb.append("\nthreads:\n");
    append(sb, threads, samples, top);
    sb.append("\ntop frames (self):\n");
    append(sb, self, samples, top);
    sb.append("\non the stack (total):\n");
    append(sb, total, samples, top * 2);
    return sb.toString();
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void append(StringBuilder sb, Map<String, Integer> m, int samples, int top) {
    m.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(top).forEach(e ->
        sb.append(String.format("  %5.1f%%  %6d  %s%n", 100.0 * e.getValue() / Math.max(1, samples), e.getValue(),
            e.getKey())));
  }
}
