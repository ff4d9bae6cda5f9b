// Types for the parts of the bpmn-io packages without their own that modeler/ uses.
declare module '@camunda/linting' {
  export interface LintReport {
    id: string;
    message: string;
    category: 'error' | 'warn' | 'info' | 'rule-error';
    rule: string;
  }
  export class Linter {
    constructor(options?: { modeler?: 'web' | 'desktop'; type?: 'cloud' | 'platform'; plugins?: unknown[] });
    lint(contents: unknown): Promise<LintReport[]>;
  }
}
declare module '@camunda/linting/modeler' {
  const module: unknown;
  export default module;
}
declare module 'bpmnlint/lib/resolver/static-resolver' {
  export default class StaticResolver {
    constructor(cache: Record<string, unknown>);
  }
}
declare module 'bpmn-js-differ' {
  export interface DiffResult {
    _added: Record<string, unknown>;
    _removed: Record<string, unknown>;
    _changed: Record<string, { attrs: Record<string, { oldValue: unknown; newValue: unknown }> }>;
    _layoutChanged: Record<string, unknown>;
  }
  export function diff(a: unknown, b: unknown): DiffResult;
}
declare module 'camunda-bpmn-moddle/resources/camunda.json' {
  const schema: Record<string, unknown>;
  export default schema;
}
declare module 'bpmn-moddle' {
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>);
    fromXML(xml: string): Promise<{ rootElement: unknown }>;
  }
}
