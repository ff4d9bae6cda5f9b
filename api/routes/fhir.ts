import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { AppointmentStateError, CupUnavailableError, SlotUnavailableError } from '../../adapters/cup/cup.js';
import {
  FHIR_EXTENSIONS,
  FHIR_ID,
  FHIR_SYSTEMS,
  appointmentToFhir,
  cupIssue,
  fromFhirId,
  locationToFhir,
  operationOutcome,
  patientToFhir,
  referencedId,
  reminderAppointmentToFhir,
  reminderPatientToFhir,
  scheduleToFhir,
  searchsetBundle,
  healthcareServiceToFhir,
  slotOfferToFhir,
  slotToFhir,
  toFhirId,
  type LocationInfo,
  type OperationOutcomeIssue,
  type ScheduleInfo,
  priorityFromExtensions,
} from '../../adapters/cup/fhir-mapping.js';
import { checkNre } from '../../domain/cup/prescription.js';

/**
 * FHIR R4 endpoints over the local CUP (mounted at `/fhir`), in the profile of
 * adapters/cup/fhir-mapping.ts, so that `FhirCup` can be run against the project itself and
 * a regional CUP speaking FHIR can be compared with it. JSON only (`application/fhir+json`);
 * errors are `OperationOutcome` with Italian `diagnostics`.
 *
 * | request | what |
 * | --- | --- |
 * | `GET /metadata` | CapabilityStatement |
 * | `GET /Slot?service-type=[system\|]code&status=free&start=gt\|ge<instant>&schedule.actor=Location/<id>&_count=N&_sort=start&_include=Slot:schedule` | earliest free slots (`Cup.findEarliestSlots`), the agendas as included Schedules |
 * | `GET /Slot/:id`, `/Schedule/:id`, `/Location/:id`, `/Patient/:id`, `/Appointment/:id` | read |
 * | `GET /Appointment?_query=recall-candidates&schedule=<id>&from=<instant>&min-days-ahead=N&exclude=<id>[,<id>…]&_count=N` | bookings to call when an earlier slot frees up (`Cup.recallCandidates`) |
 * | `GET /Appointment?_query=reminder-extract&from=<instant>&to=<instant>[&after-start=<instant>&after-id=<id>]&_count=N` | reminder extract (`Cup.upcoming`): appointments reduced to booking code and times, their patients reduced to the mobile number, both tagged SUBSETTED and the patients included; a `next` link when the page is full |
 * | `POST /Appointment` | book: an Appointment with one `slot`, one Patient `participant`, `status` proposed/pending/booked, optional `serviceType` (else the slot's) and `basedOn` NRE; the request key as an `identifier` in {@link FHIR_SYSTEMS.requestKey} or the `Idempotency-Key` header. 201 (200 when the key was already used, with that booking); 409 when the slot is taken |
 * | `PATCH /Appointment/:id` | cancel: JSON Patch (`application/json-patch+json`) setting `/status` to `cancelled` and `/cancelationReason` (`{text}`) or `/cancelationReason/text`; nothing else may change. A cancelled booking stays as it is |
 * | `POST /Appointment/:id/$move` | move: Parameters `slot` (valueReference), `reason` and `requestKey` (valueString; or `Idempotency-Key`). 201 with the new Appointment, whose extension {@link FHIR_EXTENSIONS.replaces} points at the old one (200 on a repeated key); 409 when the slot is taken |
 *
 * Moving is an operation rather than a create with the `replaces` extension because it also
 * cancels the old booking, with a reason that belongs to neither resource. Refusals carry a
 * code in {@link FHIR_SYSTEMS.issue}: `slot-unavailable` (409), `appointment-state` (422, the
 * booking cannot change). Unknown search parameters are ignored, as FHIR's lenient handling
 * says; known ones with a bad value are a 400.
 */
