import { BpmnModdle } from 'bpmn-moddle';
import { Linter } from 'bpmnlint';
import StaticResolver from 'bpmnlint/lib/resolver/static-resolver.js';
import camundaSchema from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };
import { LINT_CONFIG, LINT_PLUGIN, lintRules, type LintContext } from '../../modeler/lint/rules.js';

export interface LintProblem {
  element: string;
  rule: string;
  message: string;
  /** Errors block a deploy (unless overridden); warnings are reported only. */
  category: 'error' | 'warn';
}

const moddle = new BpmnModdle({ camunda: camundaSchema });

/**
 * Runs the platform's own rules (modeler/lint/rules.ts) on a BPMN document, server-side: the deploy
 * endpoint refuses a model that breaks them unless the analyst confirmed an override.
 * Camunda's rules for the engine version (camunda-compat) run in the modeler; the engine
 * validates the rest when it parses the model.
 */
export async function lintModel(xml: string, ctx: LintContext): Promise<LintProblem[]> {
  let rootElement: unknown;
  try {
    ({ rootElement } = await moddle.fromXML(xml));
  } catch (err) {
    return [
      {
        element: '',
        rule: 'xml',
        category: 'error',
        message: `Il file non è un BPMN leggibile: ${(err as Error).message}`,
      },
    ];
  }
  const rules = lintRules(ctx);
  const resolver = new StaticResolver(
    Object.fromEntries(Object.entries(rules).map(([name, rule]) => [`rule:${LINT_PLUGIN}/${name}`, rule])),
  );
  const reports = await new Linter({ config: LINT_CONFIG, resolver }).lint(rootElement);
  return Object.entries(reports).flatMap(([rule, list]) =>
    list.map((r) => ({ element: r.id, rule, message: r.message, category: r.category === 'warn' ? 'warn' : 'error' })),
  );
}
