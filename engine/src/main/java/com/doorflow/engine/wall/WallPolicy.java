package com.doorflow.engine.wall;

import java.util.Arrays;
import java.util.List;
import org.operaton.bpm.engine.impl.identity.Authentication;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Who meets the engine's wall. A "person" is any authenticated caller outside the privileged
 * groups (operaton-admin: the administrators and the system user doorflow that the workers and
 * the API use). Calls without an authentication (the job executor, the engine's own start-up,
 * the login check itself) are the engine's own work and pass.
 */
@Component
public class WallPolicy {

  private final List<String> privilegedGroups;
  private final long maxRequestBytes;
  private final long maxDeploymentBytes;

  public WallPolicy(
      @Value("${doorflow.wall.privileged-groups:operaton-admin}") String privilegedGroups,
      @Value("${doorflow.wall.max-request-bytes:1048576}") long maxRequestBytes,
      @Value("${doorflow.wall.max-deployment-bytes:16777216}") long maxDeploymentBytes) {
    this.privilegedGroups = Arrays.stream(privilegedGroups.split(",")).map(String::strip)
        .filter(s -> !s.isEmpty()).toList();
    this.maxRequestBytes = maxRequestBytes;
    this.maxDeploymentBytes = maxDeploymentBytes;
  }

  /** True for an authenticated caller who is not in a privileged group. */
  public boolean isPerson(Authentication authentication) {
    if (authentication == null || authentication.getUserId() == null) {
      return false;
    }
    List<String> groups = authentication.getGroupIds();
    return groups == null || groups.stream().noneMatch(privilegedGroups::contains);
  }

  public long maxRequestBytes() {
    return maxRequestBytes;
  }

  public long maxDeploymentBytes() {
    return maxDeploymentBytes;
  }
}