export function fhirRoutes({ cup, db, log }: ApiDeps): Router {
  const r = Router();
  // The app's parser takes application/json; FHIR clients send these.
  r.use(express.json({ type: [FHIR_JSON, JSON_PATCH], limit: '1mb' }));

  r.get('/metadata', (req, res) => {
    send(res, 200, capabilityStatement(baseUrlOf(req)));
  });

  r.get('/Slot', async (req, res) => {
    const q = parseInput(slotSearch, req.query, 'query');
    const [system, code] = q['service-type'].includes('|') ? q['service-type'].split('|', 2) : ['', q['service-type']];
    const actor = q['schedule.actor'];
    const structureId = actor === undefined ? undefined : fromFhirId(actor.replace(/^Location\//, ''));
    // A coding system or a structure this server does not know matches nothing.
    const unknown = (system !== '' && system !== FHIR_SYSTEMS.service) || (actor !== undefined && !structureId);
    const offers = unknown
      ? []
      : await cup.findEarliestSlots({ serviceCode: code ?? '', structureId, after: q.start, limit: q._count });
    const schedules = q._include ? await scheduleInfos(db, [...new Set(offers.map((o) => o.scheduleId))]) : [];
    send(
      res,
      200,
      searchsetBundle(baseUrlOf(req), selfUrlOf(req), offers.map(slotOfferToFhir), schedules.map(scheduleToFhir)),
    );
  });

  r.get('/Slot/:id', async (req, res) => {
    const slot = await cup.getSlot(localIdOf(req));
    if (!slot) throw notFound('Slot');
    send(res, 200, slotToFhir(slot));
  });

  r.get('/Schedule/:id', async (req, res) => {
    const [schedule] = await scheduleInfos(db, [localIdOf(req)]);
    if (!schedule) throw notFound('Schedule');
    send(res, 200, scheduleToFhir(schedule));
  });

  /** The service catalogue (search without parameters: the whole catalogue, a few dozen entries). */
  r.get('/HealthcareService', async (req, res) => {
    const rows: { code: string; name: string; kind: string }[] = await db.query(
      'SELECT code, name, kind FROM cup_services ORDER BY code',
    );
    send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), rows.map(healthcareServiceToFhir)));
  });

  r.get('/Location/:id', async (req, res) => {
    const rows: {
      id: string;
      name: string;
      organization: string;
      city: string;
      address: string;
      phone: string | null;
    }[] = await db.query('SELECT id, name, organization, city, address, phone FROM cup_structures WHERE id = $1', [
      localIdOf(req),
    ]);
    const row = rows[0];
    if (!row) throw notFound('Location');
    const location: LocationInfo = {
      structureId: row.id,
      name: row.name,
      address: row.address,
      city: row.city,
      organization: row.organization,
      phone: row.phone,
    };
    send(res, 200, locationToFhir(location));
  });

  /** `GET /Patient?identifier=http://hl7.it/sid/codiceFiscale|<CF>`: the patient with that fiscal code. */
  r.get('/Patient', async (req, res) => {
    const { identifier } = parseInput(z.object({ identifier: z.string().min(1) }), req.query, 'query');
    const [system, value] = identifier.includes('|') ? identifier.split('|', 2) : [undefined, identifier];
    if (system !== undefined && system !== FHIR_SYSTEMS.fiscalCode) {
      send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), []));
      return;
    }
    const patient = await cup.findPatientByFiscalCode(value ?? '');
    send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), patient ? [patientToFhir(patient)] : []));
  });

  /** `PATCH /Patient/:id`: only the mobile number, as `replace /telecom` with one mobile phone. */
  r.patch('/Patient/:id', async (req, res) => {
    const id = localIdOf(req);
    const ops = parseInput(jsonPatch, requireBody(req, [JSON_PATCH]), 'JSON Patch');
    const mobile = z
      .tuple([
        z.object({
          op: z.literal('replace'),
          path: z.literal('/telecom'),
          value: z.tuple([
            z.object({ system: z.literal('phone'), value: z.string().regex(/^\+\d{8,15}$/), use: z.literal('mobile') }),
          ]),
        }),
      ])
      .safeParse(ops);
    if (!mobile.success) {
      throw new FhirHttpError(422, [
        {
          severity: 'error',
          code: 'not-supported',
          diagnostics: 'Con PATCH su Patient si può solo sostituire /telecom con un numero di cellulare in E.164.',
        },
      ]);
    }
    if (!(await cup.getPatient(id))) throw notFound('Patient');
    const updated = await cup.updatePatientMobile(id, mobile.data[0].value[0].value);
    send(res, 200, patientToFhir(updated));
  });

  r.get('/Patient/:id', async (req, res) => {
    const patient = await cup.getPatient(localIdOf(req));
    if (!patient) throw notFound('Patient');
    send(res, 200, patientToFhir(patient));
  });

  r.get('/Appointment/:id', async (req, res) => {
    const appointment = await cup.getAppointment(localIdOf(req));
    if (!appointment) throw notFound('Appointment');
    send(res, 200, appointmentToFhir(appointment));
  });

  r.get('/Appointment', async (req, res) => {
    const named = req.query._query;
    if (named === 'recall-candidates') {
      const q = parseInput(recallSearch, req.query, 'query');
      const scheduleId = fromFhirId(q.schedule.replace(/^Schedule\//, ''));
      const found = scheduleId
        ? await cup.recallCandidates({
            scheduleId,
            from: q.from,
            minDaysAhead: q['min-days-ahead'],
            excludeAppointmentIds: q.exclude.map(fromFhirId).filter((id): id is string => id !== undefined),
            limit: q._count,
          })
        : [];
      send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), found.map(appointmentToFhir)));
      return;
    }
    if (named === 'reminder-extract') {
      const q = parseInput(reminderSearch, req.query, 'query');
      const afterId = q['after-id'] === undefined ? undefined : fromFhirId(q['after-id']);
      const entries = await cup.upcoming({
        from: q.from,
        to: q.to,
        after:
          q['after-start'] && afterId !== undefined ? { start: q['after-start'], appointmentId: afterId } : undefined,
        limit: q._count,
      });
      // The extract has no patient nor end; one read of the page's rows adds them.
      const extra: { id: string; patient_id: string; ends_at: Date }[] = entries.length
        ? await db.query(
            `SELECT a.id, a.patient_id, s.ends_at FROM cup_appointments a JOIN cup_slots s ON s.id = a.slot_id
              WHERE a.id = ANY ($1::text[])`,
            [entries.map((e) => e.appointmentId)],
          )
        : [];
      const byId = new Map(extra.map((x) => [x.id, x]));
      const lines = entries.flatMap((e) => {
        const x = byId.get(e.appointmentId);
        return x ? [{ ...e, patientId: x.patient_id, end: x.ends_at.toISOString() }] : [];
      });
      const patients = new Map(lines.map((l) => [l.patientId, reminderPatientToFhir(l.patientId, l.mobile)]));
      const last = entries.at(-1);
      const next =
        last && entries.length === q._count
          ? selfUrlOf(req, { 'after-start': last.start, 'after-id': toFhirId(last.appointmentId) })
          : undefined;
      send(
        res,
        200,
        searchsetBundle(
          baseUrlOf(req),
          selfUrlOf(req),
          lines.map(reminderAppointmentToFhir),
          [...patients.values()],
          next,
        ),
      );
      return;
    }
    throw new FhirHttpError(400, [
      {
        severity: 'error',
        code: 'not-supported',
        diagnostics:
          'Ricerca di Appointment non supportata: indicare _query=recall-candidates oppure _query=reminder-extract.',
        expression: ['_query'],
      },
    ]);
  });

  r.post('/Appointment', async (req, res) => {
    const body = parseInput(bookingBody, requireBody(req, [FHIR_JSON, 'application/json']), 'Appointment');
    if (body.extension?.some((e) => e.url === FHIR_EXTENSIONS.replaces)) {
      throw invalid(
        'Per spostare una prenotazione usare POST Appointment/<id>/$move, non una nuova prenotazione con «replaces».',
        'Appointment.extension',
      );
    }
    const requestKey = requestKeyOf(
      req,
      body.identifier?.find((i) => i.system === FHIR_SYSTEMS.requestKey)?.value,
      'Appointment.identifier',
    );
    const slotId = slotIdOf(body.slot[0]?.reference);
    const patientRef = body.participant.map((p) => referencedId(p.actor?.reference, 'Patient')).find(Boolean);
    const patientId = patientRef === undefined ? undefined : fromFhirId(patientRef);
    if (patientId === undefined || !(await cup.getPatient(patientId))) {
      throw new FhirHttpError(422, [
        {
          severity: 'error',
          code: 'not-found',
          diagnostics: 'Paziente non trovato sul CUP.',
          expression: ['Appointment.participant'],
        },
      ]);
    }
    const nre = body.basedOn?.map((b) => b.identifier).find((i) => i?.system === FHIR_SYSTEMS.nre)?.value;
    const nreProblem = nre === undefined ? undefined : checkNre(nre);
    if (nreProblem) throw invalid(nreProblem, 'Appointment.basedOn');
    const serviceCode = await serviceCodeOf(body.serviceType, slotId);
    const replay = await holderOf(requestKey);
    const priority = priorityFromExtensions(body.extension);
    const appointment = await cup.book({
      slotId,
      patientId,
      serviceCode,
      prescriptionNre: nre?.trim().toUpperCase(),
      requestKey,
      priorityClass: priority.priorityClass ?? undefined,
      beyondPriorityLimit: priority.beyondPriorityLimit,
    });
    res.location(`${baseUrlOf(req)}/Appointment/${toFhirId(appointment.id)}`);
    send(res, replay ? 200 : 201, appointmentToFhir(appointment));
  });

  r.patch('/Appointment/:id', async (req, res) => {
    const id = localIdOf(req);
    const ops = parseInput(jsonPatch, requireBody(req, [JSON_PATCH]), 'JSON Patch');
    const change = cancelPatch.safeParse(ops);
    if (!change.success) {
      throw new FhirHttpError(422, [
        {
          severity: 'error',
          code: 'not-supported',
          diagnostics:
            'Con PATCH si può solo disdire: /status a "cancelled" e /cancelationReason con il testo della nota.',
        },
      ]);
    }
    let cancelled = false;
    let reason = '';
    for (const op of change.data) {
      if (op.path === '/status') cancelled = true;
      else reason = typeof op.value === 'string' ? op.value : op.value.text;
    }
    if (!cancelled) {
      throw new FhirHttpError(422, [
        { severity: 'error', code: 'not-supported', diagnostics: 'Con PATCH si può solo disdire: manca /status.' },
      ]);
    }
    if (reason.trim() === '') {
      throw invalid(
        'La disdetta richiede una nota in cancelationReason.text.',
        'Appointment.cancelationReason.text',
        'required',
      );
    }
    if (!(await cup.getAppointment(id))) throw notFound('Appointment');
    send(res, 200, appointmentToFhir(await cup.cancel({ appointmentId: id, reason })));
  });

  r.post('/Appointment/:id/$move', async (req, res) => {
    const id = localIdOf(req);
    const body = parseInput(parametersBody, requireBody(req, [FHIR_JSON, 'application/json']), 'Parameters');
    const params = parseInput(
      moveParams,
      Object.fromEntries(body.parameter.map((p) => [p.name, p.valueReference ?? p.valueString])),
      'Parameters',
    );
    const requestKey = requestKeyOf(req, params.requestKey, 'Parameters.parameter');
    const slotId = slotIdOf(params.slot.reference);
    if (!(await cup.getAppointment(id))) throw notFound('Appointment');
    const replay = await holderOf(requestKey);
    const moved = await cup.move({ appointmentId: id, slotId, reason: params.reason ?? '', requestKey });
    res.location(`${baseUrlOf(req)}/Appointment/${toFhirId(moved.id)}`);
    send(res, replay ? 200 : 201, appointmentToFhir(moved));
  });

  r.use((_req, _res) => {
    throw new FhirHttpError(404, [
      { severity: 'error', code: 'not-supported', diagnostics: 'Risorsa o interazione FHIR non supportata.' },
    ]);
  });
  r.use(fhirErrors(log));

  /** The service of a booking: the given coding in the catalogue, else the slot's own. */
  async function serviceCodeOf(concepts: z.infer<typeof bookingBody>['serviceType'], slotId: string) {
    const codings = (concepts ?? []).flatMap((c) => c.coding ?? []);
    if (codings.length === 0) return (await cup.getSlot(slotId))?.serviceCode ?? '';
    const ours = codings.find((c) => (c.system === undefined || c.system === FHIR_SYSTEMS.service) && c.code);
    if (!ours?.code) {
      throw invalid(`Prestazione da indicare nel sistema ${FHIR_SYSTEMS.service}.`, 'Appointment.serviceType');
    }
    return ours.code;
  }

  /** Whether a request key was used already: then the answer is 200 with that booking, not 201. */
  async function holderOf(requestKey: string): Promise<boolean> {
    const rows: unknown[] = await db.query('SELECT 1 FROM cup_appointments WHERE request_key = $1', [requestKey]);
    return rows.length > 0;
  }

  return r;
}

