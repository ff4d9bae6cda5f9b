/**
 * The platform's own modelling rules, as bpmnlint rules over the `camunda:` moddle
 * (Operaton, the community fork of Camunda 7): the modeler shows them on the canvas next to
 * Camunda's, and the deploy endpoint runs them again on the server, so a model that would
 * leave a task without a worker, a form or a group never reaches the engine unnoticed.
 * Pure functions over moddle elements: the same code runs in the browser and in Node
 * (platform/engine/model-lint.ts), so this file imports nothing, and nothing of the DOM.
 */

/** What the platform offers the models it runs. */
export interface LintContext {
  /** External-task topics that have a worker (workers/registry.ts). */
  taskTypes: string[];
  /** Ids of the forms deployed, plus any the analyst is deploying with the process. */
  formIds: string[];
  /** Candidate groups some role works (domain/access/roles.ts). */
  groups: string[];
  /** Message templates (templates/sms, email and voice, `*.hbs` without extension; names do not overlap). */
  templates: string[];
}

interface ModdleElement {
  $type: string;
  id?: string;
  extensionElements?: { values?: ModdleElement[] };
  eventDefinitions?: ModdleElement[];
  [key: string]: unknown;
}

/**
 * bpmnlint's reporter. The third argument may carry `propertiesPanel.entryIds`: @camunda/linting
 * then marks those fields of the properties panel and opens them when the problem is clicked.
 */
interface Reporter {
  report(
    id: string,
    message: string,
    path?: (string | number)[] | { path?: (string | number)[]; propertiesPanel?: { entryIds: string[] } },
  ): void;
}

type Rule = () => { check(node: ModdleElement, reporter: Reporter): void };

/** The bpmnlint plugin name; rules are `contact-center/<name>`. */
export const LINT_PLUGIN = 'bpmnlint-plugin-contact-center';

/** Properties panel fields (entry ids of bpmn-js-properties-panel's Camunda 7 provider). */
const entry = (...entryIds: string[]) => ({ propertiesPanel: { entryIds } });

const extensions = (node: ModdleElement, type: string): ModdleElement[] =>
  node.extensionElements?.values?.filter((v) => v.$type === type) ?? [];

/** A JUEL expression (`${…}` or `#{…}`), which only the engine can resolve. */
const isExpression = (v: unknown) => typeof v === 'string' && /[$#]\{/.test(v);

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** Tasks the engine runs through a delegate (`camunda:ServiceTaskLike`): it refuses them without one. */
const SERVICE_TASKS = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);

/**
 * The element carrying the `camunda:` implementation attributes: the task itself, or the
 * message event definition of a message intermediate throw or end event.
 */
function implementationHolder(node: ModdleElement): ModdleElement | undefined {
  if (SERVICE_TASKS.has(node.$type)) return node;
  if (node.$type === 'bpmn:IntermediateThrowEvent' || node.$type === 'bpmn:EndEvent') {
    return node.eventDefinitions?.find((d) => d.$type === 'bpmn:MessageEventDefinition');
  }
  return undefined;
}

/** The implementation as the properties panel names it, in the order it decides it. */
function implementationOf(holder: ModdleElement): string | undefined {
  if (holder['decisionRef'] !== undefined) return 'dmn';
  if (extensions(holder, 'camunda:Connector').length > 0) return 'connector';
  if (holder['type'] === 'external') return 'external';
  for (const kind of ['class', 'expression', 'delegateExpression']) if (holder[kind] !== undefined) return kind;
  return undefined;
}

/** The output parameters an element sets (camunda:inputOutput), by name. */
function outputsOf(node: ModdleElement): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const io of extensions(node, 'camunda:InputOutput')) {
    for (const p of (io['outputParameters'] as ModdleElement[] | undefined) ?? []) {
      if (typeof p['name'] === 'string') out.set(p['name'], p['value']);
    }
  }
  return out;
}

/** An IVR step (ADR 0014): an intermediate throw event whose output mapping sets `ivrAction`. */
const isIvrStep = (node: ModdleElement) =>
  node.$type === 'bpmn:IntermediateThrowEvent' && outputsOf(node).has('ivrAction');

const isAsync = (node: ModdleElement) => node['asyncBefore'] === true || node['asyncAfter'] === true;

/** Where the element's sequence flows lead (from the flows themselves: `outgoing` is optional in the XML). */
const targetsOf = (node: ModdleElement): ModdleElement[] => {
  const parent = node['$parent'] as ModdleElement | undefined;
  const flows = ((parent?.['flowElements'] as ModdleElement[] | undefined) ?? []).filter(
    (f) => f.$type === 'bpmn:SequenceFlow' && f['sourceRef'] === node,
  );
  return flows
    .map((f) => f['targetRef'] as ModdleElement | undefined)
    .filter((t): t is ModdleElement => t !== undefined);
};

