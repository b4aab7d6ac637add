package com.doorflow.engine;

import java.util.Map;
import org.operaton.bpm.engine.IdentityService;
import org.operaton.bpm.engine.ProcessEngine;
import org.operaton.bpm.engine.authorization.Groups;
import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.identity.Authentication;
import org.operaton.bpm.engine.impl.jobexecutor.JobExecutor;
import org.operaton.bpm.engine.impl.util.ClockUtil;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * Tests only (doorflow.clock-control=true, otherwise the path is 404): moves the engine clock so
 * timers fall due without waiting. PUT sets an offset, so time keeps running from the new instant.
 * The clock is per JVM: clock tests run against a single node.
 */
@RestController
@RequestMapping("/doorflow/clock")
@ConditionalOnProperty(name = "doorflow.clock-control", havingValue = "true")
public class ClockController {

  /** PUT body: the instant the engine's "now" should be. */
  public record ClockRequest(Long epochMillis) {}

  private final ProcessEngine engine;

  public ClockController(ProcessEngine engine) {
    this.engine = engine;
  }

  @GetMapping
  public Map<String, Object> get() {
    requireAdmin();
    return state();
  }

  @PutMapping
  public Map<String, Object> set(@RequestBody ClockRequest request) {
    requireAdmin();
    if (request == null || request.epochMillis() == null) {
      throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "body must be {\"epochMillis\": <long>}");
    }
    ClockUtil.offset(request.epochMillis() - System.currentTimeMillis());
    wakeJobExecutor();
    return state();
  }

  @DeleteMapping
  public Map<String, Object> reset() {
    requireAdmin();
    ClockUtil.reset();
    wakeJobExecutor();
    return state();
  }

  private static Map<String, Object> state() {
    long now = ClockUtil.now().getTime();
    return Map.of("epochMillis", now, "offsetMillis", now - System.currentTimeMillis());
  }

  /** Timers that became due should not wait for the idle back-off. */
  private void wakeJobExecutor() {
    JobExecutor executor =
        ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration()).getJobExecutor();
    if (executor != null && executor.isActive()) {
      executor.jobWasAdded();
    }
  }

  /** The basic-auth filter has set the user; the clock is for admins (the doorflow service user). */
  private void requireAdmin() {
    IdentityService identity = engine.getIdentityService();
    Authentication auth = identity.getCurrentAuthentication();
    if (auth == null) {
      throw new ResponseStatusException(HttpStatus.UNAUTHORIZED);
    }
    if (auth.getGroupIds() == null || !auth.getGroupIds().contains(Groups.OPERATON_ADMIN)) {
      throw new ResponseStatusException(HttpStatus.FORBIDDEN, "the clock needs group " + Groups.OPERATON_ADMIN);
    }
  }
}
