import { randomUUID } from 'node:crypto';
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import type * as fhir4 from 'fhir/r4.js';
import { z } from 'zod';
import {
  AppointmentStateError,
  CupUnavailableError,
  SlotUnavailableError,
  type Appointment,
} from '../../adapters/cup/cup.js';
import {
  FHIR_EXTENSIONS,
  FHIR_SYSTEMS,
  priorityFromExtensions,
  referencedId,
} from '../../adapters/cup/fhir-profile.js';
import type { LocalCup } from '../../adapters/cup/local-cup.js';
import { checkNre } from '../../domain/cup/prescription.js';
import type { Logger } from '../../platform/logger.js';
import {
  FhirHttpError,
  agendaSearch,
  bookingBody,
  idempotencyKeyOf,
  identifierSearch,
  identifierToken,
  ifNoneExistOf,
  cancelPatch,
  invalid,
  jsonPatch,
  localIdOf,
  moveParams,
  notFound,
  parametersBody,
  parseInput,
  recallSearch,
  reminderSearch,
  requestKeyOf,
  requireBody,
  slotIdOf,
  slotSearch,
} from './requests.js';
import {
  FHIR_JSON,
  JSON_PATCH,
  appointmentToFhir,
  capabilityStatement,
  cupIssue,
  fromFhirId,
  healthcareServiceToFhir,
  locationToFhir,
  operationOutcome,
  patientToFhir,
  reminderAppointmentToFhir,
  reminderPatientToFhir,
  scheduleToFhir,
  searchsetBundle,
  slotOfferToFhir,
  slotToFhir,
  toFhirId,
} from './resources.js';

/**
 * A stand-in for the region's CUP: FHIR R4 endpoints over the local CUP, in the profile of
 * adapters/cup/fhir-profile.ts, so that `FhirCup` can be run against the project itself and a
 * regional CUP speaking FHIR can be compared with it. The app mounts it at `/fhir` when the
 * local CUP is in use (no `CUP_FHIR_BASE_URL`), behind its access guard (api/app.ts). JSON
 * only (`application/fhir+json`); errors are `OperationOutcome` with Italian `diagnostics`.
 *
 * | request | what |
 * | --- | --- |
 * | `GET /metadata` | CapabilityStatement |
 * | `GET /Slot?service-type=[system\|]code&status=free&start=gt\|ge<instant>&schedule.actor=Location/<id>&_count=N&_sort=start&_include=Slot:schedule` | earliest free slots (`Cup.findEarliestSlots`), the agendas as included Schedules |
 * | `GET /Slot/:id`, `/Schedule/:id`, `/Location/:id`, `/Patient/:id`, `/Appointment/:id` | read |
 * | `GET /Appointment?_query=recall-candidates&schedule=<id>&from=<instant>&min-days-ahead=N&exclude=<id>[,<id>…]&_count=N` | bookings to call when an earlier slot frees up (`Cup.recallCandidates`) |
 * | `GET /Appointment?_query=reminder-extract&from=<instant>&to=<instant>[&after-start=<instant>&after-id=<id>]&_count=N` | reminder extract (`Cup.upcoming`): appointments reduced to booking code and times, their patients reduced to the mobile number, both tagged SUBSETTED and the patients included; a `next` link when the page is full |
 * | `GET /Appointment?slot.schedule=Schedule/<id>&status=booked&date=ge<instant>&date=lt<instant>&_sort=date&_count=N` | the bookings of an agenda in a period, by start (`Cup.agendaBookings`), a `next` link when the page is full |
 * | `GET /Appointment?identifier=[system\|]value&_count=N` | the bookings holding an identifier (the request key of `FhirCup`'s bookings) |
 * | `POST /Appointment` | book: an Appointment with one `slot`, one Patient `participant`, `status` proposed/pending/booked, optional `serviceType` (else the slot's) and `basedOn` NRE; its `identifier`s are kept (the booking code is the server's). A conditional create (`If-None-Exist: identifier=[system\|]value`, as HAPI FHIR does it): one booking holding that identifier is the answer, 200, nothing created; two, 412. Otherwise 201; with an `Idempotency-Key` header a repeated key answers 200 with its booking. 409 when the slot is taken |
 * | `PATCH /Appointment/:id` | cancel: JSON Patch (`application/json-patch+json`) setting `/status` to `cancelled` and `/cancelationReason` (`{text}`) or `/cancelationReason/text`; nothing else may change. A cancelled booking stays as it is |
 * | `POST /Appointment/:id/$move` | move: Parameters `slot` (valueReference), `reason` and `requestKey` (valueString; or `Idempotency-Key`). 201 with the new Appointment, whose extension {@link FHIR_EXTENSIONS.replaces} points at the old one (200 on a repeated key); 409 when the slot is taken |
 *
 * Moving is an operation rather than a create with the `replaces` extension because it also
 * cancels the old booking, with a reason that belongs to neither resource. Refusals carry a
 * code in {@link FHIR_SYSTEMS.issue}: `slot-unavailable` (409), `appointment-state` (422, the
 * booking cannot change). Unknown search parameters are ignored, as FHIR's lenient handling
 * says; known ones with a bad value are a 400.
 */