const FHIR_JSON = 'application/fhir+json';
const JSON_PATCH = 'application/json-patch+json';
const italian = z.locales.it();

/** A FHIR refusal: the status and the issues of its OperationOutcome. */
class FhirHttpError extends Error {
  override name = 'FhirHttpError';
  constructor(
    readonly status: number,
    readonly issues: OperationOutcomeIssue[],
  ) {
    super(issues[0]?.diagnostics);
  }
}

const invalid = (diagnostics: string, expression?: string, code = 'invalid') =>
  new FhirHttpError(400, [
    { severity: 'error', code, diagnostics, ...(expression ? { expression: [expression] } : {}) },
  ]);

const notFound = (type: string) =>
  new FhirHttpError(404, [{ severity: 'error', code: 'not-found', diagnostics: `${type} non trovato.` }]);

function send(res: Response, status: number, resource: object): void {
  res.status(status).type(FHIR_JSON).json(resource);
}

const baseUrlOf = (req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;

/** This request's URL, with some search parameters replaced (for `next` links). */
function selfUrlOf(req: Request, replace: Record<string, string> = {}): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  for (const [k, v] of Object.entries(replace)) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * The local slot of a reference. The local CUP's slot ids are numbers: any other id names no
 * slot, which the CUP reports as not free (and PostgreSQL would refuse as a bigint).
 */
function slotIdOf(reference: string | undefined): string {
  const id = fromFhirId(referencedId(reference, 'Slot') ?? '');
  if (id === undefined || !/^\d{1,18}$/.test(id)) throw new SlotUnavailableError('lo slot indicato non esiste');
  return id;
}

/** The local id in `:id`, or a 404: ids this server never wrote cannot name anything here. */
function localIdOf(req: Request): string {
  const { id } = parseInput(z.object({ id: z.string().regex(FHIR_ID, 'id FHIR non valido') }), req.params, 'id');
  const local = fromFhirId(id);
  if (local === undefined) throw notFound(req.path.split('/')[1] ?? 'Risorsa');
  return local;
}

function requireBody(req: Request, types: string[]): unknown {
  const kind = req.is(types);
  if (kind === null) throw invalid('Corpo della richiesta mancante.', undefined, 'required');
  if (kind === false) {
    throw new FhirHttpError(415, [
      { severity: 'error', code: 'not-supported', diagnostics: `Formato non supportato: usare ${types[0]}.` },
    ]);
  }
  return req.body;
}

/** The request key: in the resource or the `Idempotency-Key` header; both must agree. */
function requestKeyOf(req: Request, inBody: string | undefined, where: string): string {
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
      `Manca la chiave di richiesta: un identifier con system ${FHIR_SYSTEMS.requestKey} (o il parametro requestKey) oppure l'intestazione Idempotency-Key.`,
      where,
      'required',
    );
  }
  return key;
}

