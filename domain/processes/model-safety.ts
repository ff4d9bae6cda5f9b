/**
 * What a model deployed from the modeler may ask the engine to run. In Camunda 7 expressions
 * (JUEL) can call Java methods and the engine can run scripts and Java classes named in the
 * model: an analyst's model must not reach beyond the process variables. The platform's models
 * do their work in external tasks, so everything else is refused, whatever the analyst
 * confirms (unlike the lint rules, this check cannot be overridden). Pure: no imports.
 */

export interface UnsafeConstruct {
  field: string;
  message: string;
}

/** Methods an expression may call, on a variable or on `execution` (only getVariable). */
const ALLOWED_CALLS = new Set(['getVariable', 'size', 'isEmpty', 'contains', 'containsKey']);
const FORBIDDEN_WORDS =
  /\b(getClass|class|forName|getRuntime|Runtime|System|ProcessBuilder|ClassLoader|getClassLoader|newInstance|invoke|getProcessEngine\w*|getProcessEngineServices|getBean)\b/;

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
const decode = (s: string) =>
  s.replace(/&(#(\d+)|#x([0-9a-f]+)|(\w+));/gi, (m, _e: string, dec?: string, hex?: string, name?: string) =>
    dec ? String.fromCharCode(Number(dec)) : hex ? String.fromCharCode(parseInt(hex, 16)) : (ENTITIES[name ?? ''] ?? m),
  );

/** The problem with one JUEL expression (`${…}` or `#{…}`), or undefined when it only reads variables. */
export function unsafeExpression(expression: string): string | undefined {
  // String literals say nothing about what runs.
  const code = expression.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''");
  const word = FORBIDDEN_WORDS.exec(code);
  if (word) return `«${word[1] ?? ''}» non è ammesso nelle espressioni`;
  for (const m of code.matchAll(/([A-Za-z_$][\w$]*)\s*\(/g)) {
    if (!ALLOWED_CALLS.has(m[1] ?? '')) return `la chiamata «${m[1] ?? ''}(…)» non è ammessa nelle espressioni`;
  }
  for (const m of code.matchAll(/\b(execution|task|authenticatedUserId)\s*\.\s*([A-Za-z_$][\w$]*)/g)) {
    if (m[1] !== 'execution' || m[2] !== 'getVariable') {
      return `«${m[1] ?? ''}.${m[2] ?? ''}» non è ammesso: leggere le variabili con execution.getVariable('nome')`;
    }
  }
  return undefined;
}

/**
 * Attributes and elements of Camunda's namespace are matched under any prefix (or none, for
 * elements in a default namespace): the engine reads them by namespace, not by prefix.
 */
const FORBIDDEN_CONSTRUCTS: { pattern: RegExp; message: string }[] = [
  {
    // An internal entity could expand to markup or to an expression the checks below never see.
    pattern: /<!(DOCTYPE|ENTITY)\b/i,
    message: 'Dichiarazioni DOCTYPE o ENTITY non sono ammesse nel modello.',
  },
  {
    pattern: /<([\w.-]+:)?scriptTask\b/,
    message: 'I compiti script non sono ammessi: usare un compito esterno con il suo worker.',
  },
  {
    pattern:
      /\s[\w.-]+:(class|delegateExpression|expression|variableMappingClass|variableMappingDelegateExpression)\s*=/,
    message:
      'Le implementazioni Java o per espressione non sono ammesse: usare un compito esterno (camunda:type="external") con il suo worker.',
  },
  {
    pattern: /<([\w.-]+:)?(executionListener|taskListener)\b/,
    message: 'I listener nel modello non sono ammessi: il loro lavoro va in un compito esterno.',
  },
  { pattern: /<([\w.-]+:)?(script|connector)\b/, message: 'Script e connettori non sono ammessi nel modello.' },
  { pattern: /\s[\w.-]+:resource\s*=/, message: 'Risorse esterne (camunda:resource) non sono ammesse nel modello.' },
  {
    // What a model makes workers do is weighed on the called process's newest version
    // (model-permissions.ts): a call pinned to an older one (or to the caller's deployment)
    // would run tasks nobody weighed, e.g. an earlier version that cancels bookings.
    pattern: /\s[\w.-]+:calledElementBinding\s*=\s*(?!(["'])latest\1)/,
    message:
      'Un’attività di chiamata deve avviare l’ultima versione del processo chiamato (camunda:calledElementBinding="latest", o nessun binding): versioni fissate (version, versionTag, deployment) non sono ammesse.',
  },
];

/** Everything in a BPMN document that would run more than the platform allows. */
export function unsafeConstructs(xml: string): UnsafeConstruct[] {
  const problems: UnsafeConstruct[] = [];
  for (const c of FORBIDDEN_CONSTRUCTS) {
    if (c.pattern.test(xml)) problems.push({ field: 'modello', message: c.message });
  }
  const text = decode(xml);
  for (const m of text.matchAll(/[$#]\{([^}]*)\}/g)) {
    const problem = unsafeExpression(m[1] ?? '');
    if (problem) problems.push({ field: m[0].slice(0, 80), message: `Espressione non ammessa: ${problem}.` });
  }
  return problems;
}