/** What may come right after an IVR step: a wait for the caller or the routing, or the end. */
const AFTER_STEP = new Set([
  'bpmn:ReceiveTask',
  'bpmn:IntermediateCatchEvent',
  'bpmn:EventBasedGateway',
  'bpmn:EndEvent',
  'bpmn:UserTask',
]);
/** What may lie between the caller's answer and the next step: decisions and variables only. */
const BETWEEN_ANSWER_AND_STEP = new Set(['bpmn:ExclusiveGateway', 'bpmn:IntermediateThrowEvent']);

/**
 * The messages the voice webhooks deliver and then answer with the step the instance reached:
 * between them and that step nothing may make Twilio wait.
 */
const ANSWERED_AT_ONCE = new Set(['ivr-input', 'call-answered', 'call-callback', 'survey-answered']);

/** The message a receive task or message catch event waits for. */
function awaitedMessage(node: ModdleElement): string | undefined {
  const direct = node['messageRef'] as ModdleElement | undefined;
  const viaEvent = node.eventDefinitions?.find((d) => d.$type === 'bpmn:MessageEventDefinition')?.['messageRef'] as
    ModdleElement | undefined;
  const name = (direct ?? viaEvent)?.['name'];
  return typeof name === 'string' ? name : undefined;
}

/** The first element between such a wait and the next IVR step that makes the answer wait. */
function blockerAfterAnswer(wait: ModdleElement): ModdleElement | undefined {
  const seen = new Set<ModdleElement>();
  const queue = targetsOf(wait);
  while (queue.length > 0) {
    const n = queue.shift() as ModdleElement;
    if (seen.has(n)) continue;
    seen.add(n);
    if (isIvrStep(n)) {
      if (isAsync(n)) return n;
      continue;
    }
    if (isAsync(n)) return n;
    const parent = n['$parent'] as ModdleElement | undefined;
    if (n.$type === 'bpmn:EndEvent') {
      // The end of a subprocess goes on where the subprocess goes.
      if (parent?.$type === 'bpmn:SubProcess' && (n.eventDefinitions?.length ?? 0) === 0)
        queue.push(...targetsOf(parent));
      continue;
    }
    if (n.$type === 'bpmn:SubProcess') {
      const starts = ((n['flowElements'] as ModdleElement[] | undefined) ?? []).filter(
        (f) => f.$type === 'bpmn:StartEvent',
      );
      queue.push(...starts);
      continue;
    }
    if (n.$type === 'bpmn:StartEvent' && (n.eventDefinitions?.length ?? 0) === 0) {
      queue.push(...targetsOf(n));
      continue;
    }
    // The operator's contact task is a wait of its own (the connect step is read before it).
    if (n.$type === 'bpmn:UserTask') continue;
    if (!BETWEEN_ANSWER_AND_STEP.has(n.$type) || (n.eventDefinitions?.length ?? 0) > 0) return n;
    queue.push(...targetsOf(n));
  }
  return undefined;
}

