declare module 'bpmnlint' {
  /** Only the part of bpmnlint's API the platform uses. */
  export class Linter {
    constructor(options: { config: unknown; resolver: unknown });
    lint(definitions: unknown): Promise<Record<string, { id: string; message: string; category: string }[]>>;
  }
}
declare module 'bpmnlint/lib/resolver/static-resolver.js' {
  export default class StaticResolver {
    constructor(cache: Record<string, unknown>);
  }
}
