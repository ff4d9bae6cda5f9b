import type { Request } from 'express';
import type * as fhir4 from 'fhir/r4.js';
import { z } from 'zod';
import { SlotUnavailableError } from '../../adapters/cup/cup.js';
import { FHIR_ID, FHIR_SYSTEMS, referencedId } from '../../adapters/cup/fhir-profile.js';
import type { BookingIdentifier } from '../../adapters/cup/local-cup.js';
import { fromFhirId } from './resources.js';

/**
 * What the local CUP's FHIR stand-in accepts: search parameters, resources and patches as
 * zod schemas with Italian messages, and the refusals as OperationOutcome issues.
 */

const italian = z.locales.it();

/** A FHIR refusal: the status and the issues of its OperationOutcome. */
export class FhirHttpError extends Error {
  override name = 'FhirHttpError';
  constructor(
    readonly status: number,
    readonly issues: fhir4.OperationOutcomeIssue[],
  ) {
    super(issues[0]?.diagnostics);
  }
}

export const invalid = (
  diagnostics: string,
  expression?: string,
  code: fhir4.OperationOutcomeIssue['code'] = 'invalid',
) =>
  new FhirHttpError(400, [
    { severity: 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) },
  ]);

export const notFound = (type: string) =>
  new FhirHttpError(404, [{ severity: 'error', code: 'not-found', diagnostics: `${type} non trovato.` }]);

/**
 * The local slot of a reference. The local CUP's slot ids are numbers: any other id names no
 * slot, which the CUP reports as not free (and PostgreSQL would refuse as a bigint).
 */
export function slotIdOf(reference: string | undefined): string {
  const id = fromFhirId(referencedId(reference, 'Slot') ?? '');
  if (id === undefined || !/^\d{1,18}$/.test(id)) throw new SlotUnavailableError('lo slot indicato non esiste');
  return id;
}

/** The local id in `:id`, or a 404: ids this server never wrote cannot name anything here. */
export function localIdOf(req: Request): string {
  const { id } = parseInput(z.object({ id: z.string().regex(FHIR_ID, 'id FHIR non valido') }), req.params, 'id');
  const local = fromFhirId(id);
  if (local === undefined) throw notFound(req.path.split('/')[1] ?? 'Risorsa');
  return local;
}

export function requireBody(req: Request, types: string[]): unknown {
  const kind = req.is(types);
  if (kind === null) throw invalid('Corpo della richiesta mancante.', undefined, 'required');
  if (kind === false) {
    throw new FhirHttpError(415, [
      { severity: 'error', code: 'not-supported', diagnostics: `Formato non supportato: usare ${types[0]}.` },
    ]);
  }
  return req.body;
}

/** The request key of a `$move`: its `requestKey` parameter or the `Idempotency-Key` header; both must agree. */
export function requestKeyOf(req: Request, inBody: string | undefined, where: string): string {
  const parsed = parseInput(
    z.object({ body: requestKey.optional(), header: requestKey.optional() }),
    { body: inBody, header: req.header('idempotency-key') },
    'chiave di richiesta',
  );
  if (parsed.body && parsed.header && parsed.body !== parsed.header) {
    throw invalid('La chiave di richiesta nel corpo e nell\u2019intestazione Idempotency-Key non coincidono.', where);
  }
  const key = parsed.body ?? parsed.header;
  if (!key) {
    throw invalid(
      "Manca la chiave di richiesta: il parametro requestKey oppure l'intestazione Idempotency-Key.",
      where,
      'required',
    );
  }
  return key;
}

/** The `Idempotency-Key` header of a create, when the caller sent one. */
export function idempotencyKeyOf(req: Request): string | undefined {
  return parseInput(
    z.object({ header: requestKey.optional() }),
    { header: req.header('idempotency-key') },
    'chiave di richiesta',
  ).header;
}

