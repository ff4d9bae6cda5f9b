/**
 * Process variables on the wire of the engine's REST API. Scalars travel as the engine's own
 * types; objects and lists as JSON (`Object` with serialization format `application/json`,
 * which the engine's JsonVariables plugin turns into maps and lists, so JUEL and
 * multi-instance collections see them as such).
 */
export interface EngineVariable {
  type: string;
  value: unknown;
  valueInfo?: Record<string, unknown>;
}

export type EngineVariables = Record<string, EngineVariable>;

const JSON_FORMAT = 'application/json';
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/** One value as an engine variable. Dates become ISO strings; `undefined` is left out by the caller. */
export function toEngineVariable(value: unknown): EngineVariable {
  if (value === null || value === undefined) return { type: 'Null', value: null };
  if (typeof value === 'string') return { type: 'String', value };
  if (typeof value === 'boolean') return { type: 'Boolean', value };
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return value >= INT_MIN && value <= INT_MAX ? { type: 'Integer', value } : { type: 'Long', value };
    }
    return { type: 'Double', value };
  }
  if (value instanceof Date) return { type: 'String', value: value.toISOString() };
  if (typeof value === 'object') {
    return {
      type: 'Object',
      value: JSON.stringify(value),
      valueInfo: {
        objectTypeName: Array.isArray(value) ? 'java.util.ArrayList' : 'java.util.LinkedHashMap',
        serializationDataFormat: JSON_FORMAT,
      },
    };
  }
  throw new TypeError(`a ${typeof value} cannot be a process variable`);
}

export function toEngineVariables(values: Record<string, unknown>): EngineVariables {
  const out: EngineVariables = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = toEngineVariable(v);
  return out;
}

/** The plain value of an engine variable; JSON objects and lists parsed, unknown types as they came. */
export function fromEngineVariable(v: EngineVariable): unknown {
  const json = (v.type === 'Object' && v.valueInfo?.['serializationDataFormat'] === JSON_FORMAT) || v.type === 'Json';
  if (json && typeof v.value === 'string') {
    try {
      return JSON.parse(v.value) as unknown;
    } catch {
      return v.value;
    }
  }
  if (v.type === 'Date' && typeof v.value === 'string') return new Date(v.value).toISOString();
  return v.value ?? null;
}

export function fromEngineVariables(vars: EngineVariables | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vars ?? {})) out[k] = fromEngineVariable(v);
  return out;
}

/** A variable instance as the history and runtime variable-instance endpoints list it. */
export interface VariableInstance extends EngineVariable {
  name: string;
  processInstanceId: string;
  activityInstanceId?: string;
  executionId?: string | null;
  taskId?: string | null;
}

/** The instance's own variables (its process scope), leaving out those of inner scopes. */
export function processScopeVariables(
  instances: VariableInstance[],
  processInstanceId: string,
): Record<string, unknown> {
  return variablesOf(
    instances.filter((v) => v.activityInstanceId === processInstanceId || v.executionId === processInstanceId),
  );
}

/** Variables of one scope from a list of variable instances (the last of a name wins). */
export function variablesOf(instances: VariableInstance[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of instances) out[v.name] = fromEngineVariable(v);
  return out;
}
