package com.doorflow.engine.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Period;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Properties;
import org.operaton.bpm.engine.ProcessEngineException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The [X] settings that drive the diagrams' timers and rules, read from configuration at the moment
 * an expression uses them ({@code ${doorflowSettings.duration('follow_up_delay')}}), never carried
 * as process variables that a task holder could overwrite.
 *
 * <p>Where a value comes from, first match wins:
 * <ol>
 *   <li>the settings file {@code doorflow.settings-file} (Java properties, the names below as keys),
 *       written by doorflow's launcher from the same DOORFLOW_* configuration the workers read, and
 *       read again whenever it changes, so an edit applies to the next timer without a restart;</li>
 *   <li>the Spring property {@code doorflow.<name in kebab case>}, i.e. the environment variable
 *       {@code DOORFLOW_<NAME>} the Python side reads as well (a container without the file);</li>
 *   <li>the default in application.yaml (the same as doorflow/settings.py's).</li>
 * </ol>
 * Only the names below can be read: an expression cannot reach any other property (the datasource
 * password, say). A malformed value fails the expression, so a timer is never made from it.
 */
@Component("doorflowSettings")
public class DoorflowSettings {

  enum Kind { DURATION, INTEGER }

  /** Every setting a diagram may read (doorflow/settings.py's field names) and its kind. */
  static final Map<String, Kind> KNOWN = Map.of(
      "follow_up_delay", Kind.DURATION,
      "deposit_reminder_after", Kind.DURATION,
      "production_due_check_interval", Kind.DURATION,
      "order_min_lead_time_days", Kind.INTEGER);

  private record Snapshot(long modified, long size, Properties values) {}

  private final Environment environment;
  private final Path file;
  private volatile Snapshot snapshot;

  public DoorflowSettings(Environment environment, @Value("${doorflow.settings-file:}") String file) {
    this.environment = environment;
    this.file = file == null || file.isBlank() ? null : Path.of(file);
  }

  /** An ISO-8601 duration (P7D, PT8H, P1M) for a timer's timeDuration or timeCycle. */
  public String duration(String name) {
    String value = value(name, Kind.DURATION);
    try {
      Duration.parse(value);
    } catch (DateTimeParseException notADuration) {
      try {
        Period.parse(value);
      } catch (DateTimeParseException notAPeriod) {
        throw new ProcessEngineException("setting " + name + " is not an ISO-8601 duration: " + value);
      }
    }
    return value;
  }

  /** A whole number (a decision's input, e.g. the shortest lead time in days). */
  public long integer(String name) {
    String value = value(name, Kind.INTEGER);
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      throw new ProcessEngineException("setting " + name + " is not a whole number: " + value);
    }
  }

  String value(String name, Kind kind) {
    if (KNOWN.get(name) != kind) {
      throw new ProcessEngineException("no " + kind.name().toLowerCase() + " setting named " + name
          + " (known: " + KNOWN.keySet() + ")");
    }
    String fromFile = fromFile(name);
    if (fromFile != null && !fromFile.isBlank()) {
      return fromFile.strip();
    }
    String property = environment.getProperty("doorflow." + name.replace('_', '-'));
    if (property == null || property.isBlank()) {
      throw new ProcessEngineException("setting " + name + " is not configured");
    }
    return property.strip();
  }

  /** The file's value, re-read when the file's modification time or size changed since the last read. */
  private String fromFile(String name) {
    if (file == null) {
      return null;
    }
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException missing) {
      return null;
    }
    long modified = attributes.lastModifiedTime().toMillis();
    Snapshot current = snapshot;
    if (current == null || current.modified() != modified || current.size() != attributes.size()) {
      Properties values = new Properties();
      try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        values.load(reader);
      } catch (IOException e) {
        throw new ProcessEngineException("cannot read the settings file " + file + ": " + e.getMessage(), e);
      }
      current = new Snapshot(modified, attributes.size(), values);
      snapshot = current;
    }
    return current.values().getProperty(name);
  }
}
