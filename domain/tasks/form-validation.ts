/**
 * Server-side check of what a person submits for a user task against the task's form-js
 * schema: the same rules the form shows in the browser (required, length, pattern,
 * min/max, options), enforced again here because the API must not trust the browser.
 * Only the form's own fields may be submitted, so a completion cannot set other process
 * variables.
 */

export interface FieldError {
  field: string;
  message: string;
}

interface FormComponent {
  type: string;
  key?: string;
  path?: string;
  label?: string;
  disabled?: boolean;
  readonly?: boolean | string;
  values?: { value: unknown; label?: string }[];
  valuesKey?: string;
  validate?: {
    required?: boolean;
    minLength?: number;
    maxLength?: number;
    min?: number;
    max?: number;
    pattern?: string;
    validationType?: 'email' | 'phone';
  };
  components?: FormComponent[];
}

/** Components that carry a value the person enters. */
const INPUT_TYPES = new Set([
  'textfield',
  'textarea',
  'number',
  'select',
  'radio',
  'checkbox',
  'checklist',
  'taglist',
  'datetime',
]);

interface InputField {
  name: string;
  component: FormComponent;
}

function inputFields(components: FormComponent[] | undefined, prefix: string[] = []): InputField[] {
  const out: InputField[] = [];
  for (const c of components ?? []) {
    if (c.components && (c.type === 'group' || c.type === 'dynamiclist')) {
      out.push(...inputFields(c.components, c.path ? [...prefix, ...c.path.split('.')] : prefix));
    } else if (c.key && INPUT_TYPES.has(c.type) && !c.disabled && c.readonly !== true) {
      out.push({ name: [...prefix, ...c.key.split('.')].join('.'), component: c });
    }
  }
  return out;
}

function getPath(obj: Record<string, unknown>, name: string): unknown {
  return name
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), obj);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function optionValues(c: FormComponent, context: Record<string, unknown>): unknown[] | undefined {
  if (c.values) return c.values.map((o) => o.value);
  if (c.valuesKey) {
    const dynamic = getPath(context, c.valuesKey);
    if (Array.isArray(dynamic)) {
      return dynamic.map((o: unknown) => (o && typeof o === 'object' && 'value' in o ? o.value : o));
    }
    return [];
  }
  return undefined;
}

function topLevelKeys(fields: InputField[]): Set<string> {
  return new Set(fields.map((f) => f.name.split('.')[0] ?? f.name));
}

/**
 * Validates `submitted` against the form `schema`; `context` is the task's variables
 * (for options taken from a variable, `valuesKey`). Messages are in Italian, for the operator.
 */
export function validateSubmission(
  schema: unknown,
  submitted: Record<string, unknown>,
  context: Record<string, unknown>,
): FieldError[] {
  const components = (schema as { components?: FormComponent[] } | undefined)?.components;
  const fields = inputFields(components);
  const errors: FieldError[] = [];
  const allowed = topLevelKeys(fields);
  for (const key of Object.keys(submitted)) {
    if (!allowed.has(key)) errors.push({ field: key, message: 'Campo non previsto dal modulo.' });
  }
  for (const { name, component: c } of fields) {
    const value = getPath(submitted, name);
    const v = c.validate ?? {};
    const label = c.label ?? name;
    if (isEmpty(value)) {
      if (v.required) errors.push({ field: name, message: `«${label}» è obbligatorio.` });
      continue;
    }
    switch (c.type) {
      case 'number': {
        const n = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(n)) {
          errors.push({ field: name, message: `«${label}» deve essere un numero.` });
          break;
        }
        if (v.min !== undefined && n < v.min)
          errors.push({ field: name, message: `«${label}» deve essere almeno ${v.min}.` });
        if (v.max !== undefined && n > v.max)
          errors.push({ field: name, message: `«${label}» deve essere al massimo ${v.max}.` });
        break;
      }
      case 'checkbox':
        if (typeof value !== 'boolean') errors.push({ field: name, message: `«${label}» deve essere vero o falso.` });
        break;
      case 'checklist':
      case 'taglist': {
        const options = optionValues(c, context);
        if (!Array.isArray(value)) errors.push({ field: name, message: `«${label}» deve essere un elenco.` });
        else if (options && value.some((x) => !options.includes(x))) {
          errors.push({ field: name, message: `«${label}» contiene una scelta non disponibile.` });
        }
        break;
      }
      case 'select':
      case 'radio': {
        const options = optionValues(c, context);
        if (options && !options.includes(value)) {
          errors.push({ field: name, message: `«${label}»: la scelta non è tra quelle disponibili.` });
        }
        break;
      }
      case 'datetime':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value.length === 5 ? `1970-01-01T${value}` : value))) {
          errors.push({ field: name, message: `«${label}» non è una data/ora valida.` });
        }
        break;
      default: {
        if (typeof value !== 'string') {
          errors.push({ field: name, message: `«${label}» deve essere un testo.` });
          break;
        }
        if (v.minLength !== undefined && value.length < v.minLength) {
          errors.push({ field: name, message: `«${label}» deve avere almeno ${v.minLength} caratteri.` });
        }
        if (v.maxLength !== undefined && value.length > v.maxLength) {
          errors.push({ field: name, message: `«${label}» può avere al massimo ${v.maxLength} caratteri.` });
        }
        if (v.pattern && !new RegExp(`^(?:${v.pattern})$`).test(value)) {
          errors.push({ field: name, message: `«${label}» non ha il formato richiesto.` });
        }
        if (v.validationType === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
          errors.push({ field: name, message: `«${label}» non è un indirizzo email valido.` });
        }
        if (v.validationType === 'phone' && !/^\+?[0-9 ]{6,16}$/.test(value)) {
          errors.push({ field: name, message: `«${label}» non è un numero di telefono valido.` });
        }
      }
    }
  }
  return errors;
}
