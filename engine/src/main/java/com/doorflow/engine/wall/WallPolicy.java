package com.doorflow.engine.wall;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private final Map<String, String> handoverManagers;

  public WallPolicy(
      @Value("${doorflow.wall.privileged-groups:operaton-admin}") String privilegedGroups,
      @Value("${doorflow.wall.max-request-bytes:1048576}") long maxRequestBytes,
      @Value("${doorflow.wall.max-deployment-bytes:16777216}") long maxDeploymentBytes,
      @Value("${doorflow.wall.handover-managers:}") String handoverManagers) {
    this.privilegedGroups = Arrays.stream(privilegedGroups.split(",")).map(String::strip)
        .filter(s -> !s.isEmpty()).toList();
    this.maxRequestBytes = maxRequestBytes;
    this.maxDeploymentBytes = maxDeploymentBytes;
    Map<String, String> managers = new LinkedHashMap<>();
    for (String pair : handoverManagers.split(",")) {
      String[] parts = pair.split("=");
      if (parts.length == 2 && !parts[0].isBlank() && !parts[1].isBlank()) {
        managers.put(parts[0].strip(), parts[1].strip());
      }
    }
    this.handoverManagers = Map.copyOf(managers);
  }

  /**
   * Task group → the group whose members may hand that group's tasks to another member of it
   * ("sales=sales-manager,service=service-supervisor"). Empty (the default): nobody hands tasks over.
   */
  public Map<String, String> handoverManagers() {
    return handoverManagers;
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
