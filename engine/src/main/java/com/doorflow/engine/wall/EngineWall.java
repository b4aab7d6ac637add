package com.doorflow.engine.wall;

import com.doorflow.engine.forms.FormSchema;
import com.doorflow.engine.forms.TaskInputPlugin;
import com.doorflow.engine.forms.TaskInputRefused;
import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.operaton.bpm.engine.AuthorizationException;
import org.operaton.bpm.engine.impl.ProcessInstantiationBuilderImpl;
import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.context.Context;
import org.operaton.bpm.engine.impl.identity.Authentication;
import org.operaton.bpm.engine.impl.interceptor.Command;
import org.operaton.bpm.engine.impl.interceptor.CommandInterceptor;
import org.operaton.bpm.engine.impl.persistence.deploy.cache.DeploymentCache;
import org.operaton.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.operaton.bpm.engine.impl.persistence.entity.TaskEntity;
import org.operaton.bpm.engine.variable.VariableMap;
import org.operaton.bpm.engine.variable.type.ValueType;
import org.operaton.bpm.engine.variable.value.TypedValue;
import org.operaton.bpm.spring.boot.starter.util.SpringBootProcessEnginePlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The engine refuses, whoever asks: one command interceptor in front of every engine command, so
 * Tasklist (/operaton/api/engine), the REST API (/engine-rest) and any script meet the same wall.
 * A person (see {@link WallPolicy}) may, on a task of their groups (the engine's authorizations
 * still decide which tasks those are): read it, claim it for themselves and unclaim their own
 * claim, complete it with exactly its form's fields (read-only ones unchanged), and comment. A
 * person starts a process only through its start form, with only the start form's fields (so
 * {@code initiator} and every other "who did it" come from the engine). Every other command that
 * changes something is refused with a 403 naming what is not allowed, in Chinese. Reads pass:
 * the authorizations decide what a person sees.
 */
@Component
public class EngineWall extends SpringBootProcessEnginePlugin {

  private static final Logger LOG = LoggerFactory.getLogger(EngineWall.class);

  /** Commands that change something (engine command class names, see org.operaton.bpm.engine.impl.cmd). */
  static final Pattern CHANGES = Pattern.compile("^(Set|Save|Delete|Remove|Patch|Update|Add|Assign|Delegate|Resolve"
      + "|Handle|Suspend|Activate|Modify|Restart|Correlate|Signal|MessageEventReceived|Unlock|LockExternalTask|Purge"
      + "|Deploy|Register|Unregister|Telemetry|Recalculate|Fetch|Complete|Claim|Submit|Start|Create|JobRetry"
      + "|ExtendLock|ProcessInstanceModification|Evaluate|TransitionInstan|ActivityAfterInstantiation"
      + "|ActivityBeforeInstantiation|ActivityCancellation|ActivityInstanceCancellation|ReportDbMetrics|HistoryCleanup"
      + "|ExecuteJobs|Migrat|DefaultJobRetry|Clear|Reset|Manual|Disable|Reenable|Close|Terminate|StateTransition"
      + "|Abstract|Configure)");

  private static final java.util.Set<String> READS_TASK_VARIABLES = java.util.Set.of("GetTaskVariablesCmd",
      "GetTaskFormVariablesCmd", "GetTaskVariableCmd", "GetTaskVariableCmdTyped");

  private final WallPolicy policy;
  private final TaskInputPlugin forms;
  private ProcessEngineConfigurationImpl config;
  /** Set while the wall runs its own look-ups (nested commands it starts itself). */
  private final ThreadLocal<Boolean> inside = ThreadLocal.withInitial(() -> false);

  public EngineWall(WallPolicy policy, TaskInputPlugin forms) {
    this.policy = policy;
    this.forms = forms;
  }

  @Override
  public void preInit(ProcessEngineConfigurationImpl configuration) {
    this.config = configuration;
    List<CommandInterceptor> required = new ArrayList<>(nonNull(configuration.getCustomPreCommandInterceptorsTxRequired()));
    required.add(0, new Wall());
    configuration.setCustomPreCommandInterceptorsTxRequired(required);
    List<CommandInterceptor> requiresNew = new ArrayList<>(nonNull(configuration.getCustomPreCommandInterceptorsTxRequiresNew()));
    requiresNew.add(0, new Wall());
    configuration.setCustomPreCommandInterceptorsTxRequiresNew(requiresNew);
  }

