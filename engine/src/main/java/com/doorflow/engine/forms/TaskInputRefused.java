package com.doorflow.engine.forms;

import java.util.List;
import org.operaton.bpm.engine.impl.form.validator.FormFieldValidationException;

/**
 * A task completion whose values break the task's form. A FormFieldValidationException, so the
 * REST API answers 400 with this message (complete and submit-form alike) and Tasklist shows it.
 */
public class TaskInputRefused extends FormFieldValidationException implements Refusal {

  private static final long serialVersionUID = 1L;

  public TaskInputRefused(String taskName, List<String> problems) {
    super(problems, "任务「" + taskName + "」的表单输入无效：" + String.join("；", problems));
  }
}
