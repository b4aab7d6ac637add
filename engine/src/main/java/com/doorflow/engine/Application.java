package com.doorflow.engine;

import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.jobexecutor.JobExecutor;
import org.operaton.bpm.spring.boot.starter.util.SpringBootProcessEnginePlugin;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** doorflow's Operaton engine: REST API, web apps, identity bootstrap, test clock. */
@SpringBootApplication
public class Application {

  public static void main(String[] args) {
    SpringApplication.run(Application.class, args);
  }

  /**
   * Node-specific job executor settings, applied after the starter configured the executor from
   * operaton.bpm.job-execution.*: the lock owner is the node name (so LOCK_OWNER_ says which node
   * holds a job), and doorflow.test-mode=true polls every 0.5–1 s so a timer made due by the test
   * clock fires within about a second instead of after the idle back-off (up to max-wait).
   */
  @Bean
  SpringBootProcessEnginePlugin doorflowJobExecutorTuning(
      @Value("${doorflow.node-name:}") String nodeName,
      @Value("${doorflow.test-mode:false}") boolean testMode) {
    return new SpringBootProcessEnginePlugin() {
      @Override
      public void postInit(ProcessEngineConfigurationImpl config) {
        JobExecutor executor = config.getJobExecutor();
        if (executor == null) {
          return;
        }
        if (!nodeName.isBlank()) {
          executor.setLockOwner(nodeName);
        }
        if (testMode) {
          executor.setMaxWait(1000);
          executor.setWaitTimeInMillis(500);
        }
      }
    };
  }
}
