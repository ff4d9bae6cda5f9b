declare module 'bpmn-moddle' {
  /** Only the part of bpmn-moddle's API the platform uses. */
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>);
    fromXML(xml: string): Promise<{ rootElement: unknown; warnings: unknown[] }>;
  }
}
