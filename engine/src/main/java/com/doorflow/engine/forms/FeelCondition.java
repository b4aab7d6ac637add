package com.doorflow.engine.forms;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The small part of FEEL that our forms' {@code conditional.hide} expressions use, evaluated the
 * way form-js does (a field is hidden only when the expression is exactly {@code true}):
 * comparisons ({@code = != < <= > >=}) of variables and literals (strings, numbers, true, false,
 * null), {@code and}, {@code or}, {@code not(…)} and parentheses. Anything else is refused when the
 * form is parsed (at deployment), so an expression the engine cannot evaluate never silently
 * changes which fields are required.
 */
public final class FeelCondition {

  private sealed interface Node permits Literal, Variable, Compare, Logic, Not {}

  private record Literal(Object value) implements Node {}

  private record Variable(String name) implements Node {}

  private record Compare(String op, Node left, Node right) implements Node {}

  private record Logic(boolean and, Node left, Node right) implements Node {}

  private record Not(Node operand) implements Node {}

  private final String source;
  private final Node root;

  private FeelCondition(String source, Node root) {
    this.source = source;
    this.root = root;
  }

  /** Parses a form-js expression ("=a != \"no\""); throws IllegalArgumentException on anything outside the subset. */
  public static FeelCondition parse(String expression) {
    String text = expression.strip();
    if (!text.startsWith("=")) {
      throw new IllegalArgumentException("not a FEEL expression (must start with '='): " + expression);
    }
    Parser parser = new Parser(tokenize(text.substring(1), expression));
    Node root = parser.or();
    if (parser.pos != parser.tokens.size()) {
      throw new IllegalArgumentException("unsupported FEEL near '" + parser.tokens.get(parser.pos) + "' in " + expression);
    }
    return new FeelCondition(expression, root);
  }

  public String source() {
    return source;
  }

  /** True only when the expression evaluates to boolean true (form-js hides a field only then). */
  public boolean isTrue(Function<String, Object> variables) {
    return Boolean.TRUE.equals(eval(root, variables));
  }

  private static Object eval(Node node, Function<String, Object> vars) {
    if (node instanceof Literal l) {
      return l.value();
    }
    if (node instanceof Variable v) {
      return normalize(vars.apply(v.name()));
    }
    if (node instanceof Not n) {
      Object value = eval(n.operand(), vars);
      return value instanceof Boolean b ? (Object) !b : null;
    }
    if (node instanceof Logic l) {
      Object left = eval(l.left(), vars);
      Object right = eval(l.right(), vars);
      // FEEL three-valued logic: false wins an "and", true wins an "or", otherwise null.
      Boolean decisive = l.and() ? Boolean.FALSE : Boolean.TRUE;
      if (decisive.equals(left) || decisive.equals(right)) {
        return decisive;
      }
      return Boolean.valueOf(!decisive).equals(left) && Boolean.valueOf(!decisive).equals(right) ? !decisive : null;
    }
    Compare c = (Compare) node;
    return compare(c.op(), eval(c.left(), vars), eval(c.right(), vars));
  }

  /** Numbers of any Java type compare as decimals; everything else as it is. */
  private static Object normalize(Object value) {
    if (value instanceof Number n) {
      return new BigDecimal(n.toString());
    }
    return value;
  }

  private static Object compare(String op, Object left, Object right) {
    if (op.equals("=") || op.equals("!=")) {
      boolean equal;
      if (left instanceof BigDecimal a && right instanceof BigDecimal b) {
        equal = a.compareTo(b) == 0;
      } else {
        equal = Objects.equals(left, right);
      }
      return op.equals("=") == equal;
    }
    int order;
    if (left instanceof BigDecimal a && right instanceof BigDecimal b) {
      order = a.compareTo(b);
    } else if (left instanceof String a && right instanceof String b) {
      order = a.compareTo(b);
    } else {
      return null; // FEEL: comparing null or different types gives null
    }
    return switch (op) {
      case "<" -> order < 0;
      case "<=" -> order <= 0;
      case ">" -> order > 0;
      case ">=" -> order >= 0;
      default -> throw new IllegalStateException(op);
    };
  }

