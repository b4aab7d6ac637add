package com.doorflow.engine.forms;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.operaton.bpm.engine.ProcessEngineException;
import org.operaton.bpm.engine.delegate.DelegateTask;
import org.operaton.bpm.engine.delegate.Expression;
import org.operaton.bpm.engine.delegate.TaskListener;
import org.operaton.bpm.engine.impl.bpmn.behavior.UserTaskActivityBehavior;
import org.operaton.bpm.engine.impl.bpmn.parser.BpmnParseListener;
import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.context.Context;
import org.operaton.bpm.engine.impl.form.FormDefinition;
import org.operaton.bpm.engine.impl.form.entity.OperatonFormDefinitionManager;
import org.operaton.bpm.engine.impl.form.handler.DefaultFormHandler;
import org.operaton.bpm.engine.impl.interceptor.CommandContext;
import org.operaton.bpm.engine.impl.interceptor.CommandInterceptor;
import org.operaton.bpm.engine.impl.persistence.deploy.Deployer;
import org.operaton.bpm.engine.impl.persistence.entity.DeploymentEntity;
import org.operaton.bpm.engine.impl.persistence.entity.OperatonFormDefinitionEntity;
import org.operaton.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity;
import org.operaton.bpm.engine.impl.persistence.entity.ResourceEntity;
import org.operaton.bpm.engine.impl.persistence.entity.TaskEntity;
import org.operaton.bpm.engine.impl.pvm.process.ActivityImpl;
import org.operaton.bpm.engine.impl.pvm.process.ScopeImpl;
import org.operaton.bpm.engine.impl.task.TaskDefinition;
import org.operaton.bpm.engine.impl.util.xml.Element;
import org.operaton.bpm.spring.boot.starter.util.SpringBootProcessEnginePlugin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Staff input cannot break a process, and tasks name their business. For every user task:
 * <ul>
 *   <li>a built-in {@code complete} listener checks the values against the task's Camunda Form
 *       (see {@link FormSchema}) and refuses the completion naming each bad field. It sits in the
 *       engine, so Tasklist, the REST API and scripts are all held to it. The engine wraps a
 *       listener's exception; an outer command interceptor unwraps ours so the REST API answers
 *       400 with its message instead of 500.</li>
 *   <li>a built-in {@code create} listener appends the business reference and the customer to the
 *       task's name ("评估变更影响 · DO20261202-00001-C01 · 杭州绿城物业有限公司"), so the diagrams keep
 *       plain names and Tasklist's list still tells identical tasks apart.</li>
 *   <li>every deployed form is parsed at deployment: a form whose rules or conditions the
 *       validator cannot enforce fails the deployment instead of going unchecked.</li>
 * </ul>
 */
@Component
public class TaskInputPlugin extends SpringBootProcessEnginePlugin {

  private static final Logger LOG = LoggerFactory.getLogger(TaskInputPlugin.class);
  private static final int NAME_COLUMN_CHARS = 255; // ACT_RU_TASK.NAME_

  /** Parsed forms by form definition id (one per deployed version of a form: never stale). */
  private final Map<String, FormSchema> schemas = new ConcurrentHashMap<>();
  private final List<String> referenceVariables;
  private final List<String> displayVariables;
  private final String separator;

  public TaskInputPlugin(
      @Value("${doorflow.task-name.reference-variables:changeNumber}") String referenceVariables,
      @Value("${doorflow.task-name.display-variables:customerName}") String displayVariables,
      @Value("${doorflow.task-name.separator: · }") String separator) {
    this.referenceVariables = names(referenceVariables);
    this.displayVariables = names(displayVariables);
    this.separator = separator;
  }