export function lintRules(ctx: LintContext): Record<string, Rule> {
  return {
    'service-task-has-worker': () => ({
      check(node, reporter) {
        const holder = implementationHolder(node);
        if (!holder || !node.id || implementationOf(holder) !== 'external') return;
        const topic = text(holder['topic']);
        if (!topic) {
          reporter.report(
            node.id,
            "L'attività esterna non indica il topic: indicare quello del worker che la esegue.",
            entry('externalTopic'),
          );
        } else if (!isExpression(topic) && !ctx.taskTypes.includes(topic)) {
          reporter.report(
            node.id,
            `Nessun worker della piattaforma esegue il topic «${topic}».`,
            entry('externalTopic'),
          );
        }
      },
    }),
    'service-task-has-implementation': () => ({
      check(node, reporter) {
        if (!SERVICE_TASKS.has(node.$type) || !node.id || implementationOf(node)) return;
        reporter.report(
          node.id,
          "L'attività non ha un'implementazione e il motore non la accetterebbe: scegliere Implementazione › Tipo «External» e il topic del worker.",
          entry('implementationType'),
        );
      },
    }),
    'service-task-is-external': () => ({
      check(node, reporter) {
        const holder = implementationHolder(node);
        const kind = holder && implementationOf(holder);
        // A DMN decision is a model, not code; every other kind needs code or a plugin in the engine.
        if (!node.id || !kind || kind === 'external' || kind === 'dmn') return;
        reporter.report(
          node.id,
          `L'implementazione «${kind}» richiede codice dentro il motore, che la piattaforma non ha: i suoi worker eseguono le attività «External» (con un topic).`,
          entry('implementationType'),
        );
      },
    }),
    'user-task-has-form': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:UserTask' || !node.id) return;
        const formRef = text(node['formRef']);
        if (!formRef) {
          reporter.report(
            node.id,
            'Il compito utente non ha un modulo: collegarne uno (Modulo › Tipo «Camunda Forms», Form reference).',
            entry('formType'),
          );
        } else if (!isExpression(formRef) && !ctx.formIds.includes(formRef)) {
          reporter.report(
            node.id,
            `Il modulo «${formRef}» non è distribuito: distribuirlo dall'editor dei moduli.`,
            entry('formRef'),
          );
        }
      },
    }),
    'user-task-has-candidate-group': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:UserTask' || !node.id) return;
        const raw = text(node['candidateGroups']);
        const groups = (raw ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (groups.length === 0) {
          reporter.report(
            node.id,
            'Il compito utente non ha un gruppo candidato: nessuno lo vedrebbe in lista.',
            entry('candidateGroups'),
          );
          return;
        }
        if (isExpression(raw)) return;
        for (const g of groups) {
          if (!ctx.groups.includes(g)) {
            reporter.report(
              node.id,
              `Il gruppo candidato «${g}» non corrisponde ad alcun ruolo (${ctx.groups.join(', ')}).`,
              entry('candidateGroups'),
            );
          }
        }
      },
    }),
    'template-exists': () => ({
      check(node, reporter) {
        if (!node.id) return;
        extensions(node, 'camunda:Properties').forEach((props, list) => {
          ((props['values'] as ModdleElement[] | undefined) ?? []).forEach((p, index) => {
            const value = p['value'];
            if (p['name'] !== 'template' || typeof value !== 'string' || isExpression(value)) return;
            if (!ctx.templates.includes(value)) {
              reporter.report(
                node.id as string,
                `Il modello di messaggio «${value}» non esiste in templates/.`,
                // The panel shows the first camunda:properties only.
                list === 0 ? entry(`${node.id}-extensionProperty-${index}-value`) : undefined,
              );
            }
          });
        });
      },
    }),
    'ivr-step-answers-at-once': () => ({
      check(node, reporter) {
        if (!node.id) return;
        if (isIvrStep(node)) {
          const out = outputsOf(node);
          for (const name of ['ivrPrompt', 'ivrNotice']) {
            if (!out.has(name)) {
              reporter.report(
                node.id,
                `Il passo del risponditore deve impostare anche ${name} (vuoto se non serve): altrimenti resta quello del passo prima.`,
              );
            }
          }
          const prompt = out.get('ivrPrompt');
          if (typeof prompt === 'string' && !isExpression(prompt) && !ctx.templates.includes(prompt)) {
            reporter.report(node.id, `Il testo «${prompt}» non esiste in templates/voice/.`);
          }
          if (isAsync(node)) {
            reporter.report(node.id, 'Un passo del risponditore non può essere asincrono: Twilio aspetta la risposta.');
          }
          for (const t of targetsOf(node)) {
            if (!AFTER_STEP.has(t.$type) || isAsync(t)) {
              reporter.report(
                node.id,
                "Dopo un passo del risponditore viene subito l'attesa (ricezione, evento, gateway a eventi), un compito dell'operatore o la fine.",
              );
            }
          }
          return;
        }
        const isWait = node.$type === 'bpmn:ReceiveTask' || node.$type === 'bpmn:IntermediateCatchEvent';
        const message = isWait ? awaitedMessage(node) : undefined;
        if (!message || !ANSWERED_AT_ONCE.has(message)) return;
        const blocker = blockerAfterAnswer(node);
        if (blocker || isAsync(node)) {
          reporter.report(
            node.id,
            `Tra la risposta del chiamante e il passo seguente del risponditore ci sono solo gateway e impostazioni di variabili: ${blocker ? `«${text(blocker['name']) ?? blocker.id ?? ''}» farebbe attendere Twilio` : "l'attività è asincrona"}.`,
          );
        }
      },
    }),
    'process-has-history-time-to-live': () => ({
      check(node, reporter) {
        if (node.$type !== 'bpmn:Process' || !node.id || node['isExecutable'] === false) return;
        if (!text(node['historyTimeToLive'])) {
          reporter.report(
            node.id,
            'Il processo non indica per quanti giorni conservarne la storia (Pulizia della storia, es. 180): il motore non lo accetterebbe.',
            entry('historyTimeToLive'),
          );
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
        'service-task-has-implementation',
        'user-task-has-form',
        'user-task-has-candidate-group',
        'template-exists',
        'process-has-history-time-to-live',
        'ivr-step-answers-at-once',
      ].map((r) => [`contact-center/${r}`, 'error']),
    ),
    'contact-center/service-task-is-external': 'warn',
  },
};
