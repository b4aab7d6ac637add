package com.doorflow.engine.forms;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The input rules of one Camunda Form (form-js JSON), as the engine enforces them when a task is
 * completed: required (unless the field is hidden by its condition), the offered options of
 * radio/select/checklist/taglist, number type, min/max and decimal digits, valid dates, text
 * length and pattern, boolean checkboxes. Read-only fields are display, not input, and are skipped.
 * Anything the forms may say that this class does not understand is refused when the form is
 * parsed (at deployment), never ignored at completion.
 */
public final class FormSchema {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Component types without a value (layout and display). */
  private static final Set<String> NO_VALUE = Set.of("text", "html", "image", "spacer", "separator", "group",
      "dynamiclist", "iframe", "table", "expression", "button", "documentPreview", "default");
  private static final Set<String> INPUT_TYPES = Set.of("textfield", "textarea", "number", "datetime", "checkbox",
      "radio", "select", "checklist", "taglist");
  private static final Set<String> VALIDATE_KEYS = Set.of("required", "min", "max", "minLength", "maxLength",
      "pattern", "validationType");
  private static final Pattern EMAIL = Pattern.compile("^[\\w\\-.]+@([\\w\\-]+\\.)+[\\w\\-]{2,}$");
  private static final int SHOWN_VALUE_CHARS = 40;
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /** One input field of the form. */
  record Field(String key, String label, String type, String subtype, boolean required, List<String> options,
      String offered,
      BigDecimal min, BigDecimal max, Integer decimalDigits, BigDecimal increment, Integer minLength,
      Integer maxLength, Pattern pattern, boolean email, FeelCondition hide) {}

  private final String id;
  private final List<Field> fields;
  /** Shown but not entered (readonly/disabled): key → label. Tasklist submits them unchanged. */
  private final Map<String, String> readonly;

  /** Every name the form's text mentions (keys, conditions, templates): the variables it may show. */
  private final Set<String> mentioned;

  private FormSchema(String id, List<Field> fields, Map<String, String> readonly, Set<String> mentioned) {
    this.id = id;
    this.fields = fields;
    this.readonly = readonly;
    this.mentioned = mentioned;
  }

  /** True when the form may show this variable (its name appears in the form). */
  public boolean mayShow(String variable) {
    return mentioned.contains(variable);
  }

  /** Keys a person enters on this form: key → label. */
  public Map<String, String> inputFields() {
    Map<String, String> keys = new LinkedHashMap<>();
    for (Field f : fields) {
      keys.put(f.key(), f.label());
    }
    return keys;
  }

  /** Keys the form shows but does not let a person change: key → label. */
  public Map<String, String> readonlyFields() {
    return readonly;
  }

  public String id() {
    return id;
  }

  List<Field> fields() {
    return fields;
  }

