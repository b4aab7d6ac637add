package com.doorflow.engine;

import com.doorflow.engine.wall.RequestWall;
import com.doorflow.engine.wall.WallPolicy;
import org.operaton.bpm.engine.ProcessEngine;
import org.operaton.bpm.engine.rest.security.auth.ProcessEngineAuthenticationFilter;
import org.operaton.bpm.engine.rest.security.auth.impl.HttpBasicAuthenticationProvider;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * HTTP Basic on the REST API. Operaton leaves /engine-rest open by default; its own filter checks
 * the credentials against the engine's users and sets the authenticated user and groups, so every
 * call runs with that user's authorizations. Operaton whitelists GET /engine-rest/engine (the list
 * of engine names) itself: that one answers without credentials.
 */
@Configuration
public class SecurityConfig {

  @Bean
  FilterRegistrationBean<ProcessEngineAuthenticationFilter> restBasicAuthentication() {
    return basicAuth("doorflow-rest-basic-auth", "/engine-rest/*");
  }

  /** The test clock gets the same check (ClockController also requires group operaton-admin). */
  @Bean
  @ConditionalOnProperty(name = "doorflow.clock-control", havingValue = "true")
  FilterRegistrationBean<ProcessEngineAuthenticationFilter> clockBasicAuthentication() {
    return basicAuth("doorflow-clock-basic-auth", "/doorflow/*");
  }

  /** Body limits and error texts for people (RequestWall), on the REST API and the web apps' API alike. */
  @Bean
  FilterRegistrationBean<RequestWall> requestWall(WallPolicy policy, ObjectProvider<ProcessEngine> engine) {
    FilterRegistrationBean<RequestWall> registration = new FilterRegistrationBean<>(new RequestWall(policy, engine));
    registration.setName("doorflow-request-wall");
    registration.addUrlPatterns("/engine-rest/*", "/operaton/api/*");
    registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
    return registration;
  }

  private static FilterRegistrationBean<ProcessEngineAuthenticationFilter> basicAuth(String name, String pattern) {
    FilterRegistrationBean<ProcessEngineAuthenticationFilter> registration =
        new FilterRegistrationBean<>(new ProcessEngineAuthenticationFilter());
    registration.setName(name);
    registration.addInitParameter(
        ProcessEngineAuthenticationFilter.AUTHENTICATION_PROVIDER_PARAM, HttpBasicAuthenticationProvider.class.getName());
    registration.addUrlPatterns(pattern);
    return registration;
  }
}