/**
 * A token search value, `[system|]value`, FHIR's escapes (`\|`, `\,`, `\$`, `\\`) undone;
 * `system` undefined when the value may be in any system. An unescaped `,` (several values)
 * is not supported here, nor an empty system (`|value`, a value in no system).
 */
export function identifierToken(raw: string, where: string): BookingIdentifier {
  const parts: string[] = [''];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? '';
    if (c === '\\' && i + 1 < raw.length) {
      parts[parts.length - 1] += raw[++i] ?? '';
    } else if (c === '|' && parts.length === 1) {
      parts.push('');
    } else if (c === ',') {
      throw invalid(
        `${where}: un solo valore di identifier, senza virgole (usare \\, nel valore).`,
        undefined,
        'not-supported',
      );
    } else {
      parts[parts.length - 1] += c;
    }
  }
  const [first = '', second] = parts;
  const identifier = second === undefined ? { value: first } : { system: first, value: second };
  if (identifier.value === '' || identifier.system === '') {
    throw invalid(
      `${where}: atteso identifier=<system>|<valore> oppure identifier=<valore>.`,
      undefined,
      'not-supported',
    );
  }
  return identifier;
}

/**
 * The condition of a conditional create (`If-None-Exist: identifier=[system|]value`, as a
 * query string): the identifier the Appointment must not share with an existing one. Other
 * search parameters are refused, as a server refuses parameters it does not know.
 */
export function ifNoneExistOf(req: Request): BookingIdentifier | undefined {
  const header = req.header('if-none-exist');
  if (header === undefined) return undefined;
  const params = [...new URLSearchParams(header.replace(/^\?/, ''))];
  const unknown = params.find(([name]) => name !== 'identifier');
  if (unknown || params.length !== 1) {
    throw invalid(
      `If-None-Exist: si può indicare solo identifier, una volta (ad es. identifier=${FHIR_SYSTEMS.requestKey}|<chiave>)${unknown ? `, non ${unknown[0]}` : ''}.`,
      undefined,
      'not-supported',
    );
  }
  return identifierToken(params[0]?.[1] ?? '', 'If-None-Exist');
}

