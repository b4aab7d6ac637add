package com.doorflow.engine.wall;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.operaton.bpm.engine.ProcessEngine;
import org.operaton.bpm.engine.impl.identity.Authentication;
import org.springframework.beans.factory.ObjectProvider;

/**
 * The wall's HTTP side, on /engine-rest/* and the web apps' /operaton/api/*:
 * <ul>
 *   <li>a request body above {@code doorflow.wall.max-request-bytes} (deployments:
 *       {@code max-deployment-bytes}) is answered 413 before it is read: by its Content-Length, or,
 *       when it is streamed without one, after counting at most that many bytes;</li>
 *   <li>an error answer to a person (see {@link WallPolicy}) names no instance, task or other id
 *       than those of the request itself, and the engine's English prefix ("Cannot complete task
 *       …:") does not precede a Chinese reason.</li>
 * </ul>
 */
public class RequestWall implements Filter {

  private static final Pattern UUID = Pattern.compile(
      "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern ENGLISH_PREFIX = Pattern.compile(
      "Cannot (?:complete task|submit task form|instantiate process definition|submit start form) [^:\"]*: (?=[^\\x00-\\x7F])");

  private final WallPolicy policy;
  private final ObjectProvider<ProcessEngine> engine;

  public RequestWall(WallPolicy policy, ObjectProvider<ProcessEngine> engine) {
    this.policy = policy;
    this.engine = engine;
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    long limit = request.getRequestURI().endsWith("/deployment/create") ? policy.maxDeploymentBytes() : policy.maxRequestBytes();
    long declared = request.getContentLengthLong();
    if (declared > limit) {
      tooLarge(response, limit);
      return;
    }
    HttpServletRequest passed = request;
    if (declared < 0 && streamsBody(request)) {
      byte[] body = readAtMost(request.getInputStream(), limit);
      if (body == null) {
        tooLarge(response, limit);
        return;
      }
      passed = new CachedBody(request, body);
    }
    Answer answer = new Answer(response);
    chain.doFilter(passed, answer);
    answer.finish(request);
  }

  private static boolean streamsBody(HttpServletRequest request) {
    String method = request.getMethod();
    return ("POST".equals(method) || "PUT".equals(method) || "PATCH".equals(method) || "DELETE".equals(method))
        && request.getHeader("Transfer-Encoding") != null;
  }

  /** The body, or null when it is longer than {@code limit} (reading stops there). */
  private static byte[] readAtMost(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    long total = 0;
    for (int n; (n = in.read(buffer)) != -1; ) {
      total += n;
      if (total > limit) {
        return null;
      }
      out.write(buffer, 0, n);
    }
    return out.toByteArray();
  }

  private static void tooLarge(HttpServletResponse response, long limit) throws IOException {
    response.setStatus(413);
    response.setHeader("Connection", "close");
    response.setContentType("application/json;charset=UTF-8");
    String message = "不允许：请求体超过上限 " + limit + " 字节（" + (limit / 1024) + " KiB），未读取";
    response.getOutputStream().write(("{\"type\":\"RequestTooLarge\",\"message\":\"" + message + "\"}")
        .getBytes(StandardCharsets.UTF_8));
  }

  private boolean personIsAsking() {
    ProcessEngine processEngine = engine.getIfAvailable();
    if (processEngine == null) {
      return true;
    }
    Authentication current = processEngine.getIdentityService().getCurrentAuthentication();
    return current == null || policy.isPerson(current);
  }

  /** The error text for a person: ids the request did not name become "…"; no English prefix before Chinese. */
  static String sanitize(String body, String requested) {
    Matcher m = UUID.matcher(body);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, requested.contains(m.group()) ? m.group() : "…");
    }
    m.appendTail(out);
    return ENGLISH_PREFIX.matcher(out.toString()).replaceAll("");
  }

  /** Passes successful answers through; holds error answers back until the chain returns. */
  private final class Answer extends HttpServletResponseWrapper {
    private ByteArrayOutputStream held;
    private ServletOutputStream stream;
    private PrintWriter writer;
    private long length = -1;
    private boolean person;

    Answer(HttpServletResponse response) {
      super(response);
    }

    private boolean holding() {
      if (held == null && getStatus() >= 400) {
        held = new ByteArrayOutputStream();
        person = personIsAsking(); // still inside the authentication filters here
      }
      return held != null;
    }

    @Override
    public void setContentLength(int len) {
      length = len;
    }

    @Override
    public void setContentLengthLong(long len) {
      length = len;
    }

    @Override
    public void setHeader(String name, String value) {
      if ("Content-Length".equalsIgnoreCase(name)) {
        length = Long.parseLong(value);
      } else {
        super.setHeader(name, value);
      }
    }

    @Override
    public void addHeader(String name, String value) {
      if ("Content-Length".equalsIgnoreCase(name)) {
        length = Long.parseLong(value);
      } else {
        super.addHeader(name, value);
      }
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      if (stream != null) {
        return stream;
      }
      if (!holding()) {
        if (length >= 0) {
          super.setContentLengthLong(length);
        }
        stream = super.getOutputStream();
        return stream;
      }
      stream = new ServletOutputStream() {
        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setWriteListener(WriteListener listener) {
          throw new UnsupportedOperationException();
        }

        @Override
        public void write(int b) {
          held.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          held.write(b, off, len);
        }
      };
      return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      if (writer == null) {
        writer = new PrintWriter(new java.io.OutputStreamWriter(getOutputStream(), StandardCharsets.UTF_8), false);
      }
      return writer;
    }

    @Override
    public void flushBuffer() throws IOException {
      if (writer != null) {
        writer.flush();
      }
      if (held == null) {
        super.flushBuffer();
      }
    }

    void finish(HttpServletRequest request) throws IOException {
      if (writer != null) {
        writer.flush();
      }
      if (held == null) {
        if (stream == null && length >= 0 && !isCommitted()) {
          super.setContentLengthLong(length);
        }
        return;
      }
      byte[] body = held.toByteArray();
      String text = new String(body, StandardCharsets.UTF_8);
      String requested = request.getRequestURI() + "?" + (request.getQueryString() == null ? "" : request.getQueryString());
      String shown = person ? sanitize(text, requested) : ENGLISH_PREFIX.matcher(text).replaceAll("");
      byte[] out = shown.getBytes(StandardCharsets.UTF_8);
      HttpServletResponse real = (HttpServletResponse) getResponse();
      real.setContentLengthLong(out.length);
      real.getOutputStream().write(out);
    }
  }

  private static final class CachedBody extends HttpServletRequestWrapper {
    private final byte[] body;

    CachedBody(HttpServletRequest request, byte[] body) {
      super(request);
      this.body = body;
    }

    @Override
    public long getContentLengthLong() {
      return body.length;
    }

    @Override
    public int getContentLength() {
      return body.length;
    }

    @Override
    public ServletInputStream getInputStream() {
      ByteArrayInputStream in = new ByteArrayInputStream(body);
      return new ServletInputStream() {
        @Override
        public boolean isFinished() {
          return in.available() == 0;
        }

        @Override
        public boolean isReady() {
          return true;
        }

        @Override
        public void setReadListener(ReadListener listener) {
          throw new UnsupportedOperationException();
        }

        @Override
        public int read() {
          return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
          return in.read(b, off, len);
        }
      };
    }
  }
}
