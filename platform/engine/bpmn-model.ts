import { BpmnModdle } from 'bpmn-moddle';
import camundaSchema from 'camunda-bpmn-moddle/resources/camunda.json' with { type: 'json' };

/** How the engine runs a task (the `camunda:` attribute or extension that implements it). */
export type BpmnImplementation = 'external' | 'class' | 'expression' | 'delegateExpression' | 'connector' | 'dmn';

/** What the platform needs to know of one flow element of a BPMN model. */
export interface BpmnElementInfo {
  id: string;
  name: string | undefined;
  type: string;
  documentation: string | undefined;
  /** `camunda:topic` of an external task (service/send/business-rule task, message throw/end event). */
  taskType: string | undefined;
  /** Implementation of a service/send/business-rule task or message throw/end event; undefined otherwise or when missing. */
  implementation: BpmnImplementation | undefined;
  /** The element's `camunda:properties` (static configuration; workers get them as `extensionProperties`). */
  headers: Record<string, string>;
  /** `camunda:formRef` of user tasks (forms deployed from `processes/*.form`). */
  formId: string | undefined;
  /** `camunda:candidateGroups` of user tasks, as written (comma-separated). */
  candidateGroups: string | undefined;
  /** errorCode of an error event definition (boundary or event sub-process start). */
  caughtErrorCode: string | undefined;
  /** `calledElement` of a call activity: the process it starts (an id, or a JUEL expression). */
  calledElement?: string | undefined;
  /**
   * `camunda:calledElementBinding` of a call activity, as written: which version it starts
   * (undefined or `latest`: the newest; `version`, `versionTag`, `deployment`: a pinned one).
   */
  calledElementBinding?: string | undefined;
}

export interface BpmnProcessInfo {
  id: string;
  name: string | undefined;
  elements: BpmnElementInfo[];
  /** `camunda:historyTimeToLive` (days, or an ISO-8601 duration); the engine refuses a process without it. */
  historyTimeToLive: string | undefined;
}

interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  text?: string;
  value?: string;
  errorCode?: string;
  // camunda: attributes
  type?: string;
  topic?: string;
  class?: string;
  expression?: string;
  delegateExpression?: string;
  decisionRef?: string;
  formRef?: string;
  candidateGroups?: string;
  historyTimeToLive?: string;
  calledElement?: string;
  calledElementBinding?: string;
  values?: ModdleElement[];
  flowElements?: ModdleElement[];
  rootElements?: ModdleElement[];
  documentation?: ModdleElement[];
  extensionElements?: ModdleElement;
  eventDefinitions?: (ModdleElement & { errorRef?: ModdleElement })[];
}

/** The model could not be read as BPMN. */
export class BpmnReadError extends Error {
  override name = 'BpmnReadError';
}

const moddle = new BpmnModdle({ camunda: camundaSchema });

const SERVICE_TASKS = new Set(['bpmn:ServiceTask', 'bpmn:SendTask', 'bpmn:BusinessRuleTask']);

const extensions = (el: ModdleElement | undefined, type: string): ModdleElement[] =>
  (el?.extensionElements?.values ?? []).filter((v) => v.$type === type);

/** The element carrying the implementation: the task, or a throw/end event's message event definition. */
function implementationHolder(el: ModdleElement): ModdleElement | undefined {
  if (SERVICE_TASKS.has(el.$type)) return el;
  if (el.$type === 'bpmn:IntermediateThrowEvent' || el.$type === 'bpmn:EndEvent') {
    return el.eventDefinitions?.find((d) => d.$type === 'bpmn:MessageEventDefinition');
  }
  return undefined;
}

/** As bpmn-js-properties-panel decides it (and the engine reads it). */
function implementationOf(holder: ModdleElement | undefined): BpmnImplementation | undefined {
  if (!holder) return undefined;
  if (holder.decisionRef !== undefined) return 'dmn';
  if (extensions(holder, 'camunda:Connector').length > 0) return 'connector';
  if (holder.type === 'external') return 'external';
  if (holder.class !== undefined) return 'class';
  if (holder.expression !== undefined) return 'expression';
  if (holder.delegateExpression !== undefined) return 'delegateExpression';
  return undefined;
}

function collect(container: ModdleElement, out: BpmnElementInfo[]): void {
  for (const el of container.flowElements ?? []) {
    const holder = implementationHolder(el);
    const implementation = implementationOf(holder);
    out.push({
      id: el.id ?? '',
      name: el.name,
      type: el.$type.replace(/^bpmn:/, ''),
      documentation: el.documentation?.map((d) => d.text ?? '').join('\n') || undefined,
      taskType: implementation === 'external' ? holder?.topic : undefined,
      implementation,
      headers: Object.fromEntries(
        extensions(el, 'camunda:Properties')
          .flatMap((p) => p.values ?? [])
          .map((p) => [p.name ?? '', p.value ?? '']),
      ),
      formId: el.$type === 'bpmn:UserTask' ? el.formRef : undefined,
      candidateGroups: el.$type === 'bpmn:UserTask' ? el.candidateGroups : undefined,
      caughtErrorCode: el.eventDefinitions?.find((d) => d.$type === 'bpmn:ErrorEventDefinition')?.errorRef?.errorCode,
      calledElement: el.$type === 'bpmn:CallActivity' ? el.calledElement : undefined,
      calledElementBinding: el.$type === 'bpmn:CallActivity' ? el.calledElementBinding : undefined,
    });
    if (el.flowElements) collect(el, out);
  }
}

/** Reads the processes of a BPMN 2.0 XML document with the Camunda 7 (`camunda:`) extensions. */
export async function readBpmn(xml: string): Promise<BpmnProcessInfo[]> {
  let root: ModdleElement;
  try {
    const result = (await moddle.fromXML(xml)) as unknown as { rootElement: ModdleElement };
    root = result.rootElement;
  } catch (err) {
    throw new BpmnReadError(`not a readable BPMN document: ${(err as Error).message}`);
  }
  return (root.rootElements ?? [])
    .filter((e) => e.$type === 'bpmn:Process')
    .map((p) => {
      const elements: BpmnElementInfo[] = [];
      collect(p, elements);
      return { id: p.id ?? '', name: p.name, elements, historyTimeToLive: p.historyTimeToLive };
    });
}
