package com.doorflow.engine;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.operaton.bpm.engine.AuthorizationService;
import org.operaton.bpm.engine.FilterService;
import org.operaton.bpm.engine.IdentityService;
import org.operaton.bpm.engine.ProcessEngine;
import org.operaton.bpm.engine.TaskService;
import org.operaton.bpm.engine.authorization.Authorization;
import org.operaton.bpm.engine.authorization.Permission;
import org.operaton.bpm.engine.authorization.Resources;
import org.operaton.bpm.engine.filter.Filter;
import org.operaton.bpm.engine.identity.Group;
import org.operaton.bpm.engine.identity.User;
import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.persistence.entity.UserEntity;
import org.operaton.bpm.engine.impl.util.ResourceTypeUtil;
import org.operaton.bpm.engine.task.TaskQuery;
import org.operaton.bpm.spring.boot.starter.util.SpringBootProcessEnginePlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Groups, users, task filters and authorizations from one declarative file
 * (doorflow-identity.json in the jar, or the file named by doorflow.identity-file), applied when
 * the engine is built, before the web server answers. Idempotent: what exists is kept (names
 * updated), what is missing is added, passwords are re-set only when the environment's differs.
 * Passwords never live in the file: each user names the environment variable holding its password.
 * Nodes of a cluster may start together: a conflicting write is retried, and the retry then
 * finds the other node's rows.
 */
@Component
public class IdentityBootstrap extends SpringBootProcessEnginePlugin {

  private static final Logger LOG = LoggerFactory.getLogger(IdentityBootstrap.class);

  /** Local/demo defaults of the password variables; set the variables in any real installation. */
  static final Map<String, String> PASSWORD_DEFAULTS = Map.of(
      "DOORFLOW_ENGINE_ADMIN_PASSWORD", "admin",
      "DOORFLOW_ENGINE_SYSTEM_PASSWORD", "doorflow",
      "DOORFLOW_DEMO_PASSWORD", "demo",
      // service users of other systems (demo-only defaults, as doorflow/identity.py PASSWORD_DEFAULTS)
      "DOORFLOW_SHOP_PASSWORD", "shop-demo",
      "DOORFLOW_CRM_PASSWORD", "crm-demo",
      "DOORFLOW_FINANCE_PASSWORD", "finance-demo",
      "DOORFLOW_HOTLINE_PASSWORD", "hotline-demo",
      "DOORFLOW_WAREHOUSE_PASSWORD", "warehouse-demo",
      "DOORFLOW_LOGISTICS_PASSWORD", "logistics-demo");

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record GroupDef(String id, String name, String type) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record UserDef(String id, String firstName, String lastName, String email, List<String> groups,
      String passwordEnv) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record FilterDef(String name, String description, Integer priority, Map<String, Object> query,
      List<String> groups) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record AuthorizationDef(List<String> groups, String resource, List<String> resourceIds,
      List<String> permissions) {}

  @JsonIgnoreProperties(ignoreUnknown = true)
  public record IdentityFile(List<GroupDef> groups, List<UserDef> users, List<FilterDef> filters,
      List<AuthorizationDef> authorizations) {}

  private final Environment env;

  public IdentityBootstrap(Environment env) {
    this.env = env;
  }

