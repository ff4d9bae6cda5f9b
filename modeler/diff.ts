import { BpmnModdle } from 'bpmn-moddle';
import camundaSchema from 'camunda-bpmn-moddle/resources/camunda.json';
import { diff } from 'bpmn-js-differ';

export interface ModelChange {
  /** The element's id. */
  id: string;
  /** `moved`: only its place or shape in the diagram changed. */
  kind: 'added' | 'removed' | 'changed' | 'moved';
  /** For `changed`: the attributes whose value differs. */
  attributes?: string[];
}

/** What was added, removed, changed or only moved from one version of a BPMN document to another. */
export async function diffModels(olderXml: string, newerXml: string): Promise<ModelChange[]> {
  const moddle = new BpmnModdle({ camunda: camundaSchema });
  const [a, b] = await Promise.all([moddle.fromXML(olderXml), moddle.fromXML(newerXml)]);
  const d = diff(a.rootElement, b.rootElement);
  return [
    ...Object.keys(d._added).map((id) => ({ id, kind: 'added' as const })),
    ...Object.keys(d._removed).map((id) => ({ id, kind: 'removed' as const })),
    ...Object.entries(d._changed).map(([id, c]) => ({
      id,
      kind: 'changed' as const,
      attributes: Object.keys(c.attrs),
    })),
    ...Object.keys(d._layoutChanged)
      .filter((id) => !(id in d._changed))
      .map((id) => ({ id, kind: 'moved' as const })),
  ];
}
