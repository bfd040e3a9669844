package io.eventvault.config;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the configuration once: built-in defaults, then {@code conf/config.json} (or the file named by
 * {@code EVENTVAULT_CONFIG}), then one environment variable per key. A key {@code writer.batchSize} is
 * overridden by {@code EVENTVAULT_WRITER_BATCH_SIZE}.
 */
public final class ConfigLoader {

  public static final String CONFIG_PATH_ENV = "EVENTVAULT_CONFIG";
  static final String DEFAULT_PATH = "conf/config.json";
  private static final String DEFAULTS_RESOURCE = "/eventvault-defaults.json";

  private ConfigLoader() {}

  public static EventvaultConfig load(Map<String, String> env) {
    JsonObject merged = defaults();
    String path = env.getOrDefault(CONFIG_PATH_ENV, DEFAULT_PATH);
    Path file = Path.of(path);
    if (Files.isRegularFile(file)) {
      merged = deepMerge(merged, readFile(file));
    } else if (env.containsKey(CONFIG_PATH_ENV)) {
      throw new ConfigException("config file " + path + " (from " + CONFIG_PATH_ENV + ") does not exist");
    }
    applyEnvironment(merged, "EVENTVAULT", env);
    return EventvaultConfig.fromJson(merged);
  }

  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new ConfigException("missing built-in defaults " + DEFAULTS_RESOURCE);
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new ConfigException("cannot read built-in defaults: " + e.getMessage());
    }
  }

  private static JsonObject readFile(Path file) {
    try {
      return new JsonObject(Files.readString(file));
    } catch (IOException | RuntimeException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
  }

  static JsonObject deepMerge(JsonObject base, JsonObject override) {
    JsonObject result = base.copy();
    for (String key : override.fieldNames()) {
      Object value = override.getValue(key);
      if (value instanceof JsonObject nested && result.getValue(key) instanceof JsonObject existing) {
        result.put(key, deepMerge(existing, nested));
      } else {
        result.put(key, value);
      }
    }
    return result;
  }

  /** Overrides every leaf key that has an environment variable, keeping the type of the default. */
  static void applyEnvironment(JsonObject node, String prefix, Map<String, String> env) {
    for (String key : node.fieldNames()) {
      String name = prefix + "_" + toEnvName(key);
      Object current = node.getValue(key);
      if (current instanceof JsonObject nested) {
        applyEnvironment(nested, name, env);
        continue;
      }
      String raw = env.get(name);
      if (raw == null) {
        continue;
      }
      node.put(key, parseLike(current, raw, name));
    }
  }

  static String toEnvName(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  private static Object parseLike(Object current, String raw, String name) {
    try {
      if (current instanceof Integer || current instanceof Long) {
        return Long.parseLong(raw.trim());
      }
      if (current instanceof Boolean) {
        return Boolean.parseBoolean(raw.trim());
      }
      if (current instanceof Number) {
        return Double.parseDouble(raw.trim());
      }
      return raw;
    } catch (NumberFormatException e) {
      throw new ConfigException(name + " must be a number, got '" + raw + "'");
    }
  }
}