/**
 * Parses a request part with Italian messages; each zod issue becomes an OperationOutcome
 * issue: for a resource with its FHIRPath `expression`, for a query naming the parameter.
 */
function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'Appointment' | 'Parameters' | 'JSON Patch' | 'query' | 'id' | 'chiave di richiesta',
): z.infer<S> {
  const r = schema.safeParse(value, { error: italian.localeError });
  if (r.success) return r.data;
  throw new FhirHttpError(
    400,
    r.error.issues.map((i): OperationOutcomeIssue => {
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

function fhirErrors(log: ApiDeps['log']): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof FhirHttpError) return send(res, err.status, operationOutcome(err.issues));
    if (err instanceof SlotUnavailableError) {
      return send(
        res,
        409,
        operationOutcome([cupIssue('conflict', 'slot-unavailable', `Slot non disponibile: ${err.message}.`)]),
      );
    }
    if (err instanceof AppointmentStateError) {
      return send(
        res,
        422,
        operationOutcome([
          cupIssue('business-rule', 'appointment-state', `Prenotazione non modificabile: ${err.message}.`),
        ]),
      );
    }
    if (err instanceof CupUnavailableError) {
      return send(
        res,
        503,
        operationOutcome([{ severity: 'error', code: 'transient', diagnostics: 'CUP non raggiungibile: riprovare.' }]),
      );
    }
    const e = err as { type?: string; name?: string; message?: string };
    if (e.type === 'entity.parse.failed') {
      return send(
        res,
        400,
        operationOutcome([
          { severity: 'error', code: 'structure', diagnostics: 'Il corpo della richiesta non è JSON valido.' },
        ]),
      );
    }
    if (e.type === 'entity.too.large') {
      return send(
        res,
        413,
        operationOutcome([{ severity: 'error', code: 'too-long', diagnostics: 'Richiesta troppo grande.' }]),
      );
    }
    if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported') {
      return send(
        res,
        415,
        operationOutcome([{ severity: 'error', code: 'not-supported', diagnostics: 'Codifica non supportata.' }]),
      );
    }
    log.error(
      {
        err: { name: e.name, message: e.message?.slice(0, 300) },
        method: req.method,
        path: req.route ? String((req.route as { path: unknown }).path) : undefined,
      },
      'unhandled FHIR API error',
    );
    return send(
      res,
      500,
      operationOutcome([
        { severity: 'error', code: 'exception', diagnostics: 'Si è verificato un errore imprevisto.' },
      ]),
    );
  };
}