  @Override
  public void postProcessEngineBuild(ProcessEngine engine) {
    IdentityFile file = read();
    for (int attempt = 1; ; attempt++) {
      try {
        apply(engine, file);
        return;
      } catch (RuntimeException e) {
        if (attempt >= 5) {
          throw e;
        }
        LOG.warn("identity bootstrap attempt {} failed ({}), retrying", attempt, e.toString());
        try {
          Thread.sleep(200L * attempt + (long) (Math.random() * 300));
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  IdentityFile read() {
    String location = env.getProperty("doorflow.identity-file", "");
    try (InputStream in = location.isBlank()
        ? IdentityBootstrap.class.getResourceAsStream("/doorflow-identity.json")
        : Files.newInputStream(Path.of(location))) {
      if (in == null) {
        throw new IllegalStateException("doorflow-identity.json is missing from the application");
      }
      return new ObjectMapper().readValue(in, IdentityFile.class);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read identity file " + (location.isBlank() ? "doorflow-identity.json" : location), e);
    }
  }

  private void apply(ProcessEngine engine, IdentityFile file) {
    IdentityService identity = engine.getIdentityService();
    int created = 0;
    for (GroupDef def : nonNull(file.groups())) {
      Group group = identity.createGroupQuery().groupId(def.id()).singleResult();
      if (group == null) {
        group = identity.newGroup(def.id());
        created++;
      } else if (Objects.equals(group.getName(), def.name()) && Objects.equals(group.getType(), def.type())) {
        continue;
      }
      group.setName(def.name());
      group.setType(def.type());
      identity.saveGroup(group);
    }
    for (UserDef def : nonNull(file.users())) {
      created += applyUser(engine, def);
    }
    for (FilterDef def : nonNull(file.filters())) {
      created += applyFilter(engine, def);
    }
    for (AuthorizationDef def : nonNull(file.authorizations())) {
      // "*" = every resource type (the admin group: Operaton checks authorizations for admins too).
      List<Resources> resources = "*".equals(def.resource())
          ? List.of(Resources.values()) : List.of(Resources.valueOf(def.resource()));
      for (String group : nonNull(def.groups())) {
        for (Resources resource : resources) {
          for (String resourceId : nonNull(def.resourceIds())) {
            created += grant(engine.getAuthorizationService(), group, resource, resourceId, def.permissions());
          }
        }
      }
    }
    LOG.info("identity bootstrap: {} groups, {} users, {} filters checked; {} items created",
        nonNull(file.groups()).size(), nonNull(file.users()).size(), nonNull(file.filters()).size(), created);
  }

  private int applyUser(ProcessEngine engine, UserDef def) {
    IdentityService identity = engine.getIdentityService();
    String password = password(def);
    User user = identity.createUserQuery().userId(def.id()).singleResult();
    boolean isNew = user == null;
    if (isNew) {
      user = identity.newUser(def.id());
      user.setPassword(password);
    }
    boolean changed = isNew
        || !Objects.equals(user.getFirstName(), def.firstName())
        || !Objects.equals(user.getLastName(), def.lastName())
        || !Objects.equals(user.getEmail(), def.email());
    if (!isNew && !passwordMatches(engine, user, password)) {
      user.setPassword(password);
      changed = true;
    }
    if (changed) {
      user.setFirstName(def.firstName());
      user.setLastName(def.lastName());
      user.setEmail(def.email());
      identity.saveUser(user);
    }
    // A locked-out account (too many wrong passwords) is usable again after a restart.
    if (user instanceof UserEntity entity && entity.getLockExpirationTime() != null) {
      identity.unlockUser(def.id());
    }
    int created = isNew ? 1 : 0;
    for (String groupId : nonNull(def.groups())) {
      if (identity.createUserQuery().userId(def.id()).memberOfGroup(groupId).count() == 0) {
        identity.createMembership(def.id(), groupId);
        created++;
      }
    }
    return created;
  }

  private String password(UserDef def) {
    String variable = def.passwordEnv();
    if (variable == null || variable.isBlank()) {
      throw new IllegalStateException("user " + def.id() + " has no passwordEnv in the identity file");
    }
    String value = env.getProperty(variable, PASSWORD_DEFAULTS.getOrDefault(variable, ""));
    if (value.isBlank()) {
      throw new IllegalStateException("user " + def.id() + ": environment variable " + variable + " is not set");
    }
    return value;
  }

  /** Compares without IdentityService.checkPassword, which would count a mismatch as a failed login. */
  private static boolean passwordMatches(ProcessEngine engine, User user, String password) {
    if (!(user instanceof UserEntity entity) || entity.getPassword() == null) {
      return false;
    }
    String salted = entity.getSalt() == null ? password : password + entity.getSalt();
    ProcessEngineConfigurationImpl config = (ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration();
    try {
      return config.getPasswordManager().check(salted, entity.getPassword());
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static int applyFilter(ProcessEngine engine, FilterDef def) {
    FilterService filters = engine.getFilterService();
    Filter filter = filters.createFilterQuery().filterName(def.name()).list().stream().findFirst().orElse(null);
    int created = 0;
    if (filter == null) {
      TaskService tasks = engine.getTaskService();
      TaskQuery query = tasks.createTaskQuery();
      Map<String, Object> q = def.query() == null ? Map.of() : def.query();
      for (Map.Entry<String, Object> e : q.entrySet()) {
        switch (e.getKey()) {
          case "assigneeExpression" -> query.taskAssigneeExpression(String.valueOf(e.getValue()));
          case "candidateGroupsExpression" -> query.taskCandidateGroupInExpression(String.valueOf(e.getValue()));
          case "candidateUserExpression" -> query.taskCandidateUserExpression(String.valueOf(e.getValue()));
          case "includeAssignedTasks" -> {
            if (Boolean.TRUE.equals(e.getValue())) {
              query.includeAssignedTasks();
            }
          }
          default -> throw new IllegalStateException("filter " + def.name() + ": unsupported query key " + e.getKey());
        }
      }
      Map<String, Object> properties = new LinkedHashMap<>();
      properties.put("description", def.description());
      properties.put("priority", def.priority() == null ? 0 : def.priority());
      properties.put("refresh", true);
      filter = filters.newTaskFilter(def.name()).setQuery(query).setProperties(properties);
      filter = filters.saveFilter(filter);
      created++;
    }
    for (String group : nonNull(def.groups())) {
      created += grant(engine.getAuthorizationService(), group, Resources.FILTER, filter.getId(), List.of("READ"));
    }
    return created;
  }

  /** Adds the missing permissions to the group's GRANT on the resource; returns 1 when it created one. */
  private static int grant(AuthorizationService authorizations, String group, Resources resource, String resourceId,
      List<String> permissionNames) {
    Authorization auth = authorizations.createAuthorizationQuery()
        .authorizationType(Authorization.AUTH_TYPE_GRANT)
        .groupIdIn(group).resourceType(resource).resourceId(resourceId)
        .list().stream().findFirst().orElse(null);
    boolean isNew = auth == null;
    if (isNew) {
      auth = authorizations.createNewAuthorization(Authorization.AUTH_TYPE_GRANT);
      auth.setGroupId(group);
      auth.setResource(resource);
      auth.setResourceId(resourceId);
    }
    boolean changed = isNew;
    for (String name : nonNull(permissionNames)) {
      Permission permission = ResourceTypeUtil.getPermissionByNameAndResourceType(name, resource.resourceType());
      if (!auth.isPermissionGranted(permission)) {
        auth.addPermission(permission);
        changed = true;
      }
    }
    if (changed) {
      authorizations.saveAuthorization(auth);
    }
    return isNew ? 1 : 0;
  }

  private static <T> List<T> nonNull(List<T> list) {
    return list == null ? List.of() : list;
  }
}
