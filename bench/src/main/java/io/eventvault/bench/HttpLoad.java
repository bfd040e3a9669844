package io.eventvault.bench;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;

/**
 * The HTTP load generator: one Vert.x event loop (so it never takes more than one core from the server),
 * keep-alive HTTP/1.1 connections to 127.0.0.1 only, no pipelining. Closed loop: N clients each send the
 * next request when the previous one is answered. Open loop: requests are due at fixed intended times
 * (start + i / rate) whatever the answers do; latency is measured from the intended time, so a stall of
 * the server (or of the generator) shows up in the percentiles instead of being hidden (coordinated
 * omission). Every loop is bounded in time; requests time out after 30 s.
 */
final class HttpLoad {

  static final long REQUEST_TIMEOUT_MS = 30_000;
  static final long MAX_LATENCY_US = TimeUnit.SECONDS.toMicros(120);

  /** One arm's outcome. Latencies in microseconds. */
  static final class Result {
    final String name;
    final int eventsPerRequest;
    long okRequests;
    long okEvents;
    long errors;
    long scheduled;
    /** Open loop: requests that came due while too many were outstanding, so were never sent. */
    long dropped;
    double seconds;
    double maxSendLagMs;
    final TreeMap<Integer, Long> statuses = new TreeMap<>();
    String firstError;
    /** From the intended send time (open loop) or from the actual send (closed loop). */
    final Histogram latency = new Histogram(MAX_LATENCY_US, 3);
    /** From the actual send time, for comparison (what a closed-loop tool would report). */
    final Histogram service = new Histogram(MAX_LATENCY_US, 3);

    Result(String name, int eventsPerRequest) {
      this.name = name;
      this.eventsPerRequest = eventsPerRequest;
    }

    double eventsPerSecond() {
      return seconds <= 0 ? 0 : okEvents / seconds;
    }

    double requestsPerSecond() {
      return seconds <= 0 ? 0 : okRequests / seconds;
    }
  }

  /** A 10-second slice of an open-loop run (for the soak). */
  record Interval(double atSeconds, long okEvents, long errors, Histogram latency) {}

  private final Vertx vertx;
  private final Corpus corpus;
  private final int port;
  private final String key;
  private long cursor;

  HttpLoad(Vertx vertx, Corpus corpus, int port, String key) {
    this.vertx = vertx;
    this.corpus = corpus;
    this.port = port;
    this.key = key;
  }

  private WebClient client(int connections) {
    WebClientOptions options = new WebClientOptions()
        .setDefaultHost("127.0.0.1")
        .setDefaultPort(port)
        .setKeepAlive(true)
        .setPipelining(false)
        .setTcpNoDelay(true)
        .setUserAgentEnabled(false);
    return WebClient.create(vertx, options, new PoolOptions().setHttp1MaxSize(connections).setEventLoopSize(1));
  }

  /** A request body: one event object, or an array of {@code n} events. */
  private Buffer body(int n) {
    StringBuilder sb = new StringBuilder(n * 900 + 2);
    if (n == 1) {
      Corpus.appendJson(sb, Ids.v7(), corpus.get(cursor++));
    } else {
      sb.append('[');
      for (int k = 0; k < n; k++) {
        if (k > 0) {
          sb.append(',');
        }
        Corpus.appendJson(sb, Ids.v7(), corpus.get(cursor++));
      }
      sb.append(']');
    }
    return Buffer.buffer(sb.toString());
  }

  private io.vertx.core.Future<HttpResponse<Buffer>> post(WebClient client, Buffer body) {
    return client.post("/v1/events")
        .putHeader("Authorization", "Bearer " + key)
        .putHeader("Content-Type", "application/json")
        .timeout(REQUEST_TIMEOUT_MS)
        .sendBuffer(body);
  }

  private static boolean count(Result r, HttpResponse<Buffer> resp, Throwable failure) {
    if (failure != null) {
      r.errors++;
      r.statuses.merge(-1, 1L, Long::sum);
      if (r.firstError == null) {
        r.firstError = failure.toString();
      }
      return false;
    }
    r.statuses.merge(resp.statusCode(), 1L, Long::sum);
    if (resp.statusCode() == 201) {
      r.okRequests++;
      r.okEvents += r.eventsPerRequest;
      return true;
    } else {
      r.errors++;
      if (r.firstError == null) {
        String b = resp.bodyAsString();
        r.firstError = resp.statusCode() + " " + (b == null ? "" : b.substring(0, Math.min(300, b.length())));
      }
      return false;
    }
  }