export function cupFhirStandIn({ cup, log }: { cup: LocalCup; log: Logger }): Router {
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
    const schedules = q._include ? await cup.schedules([...new Set(offers.map((o) => o.scheduleId))]) : [];
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
    const [schedule] = await cup.schedules([localIdOf(req)]);
    if (!schedule) throw notFound('Schedule');
    send(res, 200, scheduleToFhir(schedule));
  });

  /** The service catalogue (search without parameters: the whole catalogue, a few dozen entries). */
  r.get('/HealthcareService', async (req, res) => {
    const services = [...(await cup.listServices())].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
    send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), services.map(healthcareServiceToFhir)));
  });

  r.get('/Location/:id', async (req, res) => {
    const structure = await cup.structureDetail(localIdOf(req));
    if (!structure) throw notFound('Location');
    send(res, 200, locationToFhir(structure));
  });

  /**
   * `GET /Patient?identifier=http://hl7.it/sid/codiceFiscale|<CF>`: the patient with that fiscal
   * code; `GET /Patient?phone=<E.164>`: the patients with that phone number.
   */
  r.get('/Patient', async (req, res) => {
    if (typeof req.query['phone'] === 'string') {
      const { phone } = parseInput(z.object({ phone: z.string().regex(/^\+[1-9]\d{6,14}$/) }), req.query, 'query');
      const found = await cup.findPatientsByPhone(phone);
      send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), found.map(patientToFhir)));
      return;
    }
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
    send(res, 200, await appointmentResource(appointment));
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
      send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), await appointmentResources(found)));
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
      const byId = new Map((await cup.appointmentsByIds(entries.map((e) => e.appointmentId))).map((a) => [a.id, a]));
      const lines = entries.flatMap((e) => {
        const a = byId.get(e.appointmentId);
        return a ? [{ ...e, patientId: a.patientId, end: a.end }] : [];
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
    if (named === undefined && req.query['slot.schedule'] !== undefined) {
      const q = parseInput(agendaSearch, req.query, 'query');
      const scheduleId = fromFhirId(q['slot.schedule'].replace(/^Schedule\//, ''));
      const afterId = q['after-id'] === undefined ? undefined : fromFhirId(q['after-id']);
      const found =
        scheduleId === undefined
          ? []
          : await cup.agendaBookingsPage(
              { scheduleId, from: q.date.from, to: q.date.to },
              q['after-start'] && afterId !== undefined
                ? { start: q['after-start'], appointmentId: afterId }
                : undefined,
              q._count,
            );
      const last = found.at(-1);
      const next =
        last && found.length === q._count
          ? selfUrlOf(req, { 'after-start': last.start, 'after-id': toFhirId(last.id) })
          : undefined;
      send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), await appointmentResources(found), [], next));
      return;
    }
    if (named === undefined && req.query.identifier !== undefined) {
      const q = parseInput(identifierSearch, req.query, 'query');
      const found = await cup.appointmentsByIdentifier(identifierToken(q.identifier, 'Parametro identifier'), q._count);
      send(res, 200, searchsetBundle(baseUrlOf(req), selfUrlOf(req), await appointmentResources(found)));
      return;
    }
    throw new FhirHttpError(400, [
      {
        severity: 'error',
        code: 'not-supported',
        diagnostics:
          'Ricerca di Appointment non supportata: indicare identifier, oppure _query=recall-candidates o _query=reminder-extract.',
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
    // A conditional create, as a FHIR server does it: one match is the answer (200, nothing
    // created, whatever the body says), two or more a 412.
    const condition = ifNoneExistOf(req);
    if (condition) {
      const matches = await cup.appointmentsByIdentifier(condition, 2);
      if (matches.length > 1) {
        throw new FhirHttpError(412, [
          {
            severity: 'error',
            code: 'multiple-matches',
            diagnostics:
              'If-None-Exist: più prenotazioni hanno l\u2019identificativo indicato; non ne è stata creata un\u2019altra.',
          },
        ]);
      }
      if (matches[0]) {
        res.location(`${baseUrlOf(req)}/Appointment/${toFhirId(matches[0].id)}`);
        send(res, 200, await appointmentResource(matches[0]));
        return;
      }
    }
    // The local CUP books once per key: the caller's Idempotency-Key, else the condition (so
    // that two racing creates with one condition make one booking), else none (a plain create).
    const requestKey =
      idempotencyKeyOf(req) ??
      (condition ? `if-none-exist:${condition.system ?? ''}|${condition.value}` : `create:${randomUUID()}`);
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
    const priority = priorityFromExtensions(body.extension);
    const { appointment, created } = await cup.bookWithIdentifiers(
      {
        slotId,
        patientId,
        serviceCode,
        prescriptionNre: nre?.trim().toUpperCase(),
        requestKey,
        priorityClass: priority.priorityClass ?? undefined,
        beyondPriorityLimit: priority.beyondPriorityLimit,
      },
      // The server assigns the booking code; every other identifier is kept as given.
      (body.identifier ?? []).filter((i) => i.system !== FHIR_SYSTEMS.bookingCode),
    );
    res.location(`${baseUrlOf(req)}/Appointment/${toFhirId(appointment.id)}`);
    send(res, created ? 201 : 200, await appointmentResource(appointment));
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
    send(res, 200, await appointmentResource(await cup.cancel({ appointmentId: id, reason })));
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
    const replay = await cup.requestKeyUsed(requestKey);
    const moved = await cup.move({ appointmentId: id, slotId, reason: params.reason ?? '', requestKey });
    res.location(`${baseUrlOf(req)}/Appointment/${toFhirId(moved.id)}`);
    send(res, replay ? 200 : 201, await appointmentResource(moved));
  });

  r.use((_req, _res) => {
    throw new FhirHttpError(404, [
      { severity: 'error', code: 'not-supported', diagnostics: 'Risorsa o interazione FHIR non supportata.' },
    ]);
  });
  r.use(fhirErrors(log));

  /** Appointments as resources, with the identifiers they were booked with. */
  async function appointmentResources(list: readonly Appointment[]): Promise<fhir4.Appointment[]> {
    const identifiers = await cup.identifiersOf(list.map((a) => a.id));
    return list.map((a) => appointmentToFhir(a, identifiers.get(a.id)));
  }

  async function appointmentResource(a: Appointment): Promise<fhir4.Appointment> {
    return appointmentToFhir(a, (await cup.identifiersOf([a.id])).get(a.id));
  }

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

  return r;
}

function send(res: Response, status: number, resource: fhir4.FhirResource): void {
  res.status(status).type(FHIR_JSON).json(resource);
}

const baseUrlOf = (req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;

/** This request's URL, with some search parameters replaced (for `next` links). */
function selfUrlOf(req: Request, replace: Record<string, string> = {}): string {
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  for (const [k, v] of Object.entries(replace)) url.searchParams.set(k, v);
  return url.toString();
}

function fhirErrors(log: Logger): ErrorRequestHandler {
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