/** Agendas with their structure and service, for Schedule reads and `_include=Slot:schedule`. */
async function scheduleInfos(db: ApiDeps['db'], ids: string[]): Promise<ScheduleInfo[]> {
  if (ids.length === 0) return [];
  const rows: {
    id: string;
    name: string;
    active: boolean;
    monitored: boolean;
    structure_id: string;
    structure_name: string;
    service_code: string;
    service_name: string;
    kind: 'visit' | 'exam';
  }[] = await db.query(
    `SELECT sc.id, sc.name, sc.active, sc.monitored, st.id AS structure_id, st.name AS structure_name,
            sc.service_code, sv.name AS service_name, sv.kind
       FROM cup_schedules sc
       JOIN cup_structures st ON st.id = sc.structure_id
       JOIN cup_services sv ON sv.code = sc.service_code
      WHERE sc.id = ANY ($1::text[])
      ORDER BY sc.id`,
    [ids],
  );
  return rows.map((r) => ({
    scheduleId: r.id,
    name: r.name,
    active: r.active,
    monitored: r.monitored,
    structureId: r.structure_id,
    structureName: r.structure_name,
    serviceCode: r.service_code,
    serviceName: r.service_name,
    serviceKind: r.kind,
  }));
}

// --- Inputs --------------------------------------------------------------------------

