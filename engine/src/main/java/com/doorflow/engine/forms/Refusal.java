package com.doorflow.engine.forms;

import org.operaton.bpm.engine.ProcessEngineException;
import org.operaton.bpm.engine.impl.interceptor.Command;
import org.operaton.bpm.engine.impl.interceptor.CommandInterceptor;

/**
 * A refusal of doorflow's own (bad form input, a four-eyes rule) that the REST API must answer as
 * the 400 it is. Thrown in a task listener, the engine wraps it in a plain ProcessEngineException
 * (the REST API's 500); {@link Unwrap}, outermost in the command chain after the transaction rolled
 * back, rethrows the refusal itself.
 */
public interface Refusal {

  /** One interceptor for every kind of refusal (registered once, by {@link TaskInputPlugin}). */
  final class Unwrap extends CommandInterceptor {
    @Override
    public <T> T execute(Command<T> command) {
      try {
        return next.execute(command);
      } catch (ProcessEngineException e) {
        for (Throwable cause = e; cause != null && cause != cause.getCause(); cause = cause.getCause()) {
          if (cause instanceof Refusal && cause instanceof RuntimeException refused) {
            throw refused;
          }
        }
        throw e;
      }
    }
  }
}
