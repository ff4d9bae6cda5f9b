import { BpmnModdle } from 'bpmn-moddle';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };

/** What the platform needs to know of one flow element of a BPMN model. */
export interface BpmnElementInfo {
  id: string;
  name: string | undefined;
  type: string;
  documentation: string | undefined;
  /** `zeebe:taskDefinition type` of service/send/script tasks. */
  taskType: string | undefined;
  headers: Record<string, string>;
  /** `zeebe:formDefinition formId` of user tasks (linked forms). */
  formId: string | undefined;
  candidateGroups: string | undefined;
  /** True when the element is a Camunda user task (`zeebe:userTask`), which our inbox cannot see. */
  zeebeUserTask: boolean;
  /** errorCode of an error event definition (boundary or event sub-process start). */
  caughtErrorCode: string | undefined;
}

export interface BpmnProcessInfo {
  id: string;
  name: string | undefined;
  elements: BpmnElementInfo[];
  /** Job types of the process-level execution listeners (`zeebe:executionListener`), by event. */
  listeners: { eventType: string; type: string }[];
}

interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  type?: string;
  formId?: string;
  candidateGroups?: string;
  key?: string;
  value?: string;
  text?: string;
  errorCode?: string;
  eventType?: string;
  listeners?: ModdleElement[];
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

const moddle = new BpmnModdle({ zeebe: zeebeSchema });

function collect(container: ModdleElement, out: BpmnElementInfo[]): void {
  for (const el of container.flowElements ?? []) {
    const ext = el.extensionElements?.values ?? [];
    const taskDef = ext.find((v) => v.$type === 'zeebe:TaskDefinition');
    const headers = ext.find((v) => v.$type === 'zeebe:TaskHeaders');
    const form = ext.find((v) => v.$type === 'zeebe:FormDefinition');
    const assignment = ext.find((v) => v.$type === 'zeebe:AssignmentDefinition');
    out.push({
      id: el.id ?? '',
      name: el.name,
      type: el.$type.replace(/^bpmn:/, ''),
      documentation: el.documentation?.map((d) => d.text ?? '').join('\n') || undefined,
      taskType: taskDef?.type,
      headers: Object.fromEntries((headers?.values ?? []).map((h) => [h.key ?? '', h.value ?? ''])),
      formId: form?.formId,
      candidateGroups: assignment?.candidateGroups,
      zeebeUserTask: ext.some((v) => v.$type === 'zeebe:UserTask'),
      caughtErrorCode: el.eventDefinitions?.find((d) => d.$type === 'bpmn:ErrorEventDefinition')?.errorRef?.errorCode,
    });
    if (el.flowElements) collect(el, out);
  }
}

/** Reads the processes of a BPMN 2.0 XML document with the Zeebe extensions. */
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
      const listeners = (p.extensionElements?.values ?? [])
        .filter((v) => v.$type === 'zeebe:ExecutionListeners')
        .flatMap((v) => v.listeners ?? [])
        .map((l) => ({ eventType: l.eventType ?? 'start', type: l.type ?? '' }));
      return { id: p.id ?? '', name: p.name, elements, listeners };
    });
}