  private static <T> List<T> nonNull(List<T> list) {
    return list == null ? List.of() : list;
  }

  private final class Wall extends CommandInterceptor {
    @Override
    public <T> T execute(Command<T> command) {
      // Only the outermost command is the caller's; nested ones are the engine's own work.
      if (Context.getCommandContext() != null || inside.get() || config == null) {
        return next.execute(command);
      }
      Authentication caller = config.getIdentityService().getCurrentAuthentication();
      if (!policy.isPerson(caller)) {
        return next.execute(command);
      }
      check(command, caller);
      return shown(command, next.execute(command));
    }
  }

  /** What a person reads of a task's variables: those its form shows. */
  @SuppressWarnings("unchecked")
  <T> T shown(Command<T> command, T result) {
    String name = simpleName(command.getClass());
    if (!READS_TASK_VARIABLES.contains(name) || result == null) {
      return result;
    }
    Object taskId = name.equals("GetTaskFormVariablesCmd") ? field(command, "resourceId") : field(command, "taskId");
    FormSchema schema = internal(context -> {
      TaskEntity task = context.getTaskManager().findTaskById(String.valueOf(taskId));
      return task == null ? null : forms.schemaOf(task);
    });
    if (result instanceof VariableMap variables) {
      variables.keySet().removeIf(key -> schema == null || !schema.mayShow(key));
      return result;
    }
    Object variableName = field(command, "variableName");
    return schema != null && schema.mayShow(String.valueOf(variableName)) ? result : null;
  }

  // --- the rules --------------------------------------------------------------------------------

  void check(Command<?> command, Authentication caller) {
    String name = simpleName(command.getClass());
    switch (name) {
      case "ClaimTaskCmd" -> checkClaim(command, caller);
      case "AssignTaskCmd" -> checkUnclaim(command, caller);
      case "CompleteTaskCmd" -> checkCompletion(String.valueOf(field(command, "taskId")), variables(command, "variables"));
      case "SubmitTaskFormCmd" -> checkCompletion(String.valueOf(field(command, "taskId")), variables(command, "properties"));
      case "AddCommentCmd" -> checkComment(command, caller);
      case "StartProcessInstanceCmd" -> {
        ProcessInstantiationBuilderImpl builder = (ProcessInstantiationBuilderImpl) field(command, "instantiationBuilder");
        checkStart(builder.getProcessDefinitionId(), builder.getProcessDefinitionKey(), builder.getVariables());
      }
      case "SubmitStartFormCmd" -> checkStart((String) field(command, "processDefinitionId"), null,
          variables(command, "variables"));
      default -> {
        if (CHANGES.matcher(name).find() && !name.endsWith("QueryCmd")) {
          LOG.info("refused {} for {}", name, caller.getUserId());
          throw refused(reason(name));
        }
      }
    }
  }

  private static String reason(String command) {
    if (command.contains("Variable")) {
      return "变量只能在完成任务时通过表单填写，不能单独修改（" + command + "）";
    }
    if (command.contains("BpmnError") || command.contains("Escalation")) {
      return "不能对任务抛出 BPMN 错误或升级，只能按表单完成任务（" + command + "）";
    }
    if (command.matches("^(Assign|Delegate|SetTaskOwner|Add\\w*IdentityLink|Delete\\w*IdentityLink|Resolve).*")) {
      return "不能转派、委托任务或修改处理人、拥有人、候选人（" + command + "）";
    }
    if (command.matches("^(SaveTask|SetTask|CreateTask|DeleteTask).*")) {
      return "不能新建、删除或修改任务的名称、期限等属性（" + command + "）";
    }
    if (command.matches(".*(User|Group|Membership|Authorization|Tenant|Picture|Info).*")) {
      return "用户资料、组、成员关系和权限只能由管理员在 Admin 中修改（" + command + "）";
    }
    return "只有系统账号和管理员可以执行此操作（" + command + "）";
  }

  static AuthorizationException refused(String reason) {
    return new AuthorizationException("不允许：" + reason);
  }

