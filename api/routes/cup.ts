import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import type { Cup } from '../../adapters/cup/cup.js';
import { fromEngine } from '../../domain/processes/engine-call.js';
import type { EngineClient } from '../../platform/engine/operaton.js';
import { variablesOf } from '../../platform/engine/variables.js';
import { actorOf, allow, auditRead } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { checkNre } from '../../domain/cup/prescription.js';
import { PRIORITY_CLASSES } from '../../domain/cup/priority.js';
import { checkFiscalCode, normaliseItalianMobile } from '../../domain/cup/patient.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { newBusinessKey } from '../../domain/processes/process-starter.js';
import { ENGINE_ID } from './instances.js';

const bookingBody = z
  .object({
    prescriptionNre: z.string().trim().toUpperCase(),
    serviceCode: z.string().trim().min(1),
    /** The patient, by CUP id or by fiscal code (one of the two). */
    patientId: z.string().trim().min(1).optional(),
    fiscalCode: z.string().trim().toUpperCase().optional(),
    structureId: z.string().trim().min(1).optional(),
    priorityClass: z.enum(PRIORITY_CLASSES).default('P'),
    /** The mobile number the patient confirms on the phone; it replaces the one on the CUP. */
    mobile: z.string().trim().min(1).optional(),
  })
  .refine((b) => (b.patientId === undefined) !== (b.fiscalCode === undefined), {
    message: 'indicare il paziente con patientId oppure con fiscalCode',
    path: ['patientId'],
  });
const cancellationBody = z.object({
  appointmentId: z.string().trim().min(1),
  cancellationNote: z.string().trim().min(5, 'la nota della disdetta è obbligatoria (almeno 5 caratteri)').max(500),
  rebook: z.boolean().default(false),
  structureId: z.string().trim().min(1).optional(),
});
const informationBody = z.object({
  channel: z.enum(['telefono', 'email', 'pec', 'fax', 'sportello']).default('telefono'),
});
const fcrQuery = z.object({ from: z.coerce.date(), to: z.coerce.date() });
const cleanupBody = z
  .object({
    scheduleId: z.string().trim().min(1),
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
  })
  .refine((b) => b.from < b.to, { message: 'il periodo deve finire dopo il suo inizio', path: ['to'] });