  private static List<String> names(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  @Override
  public void preInit(ProcessEngineConfigurationImpl config) {
    List<BpmnParseListener> parseListeners = new ArrayList<>(nonNull(config.getCustomPostBPMNParseListeners()));
    parseListeners.add(new UserTaskListeners());
    config.setCustomPostBPMNParseListeners(parseListeners);

    List<Deployer> deployers = new ArrayList<>(nonNull(config.getCustomPreDeployers()));
    deployers.add(new FormChecker());
    config.setCustomPreDeployers(deployers);

    List<CommandInterceptor> interceptors = new ArrayList<>(nonNull(config.getCustomPreCommandInterceptorsTxRequired()));
    interceptors.add(new Refusal.Unwrap());
    config.setCustomPreCommandInterceptorsTxRequired(interceptors);
  }

  private static <T> List<T> nonNull(List<T> list) {
    return list == null ? List.of() : list;
  }

  /** Adds the two built-in listeners to every user task (built-in: they run even when custom listeners are skipped). */
  private final class UserTaskListeners implements BpmnParseListener {
    @Override
    public void parseUserTask(Element userTaskElement, ScopeImpl scope, ActivityImpl activity) {
      if (!(activity.getActivityBehavior() instanceof UserTaskActivityBehavior behavior)) {
        return;
      }
      TaskDefinition definition = behavior.getTaskDefinition();
      definition.addBuiltInTaskListener(TaskListener.EVENTNAME_CREATE, TaskInputPlugin.this::nameTask);
      if (definition.getOperatonFormDefinitionKey() != null) {
        definition.addBuiltInTaskListener(TaskListener.EVENTNAME_COMPLETE, TaskInputPlugin.this::validate);
      }
    }
  }

  // --- task names ---------------------------------------------------------------------------

  void nameTask(DelegateTask task) {
    String base = task.getName() == null ? "" : task.getName();
    List<String> parts = new ArrayList<>();
    String reference = null;
    for (String variable : referenceVariables) {
      reference = text(task.getVariable(variable));
      if (reference != null) {
        break;
      }
    }
    if (reference == null && task.getExecution() != null) {
      reference = text(task.getExecution().getProcessBusinessKey());
    }
    if (reference != null) {
      parts.add(reference);
    }
    for (String variable : displayVariables) {
      String value = text(task.getVariable(variable));
      if (value != null && !parts.contains(value)) {
        parts.add(value);
      }
    }
    if (parts.isEmpty()) {
      return;
    }
    String name = base + separator + String.join(separator, parts);
    task.setName(name.length() <= NAME_COLUMN_CHARS ? name : name.substring(0, NAME_COLUMN_CHARS - 1) + "…");
  }

  private static String text(Object value) {
    if (value == null) {
      return null;
    }
    String text = String.valueOf(value).strip();
    return text.isEmpty() ? null : text;
  }

  // --- validation at completion -------------------------------------------------------------

  void validate(DelegateTask delegateTask) {
    TaskEntity task = (TaskEntity) delegateTask;
    FormSchema schema = schemaOf(task);
    if (schema == null) {
      return;
    }
    List<String> problems = schema.problems(task::getVariable);
    if (!problems.isEmpty()) {
      LOG.info("task {} ({}) refused: {}", task.getId(), task.getTaskDefinitionKey(), problems);
      throw new TaskInputRefused(task.getName(), problems);
    }
  }

  /** The form the task shows, resolved like the engine resolves it for Tasklist (binding latest/deployment/version). */
  public FormSchema schemaOf(TaskEntity task) {
    TaskDefinition definition = task.getTaskDefinition();
    Expression keyExpression = definition == null ? null : definition.getOperatonFormDefinitionKey();
    if (keyExpression == null) {
      return null;
    }
    String key = String.valueOf(keyExpression.getValue(task));
    Expression version = definition.getOperatonFormDefinitionVersion();
    FormSchema schema = resolve(key, definition.getOperatonFormDefinitionBinding(),
        version == null ? null : version.getValue(task), task.getProcessDefinition().getDeploymentId(), task.getTenantId());
    if (schema == null) {
      // The task could not be shown in Tasklist either; refuse rather than let unchecked input through.
      throw new TaskInputRefused(task.getName(), List.of("找不到表单「" + key + "」，无法校验输入，请联系管理员"));
    }
    return schema;
  }

  /** The start form of a process definition (a Camunda Form), or null when it has none. */
  public FormSchema startSchemaOf(ProcessDefinitionEntity processDefinition) {
    FormDefinition definition = processDefinition.getStartFormDefinition();
    Expression keyExpression = definition == null ? null : definition.getOperatonFormDefinitionKey();
    if (keyExpression == null) {
      return null;
    }
    // Start form references are constants (no execution to evaluate against yet).
    String key = keyExpression.getExpressionText();
    Expression version = definition.getOperatonFormDefinitionVersion();
    return resolve(key, definition.getOperatonFormDefinitionBinding(),
        version == null ? null : version.getExpressionText(), processDefinition.getDeploymentId(),
        processDefinition.getTenantId());
  }

  private FormSchema resolve(String key, String binding, Object version, String deploymentId, String tenantId) {
    CommandContext context = Context.getCommandContext();
    OperatonFormDefinitionManager manager = context.getOperatonFormDefinitionManager();
    OperatonFormDefinitionEntity form = context.runWithoutAuthorization(() -> {
      if (DefaultFormHandler.FORM_REF_BINDING_DEPLOYMENT.equals(binding)) {
        return manager.findDefinitionByDeploymentAndKey(deploymentId, key);
      }
      if (DefaultFormHandler.FORM_REF_BINDING_VERSION.equals(binding)) {
        return manager.findDefinitionByKeyVersionAndTenantId(key, Integer.valueOf(String.valueOf(version)), tenantId);
      }
      return manager.findLatestDefinitionByKey(key);
    });
    if (form == null) {
      return null;
    }
    return schemas.computeIfAbsent(form.getId(), id -> {
      ResourceEntity resource = context.runWithoutAuthorization(() -> context.getResourceManager()
          .findResourceByDeploymentIdAndResourceName(form.getDeploymentId(), form.getResourceName()));
      return FormSchema.parse(resource.getBytes());
    });
  }

  // --- deployment and the REST answer -------------------------------------------------------

  /** Parses every form of a new deployment; a form the validator cannot enforce fails the deployment. */
  private static final class FormChecker implements Deployer {
    @Override
    public void deploy(DeploymentEntity deployment) {
      if (!deployment.isNew() || deployment.getResources() == null) {
        return;
      }
      for (ResourceEntity resource : deployment.getResources().values()) {
        if (!resource.getName().endsWith(".form")) {
          continue;
        }
        try {
          FormSchema.parse(resource.getBytes());
        } catch (IllegalArgumentException e) {
          throw new ProcessEngineException("表单 " + resource.getName() + " 无法部署：引擎无法校验它的输入规则（"
              + e.getMessage() + "）");
        }
      }
    }
  }


}