  private void checkClaim(Command<?> command, Authentication caller) {
    Object userId = field(command, "userId");
    if (userId != null) {
      if (!caller.getUserId().equals(userId)) {
        throw refused("只能为自己领取任务，不能把任务交给别人");
      }
      return;
    }
    String taskId = String.valueOf(field(command, "taskId"));
    String assignee = internal(context -> {
      TaskEntity task = context.getTaskManager().findTaskById(taskId);
      return task == null ? null : task.getAssignee();
    });
    if (assignee != null && !assignee.equals(caller.getUserId())) {
      throw refused("只能退回自己领取的任务");
    }
  }

  /**
   * REST's and Tasklist's "unclaim" sets the assignee to null: allowed on one's own claim only. Handing a
   * task to someone else is refused, unless {@code doorflow.wall.handover-managers} names the caller's
   * group as the manager of one of the task's candidate groups and the new assignee is a member of it.
   */
  private void checkUnclaim(Command<?> command, Authentication caller) {
    Object userId = field(command, "userId");
    if (userId == null) {
      checkClaim(command, caller);
      return;
    }
    Map<String, String> managers = policy.handoverManagers();
    if (managers.isEmpty()) {
      throw refused(reason("AssignTaskCmd"));
    }
    String taskId = String.valueOf(field(command, "taskId"));
    List<String> callerGroups = caller.getGroupIds() == null ? List.of() : caller.getGroupIds();
    boolean handedWithinGroup = Boolean.TRUE.equals(internal(context -> context.runWithoutAuthorization(() -> {
      TaskEntity task = context.getTaskManager().findTaskById(taskId);
      if (task == null) {
        return false;
      }
      return task.getIdentityLinks().stream().anyMatch(link -> "candidate".equals(link.getType())
          && link.getGroupId() != null
          && callerGroups.contains(managers.get(link.getGroupId()))
          && context.getReadOnlyIdentityProvider().createUserQuery()
              .userId(String.valueOf(userId)).memberOfGroup(link.getGroupId()).count() > 0);
    })));
    if (!handedWithinGroup) {
      throw refused("只有该组的经理可以把任务交给同组的其他成员");
    }
  }

  /** Comments only on a task the caller works on: assigned to them or offered to one of their groups. */
  private void checkComment(Command<?> command, Authentication caller) {
    Object taskId = field(command, "taskId");
    boolean theirs = taskId != null && Boolean.TRUE.equals(internal(context -> {
      TaskEntity task = context.getTaskManager().findTaskById(String.valueOf(taskId));
      if (task == null) {
        return false;
      }
      if (caller.getUserId().equals(task.getAssignee())) {
        return true;
      }
      List<String> groups = caller.getGroupIds() == null ? List.of() : caller.getGroupIds();
      return task.getIdentityLinks().stream().anyMatch(link -> "candidate".equals(link.getType())
          && (caller.getUserId().equals(link.getUserId()) || groups.contains(link.getGroupId())));
    }));
    if (!theirs) {
      throw refused("只能在自己或自己组的任务上添加评论");
    }
  }

  private void checkCompletion(String taskId, Map<String, Object> submitted) {
    internal(context -> {
      TaskEntity task = context.getTaskManager().findTaskById(taskId);
      if (task == null) {
        return null; // the engine answers "not found" itself
      }
      FormSchema schema = forms.schemaOf(task);
      List<String> problems = problems(schema, submitted, task::getVariable);
      if (!problems.isEmpty()) {
        LOG.info("completion of task {} ({}) refused: {}", task.getId(), task.getTaskDefinitionKey(), problems);
        throw new TaskInputRefused(task.getName(), problems);
      }
      return null;
    });
  }

  private void checkStart(String definitionId, String definitionKey, Map<String, Object> submitted) {
    internal(context -> {
      DeploymentCache cache = context.getProcessEngineConfiguration().getDeploymentCache();
      ProcessDefinitionEntity definition;
      try {
        definition = definitionId != null
            ? cache.findDeployedProcessDefinitionById(definitionId)
            : cache.findDeployedLatestProcessDefinitionByKey(definitionKey);
      } catch (RuntimeException e) {
        return null; // unknown definition: the engine answers itself
      }
      if (definition == null) {
        return null;
      }
      String title = definition.getName() == null ? definition.getKey() : definition.getName();
      FormSchema schema = forms.startSchemaOf(definition);
      if (schema == null) {
        throw refused("流程「" + title + "」没有发起表单，只能由系统发起");
      }
      List<String> problems = problems(schema, submitted, key -> null);
      if (problems.isEmpty()) {
        Map<String, Object> values = new LinkedHashMap<>();
        nonNullMap(submitted).forEach((k, v) -> values.put(k, plain(v)));
        problems.addAll(schema.problems(values::get));
      }
      if (!problems.isEmpty()) {
        throw refused("发起流程「" + title + "」的输入无效：" + String.join("；", problems));
      }
      return null;
    });
  }