const reminderRunBody = z.object({
  reminderDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'data nel formato AAAA-MM-GG'),
});
const slotQuery = z.object({
  serviceCode: z.string().min(1),
  structureId: z.string().min(1).optional(),
  after: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** The CUP booking line: start a booking, search slots, read an appointment. */
export function cupRoutes({ cup, starter, db, engine }: ApiDeps): Router {
  const r = Router();
  r.post('/bookings', allow('cup:contact'), async (req, res) => {
    const body = parseWith(bookingBody, req.body ?? {});
    const actor = actorOf(req);
    const nreProblem = checkNre(body.prescriptionNre);
    if (nreProblem) throw new ValidationError(nreProblem, [{ field: 'prescriptionNre', message: nreProblem }]);
    const mobile = body.mobile === undefined ? undefined : normaliseItalianMobile(body.mobile);
    if (mobile && 'problem' in mobile) {
      throw new ValidationError(mobile.problem, [{ field: 'mobile', message: mobile.problem }]);
    }
    let patientId = body.patientId;
    if (body.fiscalCode !== undefined) {
      const cfProblem = checkFiscalCode(body.fiscalCode);
      if (cfProblem) throw new ValidationError(cfProblem, [{ field: 'fiscalCode', message: cfProblem }]);
      patientId = (await cup.findPatientByFiscalCode(body.fiscalCode))?.id;
      if (!patientId) {
        const message = 'Nessun paziente con questo codice fiscale sul CUP.';
        throw new ValidationError(message, [{ field: 'fiscalCode', message }]);
      }
    }
    if (!patientId || !(await cup.getPatient(patientId))) {
      const message = 'Paziente non trovato sul CUP.';
      throw new ValidationError(message, [{ field: 'patientId', message }]);
    }
    await assertInCatalogue(cup, body.serviceCode, body.structureId);
    // Written only once everything else is valid, so a refused request changes nothing.
    if (mobile) await cup.updatePatientMobile(patientId, mobile.e164);
    // Only ids travel in the process: fiscal code and phone stay on the CUP.
    const { fiscalCode: _cf, mobile: _mobile, ...rest } = body;
    const started = await starter.start({
      bpmnProcessId: 'cup-booking',
      businessKey: newBusinessKey('PRE'),
      variables: { ...rest, patientId },
      startedBy: actor.id,
    });
    res.status(201).json(started);
  });
  /**
   * Where a booking stands, for the operator still on the phone: booked (code, date and time,
   * structure, to read to the patient), a new choice to make (the slot was taken meanwhile),
   * passed to the back office, closed, or still running.
   */
  r.get('/bookings/:key', allow('cup:contact'), async (req, res) => {
    const { key } = parseWith(z.object({ key: z.string().regex(ENGINE_ID, 'chiave non valida') }), req.params);
    const outcome = await bookingOutcome(engine, cup, key);
    await auditRead(req, 'cup-booking', key);
    res.json(outcome);
  });
  r.post('/cancellations', allow('cup:contact'), async (req, res) => {
    const body = parseWith(cancellationBody, req.body ?? {});
    const actor = actorOf(req);
    const appointment = await cup.getAppointment(body.appointmentId);
    if (!appointment) {
      throw new ValidationError('Prenotazione non trovata sul CUP.', [
        { field: 'appointmentId', message: 'Prenotazione non trovata.' },
      ]);
    }
    if (appointment.status !== 'booked') {
      throw new ValidationError('La prenotazione non è attiva.', [
        { field: 'appointmentId', message: `Stato: ${appointment.status}.` },
      ]);
    }
    if (body.structureId !== undefined) await assertInCatalogue(cup, appointment.serviceCode, body.structureId);
    const started = await starter.start({
      bpmnProcessId: 'cup-cancellation',
      businessKey: newBusinessKey('DIS'),
      variables: { ...body, serviceCode: appointment.serviceCode },
      startedBy: actor.id,
    });
    res.status(201).json(started);
  });
  r.post('/information-contacts', allow('cup:contact'), async (req, res) => {
    const body = parseWith(informationBody, req.body ?? {});
    const started = await starter.start({
      bpmnProcessId: 'cup-information',
      businessKey: newBusinessKey('INF'),
      variables: { channel: body.channel, openedAt: new Date().toISOString() },
      startedBy: actorOf(req).id,
    });
    res.status(201).json(started);
  });
  /** First-contact resolution of information contacts closed in [from, to), out-of-scope excluded (K3). */
  r.get('/information-contacts/fcr', allow('cup:manage', 'instances:view', 'tasks:view-all'), async (req, res) => {
    const q = parseWith(fcrQuery, req.query);
    const rows: { contacts: string; in_scope: string; resolved: string }[] = await db.query(
      `SELECT count(*) AS contacts, count(*) FILTER (WHERE NOT out_of_scope) AS in_scope,
              count(*) FILTER (WHERE resolved_first_contact) AS resolved
         FROM contact_outcomes WHERE line = 'cup' AND closed_at >= $1 AND closed_at < $2`,
      [q.from, q.to],
    );
    const r0 = rows[0];
    const inScope = Number(r0?.in_scope ?? 0);
    const resolved = Number(r0?.resolved ?? 0);
    res.json({
      contacts: Number(r0?.contacts ?? 0),
      inScope,
      resolvedFirstContact: resolved,
      firstContactResolutionPct: inScope === 0 ? null : Math.round((resolved / inScope) * 1000) / 10,
    });
  });
  r.post('/agenda-cleanups', allow('cup:manage'), async (req, res) => {
    const body = parseWith(cleanupBody, req.body ?? {});
    const started = await starter.start({
      bpmnProcessId: 'cup-agenda-cleanup',
      businessKey: newBusinessKey('PUL'),
      variables: body,
      startedBy: actorOf(req).id,
    });
    res.status(201).json(started);
  });
  /** Progress of a "pulitura agende" campaign: outcomes by package. */
  r.get('/agenda-cleanups/:key', allow('cup:manage'), async (req, res) => {
    const { key } = parseWith(z.object({ key: z.string().regex(ENGINE_ID) }), req.params);
    const rows: { package_no: number; outcome: string; n: string }[] = await db.query(
      `SELECT package_no, outcome, count(*) AS n FROM cup_cleanup_contacts WHERE campaign_instance_key = $1
        GROUP BY package_no, outcome ORDER BY package_no, outcome`,
      [key],
    );
    res.json({ items: rows.map((r) => ({ packageNo: r.package_no, outcome: r.outcome, contacts: Number(r.n) })) });
  });
  r.post('/reminder-runs', allow('cup:manage'), async (req, res) => {
    const { reminderDate } = parseWith(reminderRunBody, req.body ?? {});
    const started = await starter.start({
      bpmnProcessId: 'cup-sms-reminders',
      businessKey: `PROMEMORIA-${reminderDate}`,
      variables: { reminderDate, cursor: null },
      startedBy: actorOf(req).id,
      startAt: 'manual-run',
    });
    res.status(201).json(started);
  });
  /** The local CUP's catalogue of services, for the booking page's suggestions. */
  r.get('/services', allow('cup:contact'), async (_req, res) => {
    res.json({ items: await cup.listServices() });
  });
  r.get('/slots', allow('cup:contact'), async (req, res) => {
    const q = parseWith(slotQuery, req.query);
    res.json({ items: await cup.findEarliestSlots(q) });
  });
  r.get('/appointments/:id', allow('personal:read'), async (req, res) => {
    const a = await cup.getAppointment(String(req.params.id));
    if (!a) throw new NotFoundError('Prenotazione non trovata.');
    await auditRead(req, 'appointment', a.id);
    res.json(a);
  });
  return r;
}

/**
 * A booking names a service of the catalogue and, if any, a structure of the region, as the
 * CUP knows them: anything else is refused here rather than ending as "no availability".
 */
async function assertInCatalogue(cup: Cup, serviceCode: string, structureId: string | undefined): Promise<void> {
  if (!(await cup.listServices()).some((s) => s.code === serviceCode)) {
    const message = `La prestazione «${serviceCode.slice(0, 40)}» non è nel catalogo del CUP.`;
    throw new ValidationError(message, [{ field: 'serviceCode', label: 'Prestazione', message }]);
  }
  if (structureId !== undefined && !(await cup.getStructure(structureId))) {
    const message = `La struttura «${structureId.slice(0, 40)}» non esiste sul CUP.`;
    throw new ValidationError(message, [{ field: 'structureId', label: 'Struttura', message }]);
  }
}

export type BookingState = 'in-corso' | 'prenotata' | 'nuova-scelta' | 'back-office' | 'chiusa';

/** The state of a cup-booking instance, from the engine's history and its open tasks. */
async function bookingOutcome(engine: EngineClient, cup: Cup, processInstanceKey: string) {
  const h = await fromEngine(() => engine.historicProcessInstance(processInstanceKey));
  if (h?.processDefinitionKey !== 'cup-booking') throw new NotFoundError('Prenotazione in corso non trovata.');
  const [vars, open] = await Promise.all([
    fromEngine(() =>
      engine.historicVariables({
        processInstanceId: processInstanceKey,
        variableNameIn: ['bookingCode', 'appointmentStart', 'appointmentId', 'businessKey'],
      }),
    ),
    fromEngine(() => engine.tasks({ processInstanceId: processInstanceKey })),
  ]);
  const v = variablesOf(vars);
  const task = open[0];
  let state: BookingState = 'in-corso';
  if (typeof v['bookingCode'] === 'string') state = 'prenotata';
  else if (task?.taskDefinitionKey === 'choose-slot') state = 'nuova-scelta';
  else if (task?.taskDefinitionKey === 'handle-escalation') state = 'back-office';
  else if (h.endTime) state = 'chiusa';
  const appointment =
    state === 'prenotata' && typeof v['appointmentId'] === 'string'
      ? await cup.getAppointment(v['appointmentId'])
      : undefined;
  return {
    state,
    businessKey: h.businessKey,
    bookingCode: typeof v['bookingCode'] === 'string' ? v['bookingCode'] : null,
    appointmentStart: typeof v['appointmentStart'] === 'string' ? v['appointmentStart'] : null,
    structureName: appointment?.structureName ?? null,
    taskKey: task?.id ?? null,
  };
}