/**
 * Parses a request part with Italian messages; each zod issue becomes an OperationOutcome
 * issue: for a resource with its FHIRPath `expression`, for a query naming the parameter.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'Appointment' | 'Parameters' | 'JSON Patch' | 'query' | 'id' | 'chiave di richiesta',
): z.infer<S> {
  const r = schema.safeParse(value, { error: italian.localeError });
  if (r.success) return r.data;
  throw new FhirHttpError(
    400,
    r.error.issues.map((i): fhir4.OperationOutcomeIssue => {
      const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      if (where === 'query') {
        return {
          severity: 'error',
          code: 'invalid',
          diagnostics: `Parametro ${String(i.path[0] ?? '')}: ${i.message}.`,
        };
      }
      if (where === 'Appointment' || where === 'Parameters') {
        const expression = `${where}${path}`;
        return {
          severity: 'error',
          code: 'invalid',
          diagnostics: `${expression}: ${i.message}.`,
          expression: [expression],
        };
      }
      return { severity: 'error', code: 'invalid', diagnostics: `${where}${path}: ${i.message}.` };
    }),
  );
}

// ---------------------------------------------------------------------------------------
// Inputs.

const instant = z.iso.datetime({
  offset: true,
  error: 'atteso un istante ISO 8601 con fuso, ad es. 2030-01-31T08:00:00Z',
});
const instantDate = instant.transform((v) => new Date(v));
const count = (max: number) => z.coerce.number().int().min(1).max(max);

export const slotSearch = z.object({
  'service-type': z.string({ error: 'obbligatorio: il codice della prestazione, ad es. 89.7A.3' }).min(1),
  status: z.literal('free', { error: 'si cercano solo slot liberi: status=free' }).optional(),
  start: z
    .string()
    .transform((v, ctx) => {
      const at = /^(gt|ge)(.+)$/.exec(v);
      if (!at?.[2] || !instant.safeParse(at[2]).success) {
        ctx.addIssue({ code: 'custom', message: 'atteso gt<istante> o ge<istante>, ad es. ge2030-01-31T08:00:00Z' });
        return z.NEVER;
      }
      const t = new Date(at[2]);
      // The CUP searches strictly after a time; ge includes the instant itself.
      return at[1] === 'ge' ? new Date(t.getTime() - 1) : t;
    })
    .optional(),
  'schedule.actor': z
    .string()
    .regex(/^(Location\/)?[A-Za-z0-9\-.]{1,64}$/, 'atteso Location/<id>')
    .optional(),
  _count: count(100).optional(),
  _sort: z.literal('start', { error: "l'unico ordinamento è start" }).optional(),
  _include: z.literal('Slot:schedule', { error: "l'unica inclusione è Slot:schedule" }).optional(),
});

const idList = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) =>
    (v === undefined ? [] : [v].flat())
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(FHIR_ID, 'id FHIR non valido')));

export const recallSearch = z.object({
  schedule: z.string().regex(/^(Schedule\/)?[A-Za-z0-9\-.]{1,64}$/, 'atteso Schedule/<id>'),
  from: instantDate,
  'min-days-ahead': z.coerce.number().int().min(0).max(3650),
  exclude: idList,
  _count: count(1000).default(20),
});

const dateBound = z.string().transform((v, ctx) => {
  const m = /^(ge|gt|le|lt)(.+)$/.exec(v);
  if (!m?.[2] || !instant.safeParse(m[2]).success) {
    ctx.addIssue({
      code: 'custom',
      message: 'atteso ge, gt, lt o le seguito da un istante, ad es. ge2030-01-31T00:00:00Z',
    });
    return z.NEVER;
  }
  return { prefix: m[1] as 'ge' | 'gt' | 'le' | 'lt', at: new Date(m[2]) };
});

/**
 * `GET /Appointment?slot.schedule=Schedule/<id>&status=booked&date=ge<from>&date=lt<to>`: the
 * bookings of an agenda in a period (`from` included, `to` excluded once gt/le are read as
 * such), by start; `after-start`/`after-id` are the cursor of the `next` link.
 */
export const agendaSearch = z
  .object({
    'slot.schedule': z.string().regex(/^(Schedule\/)?[A-Za-z0-9\-.]{1,64}$/, 'atteso Schedule/<id>'),
    status: z.literal('booked', { error: 'si cercano solo prenotazioni attive: status=booked' }).optional(),
    date: z
      .union([z.string(), z.array(z.string())], {
        error: 'obbligatorio due volte: date=ge<inizio>&date=lt<fine>',
      })
      .transform((v) => [v].flat())
      .pipe(z.array(dateBound))
      .transform((bounds, ctx) => {
        const lower = bounds.filter((b) => b.prefix === 'ge' || b.prefix === 'gt');
        const upper = bounds.filter((b) => b.prefix === 'lt' || b.prefix === 'le');
        if (lower.length !== 1 || upper.length !== 1 || !lower[0] || !upper[0]) {
          ctx.addIssue({ code: 'custom', message: 'indicare un inizio (ge o gt) e una fine (lt o le)' });
          return z.NEVER;
        }
        const from = new Date(lower[0].at.getTime() + (lower[0].prefix === 'gt' ? 1 : 0));
        const to = new Date(upper[0].at.getTime() + (upper[0].prefix === 'le' ? 1 : 0));
        return { from, to };
      }),
    _sort: z.literal('date', { error: "l'unico ordinamento è date" }).optional(),
    _count: count(1000).default(100),
    'after-start': instant.optional(),
    'after-id': z.string().regex(FHIR_ID, 'id FHIR non valido').optional(),
  })
  .refine((q) => (q['after-start'] === undefined) === (q['after-id'] === undefined), {
    message: 'after-start e after-id vanno indicati insieme',
    path: ['after-id'],
  });

