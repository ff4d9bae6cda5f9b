/**
 * The platform's own modelling rules, as bpmnlint rules: the modeler shows them on the
 * canvas next to Camunda's, and the deploy endpoint runs them again on the server, so a
 * model that would leave a task without a worker, a form or a group never reaches the
 * engine unnoticed. Pure functions over moddle elements: the same code runs in the browser
 * and in Node.
 */

/** What the platform offers the models it runs. */
export interface LintContext {
  /** Job types that have a worker (workers/registry.ts). */
  taskTypes: string[];
  /** Ids of the forms deployed, plus any the analyst is deploying with the process. */
  formIds: string[];
  /** Candidate groups some role works (domain/access/roles.ts). */
  groups: string[];
  /** SMS templates (templates/sms/*.hbs, without extension). */
  templates: string[];
}

interface ModdleElement {
  $type: string;
  id?: string;
  extensionElements?: { values?: ModdleElement[] };
  [key: string]: unknown;
}

interface Reporter {
  report(id: string, message: string, path?: (string | number)[]): void;
}

type Rule = () => { check(node: ModdleElement, reporter: Reporter): void };

/** The bpmnlint plugin name; rules are `contact-center/<name>`. */
export const LINT_PLUGIN = 'bpmnlint-plugin-contact-center';

const extension = (node: ModdleElement, type: string): ModdleElement | undefined =>
  node.extensionElements?.values?.find((v) => v.$type === type);

const isExpression = (v: unknown) => typeof v === 'string' && v.trim().startsWith('=');

const JOB_TASKS = new Set([
  'bpmn:ServiceTask',
  'bpmn:SendTask',
  'bpmn:BusinessRuleTask',
  'bpmn:ScriptTask',
  'bpmn:IntermediateThrowEvent',
  'bpmn:EndEvent',
]);

export function lintRules(ctx: LintContext): Record<string, Rule> {
  return {
    'service-task-has-worker': () => ({
      check(node, reporter) {
        if (!JOB_TASKS.has(node.$type) || !node.id) return;
        const def = extension(node, 'zeebe:TaskDefinition');
        const type = def?.['type'];
        if (typeof type !== 'string' || type === '' || isExpression(type)) return;
        if (!ctx.taskTypes.includes(type)) {
          reporter.report(node.id, `Nessun worker della piattaforma esegue il tipo di job «${type}».`, [
            'extensionElements',
            'values',
          ]);
        }
      },
    }),
    'user-task-has-form': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:UserTask' || !node.id) return;
        const form = extension(node, 'zeebe:FormDefinition');
        const formId = form?.['formId'];
        if (!form || (typeof formId !== 'string' && typeof form['formKey'] !== 'string')) {
          reporter.report(node.id, 'Il compito utente non ha un modulo: collegare un modulo (Form ID).');
        } else if (typeof formId === 'string' && !isExpression(formId) && !ctx.formIds.includes(formId)) {
          reporter.report(node.id, `Il modulo «${formId}» non è distribuito: distribuirlo dall'editor dei moduli.`);
        }
      },
    }),
    'user-task-is-job-worker': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:UserTask' || !node.id) return;
        if (extension(node, 'zeebe:UserTask')) {
          reporter.report(
            node.id,
            "Impostare l'implementazione «Job worker»: la lista dei compiti della piattaforma non vede i Camunda user task.",
          );
        }
      },
    }),
    'user-task-has-candidate-group': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:UserTask' || !node.id) return;
        const assignment = extension(node, 'zeebe:AssignmentDefinition');
        const raw = assignment?.['candidateGroups'];
        if (typeof raw !== 'string' || raw.trim() === '') {
          reporter.report(node.id, 'Il compito utente non ha un gruppo candidato: nessuno lo vedrebbe in lista.');
          return;
        }
        if (isExpression(raw)) return;
        for (const g of raw.split(',').map((s) => s.trim())) {
          if (g && !ctx.groups.includes(g)) {
            reporter.report(
              node.id,
              `Il gruppo candidato «${g}» non corrisponde ad alcun ruolo (${ctx.groups.join(', ')}).`,
            );
          }
        }
      },
    }),
    'process-records-end': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:Process' || !node.id) return;
        const listeners =
          (extension(node, 'zeebe:ExecutionListeners')?.['listeners'] as ModdleElement[] | undefined) ?? [];
        if (!listeners.some((l) => l['eventType'] === 'end' && l['type'] === 'record-instance-end')) {
          reporter.report(
            node.id,
            'Il processo non registra la propria conclusione: aggiungere il listener di esecuzione «end» di tipo record-instance-end, altrimenti le istanze restano «in corso» nella vista istanze.',
          );
        }
      },
    }),
    'template-exists': () => ({
      check(node, reporter) {
        if (!node.id) return;
        const headers = extension(node, 'zeebe:TaskHeaders');
        const values = (headers?.['values'] as ModdleElement[] | undefined) ?? [];
        for (const h of values) {
          const value = h['value'];
          if (h['key'] === 'template' && typeof value === 'string' && !ctx.templates.includes(value)) {
            reporter.report(node.id, `Il modello di messaggio «${value}» non esiste in templates/.`);
          }
        }
      },
    }),
  };
}

/** The rule set as a bpmnlint config: errors block a deploy, warnings do not. */
export const LINT_CONFIG = {
  rules: {
    ...Object.fromEntries(
      [
        'service-task-has-worker',
        'user-task-has-form',
        'user-task-is-job-worker',
        'user-task-has-candidate-group',
        'template-exists',
      ].map((r) => [`contact-center/${r}`, 'error']),
    ),
    'contact-center/process-records-end': 'warn',
  },
};
