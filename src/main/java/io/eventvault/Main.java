package io.eventvault;

import io.eventvault.config.ConfigException;
import io.eventvault.config.ConfigLoader;
import io.eventvault.config.EventvaultConfig;
import io.eventvault.store.EmbeddedDatabase;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** Starts Eventvault: config, database (embedded when none is configured), then the server. */
public final class Main {

  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    EventvaultConfig config;
    try {
      config = ConfigLoader.load(System.getenv());
    } catch (ConfigException e) {
      LOG.error("invalid configuration: {}", e.getMessage());
      System.exit(2);
      return;
    }
    EmbeddedDatabase embedded = null;
    if (config.database().url().isEmpty()) {
      LOG.info("no database configured (EVENTVAULT_DATABASE_URL): starting embedded PostgreSQL");
      embedded = EmbeddedDatabase.start(Path.of(config.database().embeddedDataDir()));
      config = config.withDatabase(config.database().withUrl(embedded.url()));
    }
    Server server = new Server(config);
    try {
      server.start().await();
    } catch (RuntimeException e) {
      LOG.error("startup failed: {}", e.getMessage(), e);
      server.stop().await();
      if (embedded != null) {
        embedded.close();
      }
      System.exit(1);
      return;
    }
    EmbeddedDatabase database = embedded;
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable shutdown = () -> {
      LOG.info("shutting down: no new requests; flushing accepted events");
      try {
        server.stop().await();
      } finally {
        if (database != null) {
          database.close();
        }
        LOG.info("stopped");
        stopped.countDown();
      }
    };
    // SIGTERM and SIGINT: drain and exit 0 (a plain shutdown hook would end with 143).
    Signal.handle(new Signal("TERM"), signal -> new Thread(() -> {
      shutdown.run();
      System.exit(0);
    }, "eventvault-shutdown").start());
    Signal.handle(new Signal("INT"), signal -> new Thread(() -> {
      shutdown.run();
      System.exit(0);
    }, "eventvault-shutdown").start());
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