/** `GET /Appointment?identifier=[system|]value`: the bookings holding an identifier. */
export const identifierSearch = z.object({
  identifier: z.string({ error: 'obbligatorio: [system|]valore' }).min(1).max(800),
  _count: count(100).default(20),
});

export const reminderSearch = z
  .object({
    from: instantDate,
    to: instantDate,
    'after-start': instant.optional(),
    'after-id': z.string().regex(FHIR_ID, 'id FHIR non valido').optional(),
    _count: count(5000).default(100),
  })
  .refine((q) => (q['after-start'] === undefined) === (q['after-id'] === undefined), {
    message: 'after-start e after-id vanno indicati insieme',
    path: ['after-id'],
  })
  .refine((q) => q.to > q.from, { message: 'to deve seguire from', path: ['to'] });

const requestKey = z
  .string()
  .trim()
  .min(1, 'la chiave di richiesta è vuota')
  .max(200, 'la chiave di richiesta supera 200 caratteri');

const identifierIn = z.object({ system: z.string().optional(), value: z.string().optional() });
const referenceIn = z.object({
  reference: z.string().optional(),
  type: z.string().optional(),
  identifier: identifierIn.optional(),
});

export const bookingBody = z.object({
  resourceType: z.literal('Appointment', { error: 'atteso un Appointment' }),
  status: z.enum(['proposed', 'pending', 'booked'], {
    error: 'lo stato di una nuova prenotazione è proposed, pending o booked',
  }),
  identifier: z
    .array(
      z.object({
        system: z.string().max(500).optional(),
        value: z.string().min(1, 'un identifier senza valore').max(200, 'un identifier supera 200 caratteri'),
      }),
    )
    .max(10, 'al più 10 identifier')
    .optional(),
  extension: z
    .array(z.object({ url: z.string(), valueCode: z.string().optional(), valueBoolean: z.boolean().optional() }))
    .optional(),
  serviceType: z
    .array(
      z.object({
        coding: z.array(z.object({ system: z.string().optional(), code: z.string().min(1).optional() })).optional(),
      }),
    )
    .optional(),
  slot: z
    .array(
      z.object({
        reference: z.string().refine((v) => referencedId(v, 'Slot') !== undefined, 'atteso un riferimento Slot/<id>'),
      }),
    )
    .length(1, 'indicare esattamente uno slot'),
  basedOn: z.array(referenceIn).optional(),
  participant: z
    .array(z.object({ actor: referenceIn.optional(), status: z.string().optional() }))
    .refine(
      (ps) => ps.filter((p) => referencedId(p.actor?.reference, 'Patient')).length === 1,
      'indicare esattamente un partecipante Patient/<id>',
    ),
});

export const jsonPatch = z
  .array(
    z.object({
      op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
      path: z.string(),
      value: z.unknown().optional(),
    }),
  )
  .min(1, 'la JSON Patch è vuota');

export const cancelPatch = z.array(
  z.union([
    z.object({ op: z.enum(['add', 'replace']), path: z.literal('/status'), value: z.literal('cancelled') }),
    z.object({
      op: z.enum(['add', 'replace']),
      path: z.literal('/cancelationReason'),
      value: z.object({ text: z.string() }),
    }),
    z.object({ op: z.enum(['add', 'replace']), path: z.literal('/cancelationReason/text'), value: z.string() }),
  ]),
);

export const parametersBody = z.object({
  resourceType: z.literal('Parameters', { error: 'atteso un Parameters' }),
  parameter: z.array(
    z.object({
      name: z.string(),
      valueReference: z.object({ reference: z.string().optional() }).optional(),
      valueString: z.string().optional(),
    }),
  ),
});

export const moveParams = z.object({
  slot: z.object(
    {
      reference: z.string().refine((v) => referencedId(v, 'Slot') !== undefined, 'atteso un riferimento Slot/<id>'),
    },
    { error: 'obbligatorio: il parametro slot (valueReference Slot/<id>)' },
  ),
  reason: z.string().max(500).optional(),
  requestKey: z.string().optional(),
});