  /**
   * Keys the form does not have, read-only fields whose value differs from the process's, and
   * Bytes/File/Object values. {@code current} reads the value the form shows for a read-only field.
   */
  static List<String> problems(FormSchema schema, Map<String, Object> submitted,
      java.util.function.Function<String, Object> current) {
    Map<String, String> inputs = schema == null ? Map.of() : schema.inputFields();
    Map<String, String> readonly = schema == null ? Map.of() : schema.readonlyFields();
    List<String> problems = new ArrayList<>();
    List<String> unknown = new ArrayList<>();
    for (String key : nonNullMap(submitted).keySet()) {
      // A VariableMap hands out plain values; its typed value tells Bytes, File and Object apart.
      Object value = submitted instanceof VariableMap typedMap ? typedMap.getValueTyped(key) : submitted.get(key);
      String label = inputs.getOrDefault(key, readonly.getOrDefault(key, key));
      if (value instanceof TypedValue typed && typed.getType() != null && !plainType(typed.getType())) {
        problems.add("字段「" + label + "」的类型 " + typed.getType().getName() + " 不允许由人提交");
      } else if (plain(value) instanceof byte[] || plain(value) instanceof java.io.InputStream) {
        problems.add("字段「" + label + "」的类型 Bytes 不允许由人提交");
      } else if (inputs.containsKey(key)) {
        continue;
      } else if (readonly.containsKey(key)) {
        if (!same(plain(value), current.apply(key))) {
          problems.add("只读字段「" + label + "」不能修改");
        }
      } else {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      problems.add("表单中没有这些字段：" + String.join("、", unknown));
    }
    return problems;
  }

  private static boolean plainType(ValueType type) {
    return type.isPrimitiveValueType() && !ValueType.BYTES.equals(type) && !ValueType.FILE.equals(type);
  }

  static Object plain(Object value) {
    return value instanceof TypedValue typed ? typed.getValue() : value;
  }

  private static boolean same(Object submitted, Object held) {
    if (isEmpty(submitted) && isEmpty(held)) {
      return true;
    }
    if (Objects.equals(submitted, held)) {
      return true;
    }
    if (submitted instanceof Number a && held instanceof Number b) {
      try {
        return new BigDecimal(a.toString()).compareTo(new BigDecimal(b.toString())) == 0;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return submitted != null && held != null && String.valueOf(submitted).equals(String.valueOf(held));
  }

  private static boolean isEmpty(Object value) {
    return value == null || (value instanceof String s && s.isEmpty());
  }

  private static <K, V> Map<K, V> nonNullMap(Map<K, V> map) {
    return map == null ? Map.of() : map;
  }

  // --- plumbing ---------------------------------------------------------------------------------

  private <T> T internal(Command<T> lookup) {
    inside.set(true);
    try {
      return config.getCommandExecutorTxRequired().execute(lookup);
    } finally {
      inside.set(false);
    }
  }

  static String simpleName(Class<?> type) {
    String name = type.getName();
    name = name.substring(name.lastIndexOf('.') + 1);
    int lambda = name.indexOf("$$");
    if (lambda > 0) {
      name = name.substring(0, lambda);
    }
    return name.substring(name.lastIndexOf('$') + 1);
  }

  private static Object field(Object target, String name) {
    for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass()) {
      try {
        Field f = type.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
      } catch (NoSuchFieldException e) {
        // look in the superclass
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("cannot read " + name + " of " + target.getClass().getName(), e);
      }
    }
    throw new IllegalStateException(target.getClass().getName() + " has no field " + name);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> variables(Object command, String name) {
    return (Map<String, Object>) field(command, name);
  }

}
