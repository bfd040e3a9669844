package io.eventvault.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Attributes PostgreSQL CPU while an arm runs, sampling every 200 ms: backends whose process title names one
 * of this run's databases ("ours"), the shared background processes (WAL writer, checkpointer, …), and every
 * other backend (someone else's work on the same cluster). A process that started during the arm counts
 * from zero; one that ends between two samples loses at most 200 ms of CPU.
 */
final class PgSampler implements AutoCloseable {

  private static final String[] BACKGROUND = {"checkpointer", "background writer", "walwriter", "autovacuum",
      "logical replication", "stats collector", "archiver", "walsender", "walreceiver", "startup"};

  private final long postmaster;
  private final String runPrefix;
  private final long armStartTicks;
  private final Map<Long, long[]> seen = new HashMap<>(); // pid -> [baseline, last, kind]
  private final Thread thread;
  private volatile boolean running = true;

  PgSampler(long postmaster, String runPrefix) {
    this.postmaster = postmaster;
    this.runPrefix = runPrefix;
    this.armStartTicks = uptimeTicks();
    sample(true);
    thread = new Thread(() -> {
      while (running) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          return;
        }
        sample(false);
      }
    }, "pg-sampler");
    thread.setDaemon(true);
    thread.start();
  }

  private synchronized void sample(boolean initial) {
    if (postmaster <= 0) {
      return;
    }
    for (long pid : Proc.children(postmaster)) {
      String[] f = Proc.statFields(pid);
      if (f == null) {
        continue;
      }
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      long[] s = seen.get(pid);
      if (s == null) {
        long started = Long.parseLong(f[19]);
        long baseline = initial || started < armStartTicks ? ticks : 0;
        seen.put(pid, new long[] {baseline, ticks, kind(pid)});
      } else {
        s[1] = ticks;
      }
    }
  }

  private long kind(long pid) {
    String cmd;
    try {
      cmd = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
    } catch (IOException e) {
      return 2;
    }
    if (cmd.contains(" " + runPrefix)) {
      return 0;
    }
    for (String b : BACKGROUND) {
      if (cmd.contains(": " + b)) {
        return 1;
      }
    }
    return 2;
  }

  /** Ticks of [our backends, background processes, other backends]. */
  @Override
  public synchronized void close() {
    running = false;
    thread.interrupt();
  }

  synchronized long[] ticks() {
    sample(false);
    long[] out = new long[3];
    for (long[] s : seen.values()) {
      out[(int) s[2]] += Math.max(0, s[1] - s[0]);
    }
    return out;
  }

  private static long uptimeTicks() {
    try {
      String s = Files.readString(Path.of("/proc/uptime")).trim().split("\\s+")[0];
      return (long) (Double.parseDouble(s) * Proc.TICKS_PER_S);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