  // --- tokens and grammar -------------------------------------------------------------------

  private static List<String> tokenize(String text, String expression) {
    List<String> tokens = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '"') {
        int end = text.indexOf('"', i + 1);
        if (end < 0 || text.substring(i + 1, end).contains("\\")) {
          throw new IllegalArgumentException("unsupported string literal in " + expression);
        }
        tokens.add(text.substring(i, end + 1));
        i = end + 1;
      } else if (c == '(' || c == ')') {
        tokens.add(String.valueOf(c));
        i++;
      } else if (c == '!' || c == '<' || c == '>') {
        boolean withEq = i + 1 < text.length() && text.charAt(i + 1) == '=';
        if (c == '!' && !withEq) {
          throw new IllegalArgumentException("unsupported operator '!' in " + expression);
        }
        tokens.add(withEq ? c + "=" : String.valueOf(c));
        i += withEq ? 2 : 1;
      } else if (c == '=') {
        tokens.add("=");
        i++;
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.') {
        int start = i;
        while (i < text.length()
            && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == '_' || text.charAt(i) == '.'
                || (i == start && text.charAt(i) == '-'))) {
          i++;
        }
        tokens.add(text.substring(start, i));
      } else {
        throw new IllegalArgumentException("unsupported character '" + c + "' in " + expression);
      }
    }
    return tokens;
  }

  private static final class Parser {
    final List<String> tokens;
    int pos;

    Parser(List<String> tokens) {
      this.tokens = tokens;
    }

    String peek() {
      return pos < tokens.size() ? tokens.get(pos) : null;
    }

    String next(String what) {
      if (pos >= tokens.size()) {
        throw new IllegalArgumentException("FEEL expression ends where " + what + " was expected");
      }
      return tokens.get(pos++);
    }

    Node or() {
      Node left = and();
      while ("or".equals(peek())) {
        pos++;
        left = new Logic(false, left, and());
      }
      return left;
    }

    Node and() {
      Node left = comparison();
      while ("and".equals(peek())) {
        pos++;
        left = new Logic(true, left, comparison());
      }
      return left;
    }

    Node comparison() {
      Node left = primary();
      String op = peek();
      if (op != null && List.of("=", "!=", "<", "<=", ">", ">=").contains(op)) {
        pos++;
        return new Compare(op, left, primary());
      }
      return left;
    }

    Node primary() {
      String token = next("a value");
      if (token.equals("(")) {
        Node inner = or();
        expect(")");
        return inner;
      }
      if (token.equals("not") && "(".equals(peek())) {
        pos++;
        Node inner = or();
        expect(")");
        return new Not(inner);
      }
      if (token.startsWith("\"")) {
        return new Literal(token.substring(1, token.length() - 1));
      }
      switch (token) {
        case "true" -> {
          return new Literal(true);
        }
        case "false" -> {
          return new Literal(false);
        }
        case "null" -> {
          return new Literal(null);
        }
        default -> {
          // fall through to numbers and names
        }
      }
      if (token.matches("-?\\d+(\\.\\d+)?")) {
        return new Literal(new BigDecimal(token));
      }
      if (token.matches("[A-Za-z_][A-Za-z0-9_]*") && !List.of("and", "or", "not", "if", "then", "else",
          "for", "in", "some", "every", "satisfies", "between", "instance", "of", "function").contains(token)) {
        return new Variable(token);
      }
      throw new IllegalArgumentException("unsupported FEEL token '" + token + "'");
    }

    void expect(String token) {
      String got = next("'" + token + "'");
      if (!got.equals(token)) {
        throw new IllegalArgumentException("expected '" + token + "' but found '" + got + "'");
      }
    }
  }
}
