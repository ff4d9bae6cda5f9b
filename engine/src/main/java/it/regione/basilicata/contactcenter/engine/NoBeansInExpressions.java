package it.regione.basilicata.contactcenter.engine;

import org.operaton.bpm.engine.impl.cfg.AbstractProcessEnginePlugin;
import org.operaton.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.operaton.bpm.engine.impl.el.JuelExpressionManager;
import org.springframework.stereotype.Component;

/**
 * Expressions in the models see process variables and nothing of the application: the Spring
 * starter would let a model name any Spring bean (the data source among them) in a JUEL
 * expression. The platform's models call no beans (their work is done by external tasks), so
 * the engine gets a plain expression manager. Method calls an expression may make are checked
 * again when a model is deployed from the modeler (domain/processes/model-safety.ts).
 */
@Component
public class NoBeansInExpressions extends AbstractProcessEnginePlugin {
  @Override
  public void preInit(ProcessEngineConfigurationImpl configuration) {
    configuration.setExpressionManager(new JuelExpressionManager());
  }
}
