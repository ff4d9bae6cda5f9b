/**
 * Which process variables carry a person's data. Roles without `personal:read` see them
 * masked; the names follow the models' variables (camelCase) and the log redaction list.
 */
const PERSONAL =
  /(fiscal|mobile|phone|patient|givenname|familyname|birth|email|address|prescription|nre$|note$|^text$|body$|name$)/i;

export const MASK = '•••';

export function isPersonalVariable(name: string): boolean {
  return PERSONAL.test(name);
}

/** A copy of `variables` with personal values (at any depth) replaced by a mask. */
export function maskPersonal(variables: Record<string, unknown>): Record<string, unknown> {
  const mask = (value: unknown, key: string): unknown => {
    if (isPersonalVariable(key)) return value === null || value === undefined ? value : MASK;
    if (Array.isArray(value)) return value.map((v) => mask(v, ''));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, mask(v, k)]));
    }
    return value;
  };
  return mask(variables, '') as Record<string, unknown>;
}
