package com.doorflow.engine.approval;

import com.doorflow.engine.forms.Refusal;
import java.util.List;
import org.operaton.bpm.engine.BadUserRequestException;
import org.operaton.bpm.engine.delegate.DelegateTask;
import org.operaton.bpm.engine.impl.context.Context;
import org.operaton.bpm.engine.impl.form.validator.FormFieldValidationException;
import org.operaton.bpm.engine.impl.interceptor.CommandContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Four eyes on an approval, and the approver taken from the engine, never typed. A diagram's user
 * task names the variable that holds who asked and the variable that records who decided:
 * <pre>
 *   &lt;camunda:taskListener event="assignment" expression="${fourEyes.refuseRequester(task, 'requestedBy')}" /&gt;
 *   &lt;camunda:taskListener event="complete" expression="${fourEyes.recordApprover(task, 'requestedBy', 'accessApprover')}" /&gt;
 * </pre>
 * The requester can neither take the task nor complete it; the approver recorded is the user the
 * engine authenticated for the completion (Tasklist's session or the REST login), written after the
 * completion's own variables, so a value submitted under that name is overwritten.
 * A refusal answers 400 with its message (Tasklist shows it, {@link Refusal}); the transaction rolls back.
 */
@Component("fourEyes")
public class FourEyes {

  private static final Logger LOG = LoggerFactory.getLogger(FourEyes.class);

  /** Assignment listener: the requester may not claim (or be handed) their own request's approval. */
  public void refuseRequester(DelegateTask task, String requesterVariable) {
    String assignee = task.getAssignee();
    if (assignee != null && assignee.equals(requester(task, requesterVariable))) {
      LOG.info("task {} ({}): {} may not take the approval of their own request", task.getId(),
          task.getTaskDefinitionKey(), assignee);
      throw new ClaimRefused("申请人不能审批自己的申请：任务「" + task.getName() + "」须由他人处理");
    }
  }

  /** Complete listener: refuses the requester and records the authenticated user as the approver. */
  public void recordApprover(DelegateTask task, String requesterVariable, String approverVariable) {
    CommandContext context = Context.getCommandContext();
    String user = context == null ? null : context.getAuthenticatedUserId();
    if (user == null || user.isBlank()) {
      throw new ApprovalRefused(task.getName(), "无法确定审批人：审批须由登录的用户完成");
    }
    if (user.equals(requester(task, requesterVariable))) {
      LOG.info("task {} ({}): {} may not approve their own request", task.getId(), task.getTaskDefinitionKey(), user);
      throw new ApprovalRefused(task.getName(), "申请人不能审批自己的申请，须由所属部门的其他人审批");
    }
    task.getExecution().setVariable(approverVariable, user);
  }

  private static String requester(DelegateTask task, String requesterVariable) {
    Object value = task.getVariable(requesterVariable);
    if (value == null || String.valueOf(value).isBlank()) {
      // Without a requester the rule cannot be checked: refuse rather than let a self-approval through.
      throw new ApprovalRefused(task.getName(), "申请人未知（变量 " + requesterVariable + " 为空），无法审批");
    }
    return String.valueOf(value);
  }

  /** A refused completion: a FormFieldValidationException, which the REST API answers with 400. */
  public static final class ApprovalRefused extends FormFieldValidationException implements Refusal {
    private static final long serialVersionUID = 1L;

    ApprovalRefused(String taskName, String problem) {
      super(List.of(problem), "任务「" + taskName + "」不能完成：" + problem);
    }
  }

  /** A refused claim or assignment: a BadUserRequestException, which the REST API answers with 400. */
  public static final class ClaimRefused extends BadUserRequestException implements Refusal {
    private static final long serialVersionUID = 1L;

    ClaimRefused(String message) {
      super(message);
    }
  }
}
