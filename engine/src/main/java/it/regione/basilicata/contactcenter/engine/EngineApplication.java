package it.regione.basilicata.contactcenter.engine;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * The contact center's workflow engine: Operaton with its REST API under /engine-rest,
 * behind HTTP Basic authentication ({@link RestAuthentication}), with JSON object variables
 * ({@link JsonVariables}). Configuration in application.yaml, overridden by environment.
 */
@SpringBootApplication
public class EngineApplication {
  public static void main(String[] args) {
    SpringApplication.run(EngineApplication.class, args);
  }
}
