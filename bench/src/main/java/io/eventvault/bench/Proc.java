package io.eventvault.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * CPU and memory from /proc: per-process utime+stime deltas (clock ticks), PostgreSQL counted as the
 * postmaster plus its live children plus the cumulative time of children it already reaped (cutime+cstime),
 * so short-lived backends are not lost. Machine-wide busy time from /proc/stat shows what else ran.
 */
final class Proc {
  static final double TICKS_PER_S = 100.0; // USER_HZ is 100 on every Linux build we run on

  record Snapshot(long nanos, long serverTicks, long pgTicks, long selfTicks, long machineBusy, long machineTotal) {}

  record Split(double seconds, double serverCores, double pgCores, double generatorCores, double otherCores,
               double machineBusyCores) {}

  private final long serverPid;
  private final long postmasterPid;

  Proc(long serverPid, long postmasterPid) {
    this.serverPid = serverPid;
    this.postmasterPid = postmasterPid;
  }

  Proc withServer(long pid) {
    return new Proc(pid, postmasterPid);
  }

  Snapshot snapshot() {
    long[] machine = machine();
    return new Snapshot(System.nanoTime(), serverPid > 0 ? ticks(serverPid, false) : 0, pgTicks(),
        ticks(ProcessHandle.current().pid(), false), machine[0], machine[1]);
  }

  static Split split(Snapshot a, Snapshot b) {
    double s = (b.nanos() - a.nanos()) / 1e9;
    double server = Math.max(0, b.serverTicks() - a.serverTicks()) / TICKS_PER_S / s;
    double pg = (b.pgTicks() - a.pgTicks()) / TICKS_PER_S / s;
    double gen = (b.selfTicks() - a.selfTicks()) / TICKS_PER_S / s;
    double total = b.machineTotal() - a.machineTotal();
    double busyShare = total <= 0 ? 0 : (b.machineBusy() - a.machineBusy()) / total;
    double cores = Runtime.getRuntime().availableProcessors();
    double busy = busyShare * cores;
    return new Split(s, server, pg, gen, Math.max(0, busy - server - pg - gen), busy);
  }

  long pgTicks() {
    if (postmasterPid <= 0) {
      return 0;
    }
    long sum = ticks(postmasterPid, true);
    for (long child : children(postmasterPid)) {
      sum += ticks(child, false);
    }
    return sum;
  }

  /** utime + stime (+ cutime + cstime), or 0 when the process is gone. */
  static long ticks(long pid, boolean withReapedChildren) {
    String[] f = statFields(pid);
    if (f == null) {
      return 0;
    }
    long t = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    if (withReapedChildren) {
      t += Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }
    return t;
  }

  /** The fields after "pid (comm) ": index 0 is the state, 1 the parent pid, 11 utime, 12 stime. */
  static String[] statFields(long pid) {
    try {
      String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  static String comm(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
    } catch (IOException e) {
      return "";
    }
  }

  static List<Long> pids() {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("/proc"))) {
      s.forEach(p -> {
        String n = p.getFileName().toString();
        if (!n.isEmpty() && n.chars().allMatch(Character::isDigit)) {
          out.add(Long.parseLong(n));
        }
      });
    } catch (IOException e) {
      // no /proc: no CPU figures
    }
    return out;
  }

  static List<Long> children(long parent) {
    List<Long> out = new ArrayList<>();
    for (long pid : pids()) {
      String[] f = statFields(pid);
      if (f != null && Long.parseLong(f[1]) == parent) {
        out.add(pid);
      }
    }
    return out;
  }

  /** The postgres process whose parent is not a postgres process; -1 if none or several clusters. */
  static long findPostmaster(int port) {
    List<Long> found = new ArrayList<>();
    for (long pid : pids()) {
      if (!comm(pid).equals("postgres")) {
        continue;
      }
      String[] f = statFields(pid);
      if (f != null && !comm(Long.parseLong(f[1])).equals("postgres")) {
        found.add(pid);
      }
    }
    if (found.size() == 1) {
      return found.get(0);
    }
    for (long pid : found) { // several clusters: pick the one whose command line names our port
      try {
        String cmd = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"))).replace('\0', ' ');
        if (cmd.contains(String.valueOf(port))) {
          return pid;
        }
      } catch (IOException e) {
        // ignore
      }
    }
    return found.isEmpty() ? -1 : found.get(0);
  }

  /** [busy, total] jiffies of all CPUs. */
  static long[] machine() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = line.trim().split("\\s+");
      long user = Long.parseLong(f[1]);
      long nice = Long.parseLong(f[2]);
      long system = Long.parseLong(f[3]);
      long idle = Long.parseLong(f[4]);
      long iowait = Long.parseLong(f[5]);
      long irq = Long.parseLong(f[6]);
      long softirq = Long.parseLong(f[7]);
      long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
      long busy = user + nice + system + irq + softirq + steal;
      return new long[] {busy, busy + idle + iowait};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  /** Resident set size in MiB, or -1. */
  static double rssMiB(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return -1;
  }

  static String loadavg() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "";
    }
  }
}