  /** Parses a form; IllegalArgumentException names the component the engine cannot enforce. */
  public static FormSchema parse(byte[] json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a JSON form: " + e.getMessage(), e);
    }
    String id = root.path("id").asText("");
    List<Field> fields = new ArrayList<>();
    Map<String, String> readonly = new LinkedHashMap<>();
    collect(root.path("components"), id, fields, readonly);
    Set<String> mentioned = new java.util.HashSet<>();
    java.util.regex.Matcher names = NAME.matcher(new String(json, java.nio.charset.StandardCharsets.UTF_8));
    while (names.find()) {
      mentioned.add(names.group());
    }
    return new FormSchema(id, List.copyOf(fields), Collections.unmodifiableMap(readonly), Set.copyOf(mentioned));
  }

  private static void collect(JsonNode components, String formId, List<Field> out, Map<String, String> readonly) {
    for (JsonNode c : components) {
      String type = c.path("type").asText("");
      String where = "form " + formId + ", component " + c.path("id").asText(c.path("key").asText("?"));
      if (c.has("components")) {
        if (c.hasNonNull("path") && !c.path("path").asText().isEmpty()) {
          throw new IllegalArgumentException(where + ": groups with a data path are not supported");
        }
        if (c.has("conditional")) {
          throw new IllegalArgumentException(where + ": conditions on groups are not supported");
        }
        collect(c.path("components"), formId, out, readonly);
      }
      if (!c.hasNonNull("key") || NO_VALUE.contains(type)) {
        continue;
      }
      if (!INPUT_TYPES.contains(type)) {
        throw new IllegalArgumentException(where + ": field type '" + type + "' is not supported by the validator");
      }
      if (c.path("readonly").asBoolean(false) || c.path("disabled").asBoolean(false)) {
        readonly.put(c.path("key").asText(), c.path("label").asText(c.path("key").asText()));
        continue; // shown, not entered: the process's own values
      }
      try {
        out.add(field(c, type));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
  }

  private static Field field(JsonNode c, String type) {
    JsonNode validate = c.path("validate");
    for (Iterator<String> it = validate.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!VALIDATE_KEYS.contains(name)) {
        throw new IllegalArgumentException("validation rule '" + name + "' is not supported");
      }
    }
    String validationType = validate.path("validationType").asText("");
    if (!validationType.isEmpty() && !validationType.equals("email")) {
      throw new IllegalArgumentException("validationType '" + validationType + "' is not supported");
    }
    if (c.hasNonNull("valuesKey") || c.hasNonNull("valuesExpression")) {
      throw new IllegalArgumentException("options from a variable or expression are not supported");
    }
    List<String> options = null;
    String offered = "";
    if (Set.of("radio", "select", "checklist", "taglist").contains(type)) {
      options = new ArrayList<>();
      List<String> choices = new ArrayList<>();
      for (JsonNode option : c.path("values")) {
        options.add(option.path("value").asText());
        String label = option.path("label").asText("");
        choices.add(label.isEmpty() || label.equals(option.path("value").asText())
            ? option.path("value").asText() : option.path("value").asText() + "（" + label + "）");
      }
      offered = String.join("、", choices);
      if (options.isEmpty()) {
        throw new IllegalArgumentException("an options field without static values");
      }
    }
    FeelCondition hide = null;
    JsonNode conditional = c.path("conditional");
    if (conditional.hasNonNull("hide")) {
      hide = FeelCondition.parse(conditional.path("hide").asText());
    }
    String pattern = validate.path("pattern").asText("");
    Pattern compiled;
    try {
      compiled = pattern.isEmpty() ? null : Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("pattern does not compile: " + e.getMessage(), e);
    }
    return new Field(
        c.path("key").asText(),
        c.path("label").asText(c.path("dateLabel").asText(c.path("key").asText())),
        type,
        c.path("subtype").asText(type.equals("datetime") ? "date" : ""),
        validate.path("required").asBoolean(false),
        options == null ? null : List.copyOf(options),
        offered,
        decimal(validate.get("min")),
        decimal(validate.get("max")),
        c.hasNonNull("decimalDigits") ? c.path("decimalDigits").asInt() : null,
        decimal(c.get("increment")),
        validate.hasNonNull("minLength") ? validate.path("minLength").asInt() : null,
        validate.hasNonNull("maxLength") ? validate.path("maxLength").asInt() : null,
        compiled,
        validationType.equals("email"),
        hide);
  }

  private static BigDecimal decimal(JsonNode node) {
    if (node == null || node.isNull() || node.asText().isEmpty()) {
      return null;
    }
    try {
      return new BigDecimal(node.asText());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + node.asText(), e);
    }
  }

  /**
   * Every problem with the values the process will hold once the task completes, one Chinese
   * sentence per field (empty = the input is acceptable). {@code variables} reads a variable as
   * the task sees it (null when absent).
   */
  public List<String> problems(Function<String, Object> variables) {
    List<String> problems = new ArrayList<>();
    for (Field f : fields) {
      boolean hidden = f.hide() != null && f.hide().isTrue(variables);
      Object value = variables.apply(f.key());
      if (isEmpty(value)) {
        if (f.required() && !hidden) {
          problems.add("字段「" + f.label() + "」为必填项，不能为空");
        }
        continue;
      }
      String problem = check(f, value);
      if (problem != null) {
        problems.add(problem);
      }
    }
    return problems;
  }

  private static boolean isEmpty(Object value) {
    return value == null
        || (value instanceof String s && s.isBlank())
        || (value instanceof Collection<?> list && list.isEmpty());
  }

  private static String check(Field f, Object value) {
    String name = "字段「" + f.label() + "」";
    switch (f.type()) {
      case "radio", "select" -> {
        if (!(value instanceof String s) || !f.options().contains(s)) {
          return name + "的取值「" + shown(value) + "」不在表单选项中（可选：" + f.offered() + "）";
        }
      }
      case "checklist", "taglist" -> {
        if (!(value instanceof Collection<?> items)) {
          return name + "应为选项列表，收到「" + shown(value) + "」";
        }
        Set<String> unknown = new LinkedHashSet<>();
        for (Object item : items) {
          if (!(item instanceof String s) || !f.options().contains(s)) {
            unknown.add(shown(item));
          }
        }
        if (!unknown.isEmpty()) {
          return name + "的取值「" + String.join("、", unknown) + "」不在表单选项中（可选：" + f.offered() + "）";
        }
      }
      case "checkbox" -> {
        if (!(value instanceof Boolean) && !"true".equals(value) && !"false".equals(value)) {
          return name + "应为勾选（是/否），收到「" + shown(value) + "」";
        }
      }
      case "number" -> {
        return checkNumber(f, name, value);
      }
      case "datetime" -> {
        return checkDate(f, name, value);
      }
      default -> {
        return checkText(f, name, value);
      }
    }
    return null;
  }

  private static String checkNumber(Field f, String name, Object value) {
    BigDecimal number;
    try {
      number = value instanceof Number n ? new BigDecimal(n.toString())
          : value instanceof String s ? new BigDecimal(s.strip()) : null;
    } catch (NumberFormatException e) {
      number = null;
    }
    if (number == null) {
      return name + "应为数字，收到「" + shown(value) + "」";
    }
    if ((f.min() != null && number.compareTo(f.min()) < 0) || (f.max() != null && number.compareTo(f.max()) > 0)) {
      String range = (f.min() == null ? "" : "不小于 " + f.min().toPlainString())
          + (f.min() != null && f.max() != null ? "、" : "")
          + (f.max() == null ? "" : "不大于 " + f.max().toPlainString());
      return name + "的取值 " + number.stripTrailingZeros().toPlainString() + " 超出允许范围（" + range + "）";
    }
    if (f.decimalDigits() != null && Math.max(0, number.stripTrailingZeros().scale()) > f.decimalDigits()) {
      return name + "的取值 " + number.toPlainString()
          + (f.decimalDigits() == 0 ? " 应为整数" : " 最多保留 " + f.decimalDigits() + " 位小数");
    }
    if (f.increment() != null && f.increment().signum() > 0
        && number.subtract(f.min() == null ? BigDecimal.ZERO : f.min()).remainder(f.increment()).signum() != 0) {
      return name + "的取值 " + number.toPlainString() + " 应为 " + f.increment().toPlainString() + " 的整数倍";
    }
    return null;
  }

  private static String checkDate(Field f, String name, Object value) {
    if (value instanceof Date) {
      return null;
    }
    if (!(value instanceof String s)) {
      return name + "应为日期，收到「" + shown(value) + "」";
    }
    String text = s.strip();
    try {
      switch (f.subtype()) {
        case "time" -> {
          if (text.matches(".*([+-]\\d{2}:\\d{2}|Z)$")) {
            OffsetTime.parse(text);
          } else {
            LocalTime.parse(text);
          }
        }
        case "datetime" -> {
          if (text.matches(".*([+-]\\d{2}:\\d{2}|Z)$")) {
            OffsetDateTime.parse(text);
          } else {
            LocalDateTime.parse(text);
          }
        }
        default -> LocalDate.parse(text);
      }
    } catch (DateTimeParseException e) {
      String format = switch (f.subtype()) {
        case "time" -> "时:分";
        case "datetime" -> "年-月-日T时:分";
        default -> "年-月-日，如 2026-03-31";
      };
      return name + "的取值「" + shown(value) + "」不是有效的日期（格式：" + format + "）";
    }
    return null;
  }

  private static String checkText(Field f, String name, Object value) {
    if (value instanceof Collection<?> || value instanceof java.util.Map<?, ?>) {
      return name + "应为文字，收到「" + shown(value) + "」";
    }
    String text = String.valueOf(value);
    if (f.minLength() != null && text.length() < f.minLength()) {
      return name + "至少需要 " + f.minLength() + " 个字符（现为 " + text.length() + " 个）";
    }
    if (f.maxLength() != null && text.length() > f.maxLength()) {
      return name + "最多 " + f.maxLength() + " 个字符（现为 " + text.length() + " 个）";
    }
    if (f.pattern() != null && !f.pattern().matcher(text).find()) {
      return name + "的取值「" + shown(value) + "」不符合要求的格式";
    }
    if (f.email() && !EMAIL.matcher(text).matches()) {
      return name + "的取值「" + shown(value) + "」不是有效的电子邮件地址";
    }
    return null;
  }

  private static String shown(Object value) {
    String text = String.valueOf(value);
    return text.length() <= SHOWN_VALUE_CHARS ? text : text.substring(0, SHOWN_VALUE_CHARS) + "…";
  }
}