  /** Closed loop: {@code clients} concurrent clients for {@code seconds}. */
  Result closed(String name, int clients, int eventsPerRequest, double seconds) throws Exception {
    Result r = new Result(name, eventsPerRequest);
    WebClient client = client(clients);
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    long[] state = new long[3]; // start, deadline, active clients
    ctx.runOnContext(v -> {
      state[0] = System.nanoTime();
      state[1] = state[0] + (long) (seconds * 1e9);
      state[2] = clients;
      for (int c = 0; c < clients; c++) {
        closedNext(client, r, state, done);
      }
    });
    done.future().toCompletionStage().toCompletableFuture().get((long) seconds + 120, TimeUnit.SECONDS);
    r.seconds = (System.nanoTime() - state[0]) / 1e9;
    client.close();
    return r;
  }

  private void closedNext(WebClient client, Result r, long[] state, Promise<Void> done) {
    if (System.nanoTime() >= state[1]) {
      if (--state[2] == 0) {
        done.tryComplete();
      }
      return;
    }
    Buffer b = body(r.eventsPerRequest);
    long sent = System.nanoTime();
    r.scheduled++;
    post(client, b).onComplete(ar -> {
      long us = Math.min(MAX_LATENCY_US, (System.nanoTime() - sent) / 1000);
      r.latency.recordValue(us);
      r.service.recordValue(us);
      count(r, ar.result(), ar.cause());
      closedNext(client, r, state, done);
    });
  }

  /**
   * Open loop: {@code eventsPerSecond} in requests of {@code eventsPerRequest} for {@code seconds}. A 1 ms
   * timer sends every request whose intended time has come; its granularity (≤1 ms) and any lag of the
   * generator count into the latency, which is the conservative side.
   */
  Result open(String name, int eventsPerSecond, int eventsPerRequest, double seconds, int connections,
              long intervalMs, Consumer<Interval> onInterval) throws Exception {
    Result r = new Result(name, eventsPerRequest);
    WebClient client = client(connections);
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> done = Promise.promise();
    double requestsPerSecond = (double) eventsPerSecond / eventsPerRequest;
    long total = (long) Math.floor(requestsPerSecond * seconds);
    double intervalNs = 1e9 / requestsPerSecond;
    // A stalled server must not make the generator hold an unbounded number of requests (it would run out of
    // memory and then stall itself): past this many outstanding, a due request is dropped and counted.
    long maxOutstanding = (long) Math.min(20_000, Math.max(1_000, 2 * requestsPerSecond));
    Histogram slice = new Histogram(MAX_LATENCY_US, 3);
    long[] st = new long[8]; // 0 start, 1 next index, 2 completed, 3 timer id, 4 slice ok, 5 slice errors, 6 report timer
    ctx.runOnContext(v -> {
      st[0] = System.nanoTime() + 20_000_000L;
      st[3] = vertx.setPeriodic(1, id -> {
        long now = System.nanoTime();
        while (st[1] < total) {
          long intended = st[0] + (long) (st[1] * intervalNs);
          if (intended > now) {
            break;
          }
          st[1]++;
          r.scheduled++;
          if (r.scheduled - st[2] - r.dropped > maxOutstanding) {
            r.dropped++;
            r.errors++;
            st[5]++;
            if (st[2] + r.dropped == total) {
              done.tryComplete();
            }
            continue;
          }
          r.maxSendLagMs = Math.max(r.maxSendLagMs, (now - intended) / 1e6);
          long sent = System.nanoTime();
          post(client, body(eventsPerRequest)).onComplete(ar -> {
            long end = System.nanoTime();
            long us = Math.min(MAX_LATENCY_US, Math.max(0, (end - intended) / 1000));
            r.latency.recordValue(us);
            slice.recordValue(us);
            r.service.recordValue(Math.min(MAX_LATENCY_US, (end - sent) / 1000));
            if (count(r, ar.result(), ar.cause())) {
              st[4] += eventsPerRequest;
            } else {
              st[5]++;
            }
            if (++st[2] + r.dropped == total) {
              done.tryComplete();
            }
          });
          now = System.nanoTime();
        }
        if (st[1] >= total) {
          vertx.cancelTimer(id);
        }
      });
      if (onInterval != null) {
        st[6] = vertx.setPeriodic(intervalMs, id -> {
          onInterval.accept(new Interval((System.nanoTime() - st[0]) / 1e9, st[4], st[5], slice.copy()));
          slice.reset();
          st[4] = 0;
          st[5] = 0;
        });
      }
      if (total == 0) {
        done.tryComplete();
      }
    });
    try {
      done.future().toCompletionStage().toCompletableFuture()
          .get((long) seconds + REQUEST_TIMEOUT_MS / 1000 + 30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      r.firstError = r.firstError == null ? "generator gave up waiting for answers" : r.firstError;
    }
    r.seconds = (System.nanoTime() - st[0]) / 1e9;
    ctx.runOnContext(v -> {
      vertx.cancelTimer(st[3]);
      if (st[6] != 0) {
        vertx.cancelTimer(st[6]);
      }
    });
    client.close();
    return r;
  }
}