const instant = z.iso.datetime({
  offset: true,
  error: 'atteso un istante ISO 8601 con fuso, ad es. 2030-01-31T08:00:00Z',
});
const instantDate = instant.transform((v) => new Date(v));
const count = (max: number) => z.coerce.number().int().min(1).max(max);

const slotSearch = z.object({
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

const recallSearch = z.object({
  schedule: z.string().regex(/^(Schedule\/)?[A-Za-z0-9\-.]{1,64}$/, 'atteso Schedule/<id>'),
  from: instantDate,
  'min-days-ahead': z.coerce.number().int().min(0).max(3650),
  exclude: idList,
  _count: count(1000).default(20),
});

const reminderSearch = z
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

const bookingBody = z.object({
  resourceType: z.literal('Appointment', { error: 'atteso un Appointment' }),
  status: z.enum(['proposed', 'pending', 'booked'], {
    error: 'lo stato di una nuova prenotazione è proposed, pending o booked',
  }),
  identifier: z.array(identifierIn).optional(),
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

const jsonPatch = z
  .array(
    z.object({
      op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test']),
      path: z.string(),
      value: z.unknown().optional(),
    }),
  )
  .min(1, 'la JSON Patch è vuota');

const cancelPatch = z.array(
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

const parametersBody = z.object({
  resourceType: z.literal('Parameters', { error: 'atteso un Parameters' }),
  parameter: z.array(
    z.object({
      name: z.string(),
      valueReference: z.object({ reference: z.string().optional() }).optional(),
      valueString: z.string().optional(),
    }),
  ),
});

const moveParams = z.object({
  slot: z.object(
    {
      reference: z.string().refine((v) => referencedId(v, 'Slot') !== undefined, 'atteso un riferimento Slot/<id>'),
    },
    { error: 'obbligatorio: il parametro slot (valueReference Slot/<id>)' },
  ),
  reason: z.string().max(500).optional(),
  requestKey: z.string().optional(),
});

function capabilityStatement(baseUrl: string) {
  const read = { code: 'read' };
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-23',
    publisher: 'Regione Basilicata',
    kind: 'instance',
    software: { name: 'basilicata-contact-center' },
    implementation: { description: 'CUP locale del contact center della Regione Basilicata', url: baseUrl },
    fhirVersion: '4.0.1',
    format: [FHIR_JSON],
    patchFormat: [JSON_PATCH],
    rest: [
      {
        mode: 'server',
        resource: [
          {
            type: 'Slot',
            interaction: [read, { code: 'search-type' }],
            searchInclude: ['Slot:schedule'],
            searchParam: [
              { name: 'service-type', type: 'token', documentation: 'Codice della prestazione (obbligatorio).' },
              { name: 'status', type: 'token', documentation: 'Solo free.' },
              { name: 'start', type: 'date', documentation: 'Prefissi gt o ge.' },
              { name: 'schedule.actor', type: 'reference', documentation: 'Location/<struttura>.' },
              { name: '_count', type: 'number' },
              { name: '_sort', type: 'string', documentation: 'Solo start.' },
            ],
          },
          { type: 'Schedule', interaction: [read] },
          { type: 'Location', interaction: [read] },
          { type: 'Patient', interaction: [read] },
          {
            type: 'Appointment',
            interaction: [read, { code: 'create' }, { code: 'patch' }, { code: 'search-type' }],
            searchParam: [
              { name: '_query', type: 'string', documentation: 'recall-candidates oppure reminder-extract.' },
              { name: 'schedule', type: 'reference', documentation: 'recall-candidates: agenda.' },
              { name: 'from', type: 'date', documentation: 'recall-candidates, reminder-extract.' },
              { name: 'min-days-ahead', type: 'number', documentation: 'recall-candidates.' },
              { name: 'exclude', type: 'token', documentation: 'recall-candidates: id da escludere.' },
              { name: 'to', type: 'date', documentation: 'reminder-extract: fine (esclusa).' },
              { name: 'after-start', type: 'date', documentation: 'reminder-extract: cursore.' },
              { name: 'after-id', type: 'token', documentation: 'reminder-extract: cursore.' },
              { name: '_count', type: 'number' },
            ],
            operation: [
              {
                name: 'move',
                definition: 'https://regione.basilicata.it/fhir/OperationDefinition/Appointment-move',
                documentation: 'Sposta la prenotazione su un altro slot libero (parametri slot, reason, requestKey).',
              },
            ],
          },
        ],
      },
    ],
  };
}
