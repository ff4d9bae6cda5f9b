import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow, auditRead } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { CupBookings } from '../../domain/cup/bookings.js';
import { CupCampaigns } from '../../domain/cup/campaigns.js';
import { PRIORITY_CLASSES } from '../../domain/cup/priority.js';
import { InformationContacts } from '../../domain/contacts/information-contacts.js';
import { NotFoundError } from '../../domain/errors.js';
import type { ProcessStarter } from '../../domain/processes/process-starter.js';
import { ENGINE_ID } from './instances.js';

/**
 * The call a flow was started from (the operator's console passes it): optional, and when
 * given it travels into the instance as the process variable `callSid`.
 */
export const callSidField = z
  .string()
  .regex(/^CA[0-9a-f]{32}$/, 'CallSid non valido')
  .optional();

/** A starter whose instances also carry `callSid` (unchanged without one). */
export function carryingCallSid(starter: ProcessStarter, callSid: string | undefined): ProcessStarter {
  if (callSid === undefined) return starter;
  const linked = Object.create(starter) as ProcessStarter;
  linked.start = (opts) => starter.start({ ...opts, variables: { ...opts.variables, callSid } });
  return linked;
}

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
    callSid: callSidField,
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
  callSid: callSidField,
});
const informationBody = z.object({
  channel: z.enum(['telefono', 'email', 'pec', 'fax', 'sportello']).default('telefono'),
  callSid: callSidField,
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

/**
 * The CUP booking line: bookings and cancellations (CupBookings), information contacts
 * (InformationContacts), the management's campaigns (CupCampaigns); slots, services and
 * appointments straight from the CUP.
 */
export function cupRoutes({ cup, starter, db, engine }: ApiDeps): Router {
  const bookings = new CupBookings(cup, starter, engine);
  const information = new InformationContacts(starter, db);
  const campaigns = new CupCampaigns(starter, db);
  const r = Router();
  r.post('/bookings', allow('cup:contact'), async (req, res) => {
    const { callSid, ...body } = parseWith(bookingBody, req.body ?? {});
    const linked = callSid ? new CupBookings(cup, carryingCallSid(starter, callSid), engine) : bookings;
    res.status(201).json(await linked.book(body, actorOf(req).id));
  });
  /** Where a booking stands, for the operator still on the phone (see CupBookings.outcome). */
  r.get('/bookings/:key', allow('cup:contact'), async (req, res) => {
    const { key } = parseWith(z.object({ key: z.string().regex(ENGINE_ID, 'chiave non valida') }), req.params);
    const outcome = await bookings.outcome(key);
    await auditRead(req, 'cup-booking', key);
    res.json(outcome);
  });
  r.post('/cancellations', allow('cup:contact'), async (req, res) => {
    const { callSid, ...body } = parseWith(cancellationBody, req.body ?? {});
    const linked = callSid ? new CupBookings(cup, carryingCallSid(starter, callSid), engine) : bookings;
    res.status(201).json(await linked.cancel(body, actorOf(req).id));
  });
  r.post('/information-contacts', allow('cup:contact'), async (req, res) => {
    const body = parseWith(informationBody, req.body ?? {});
    const linked = body.callSid ? new InformationContacts(carryingCallSid(starter, body.callSid), db) : information;
    res.status(201).json(await linked.open(body.channel, actorOf(req).id));
  });
  /** First-contact resolution of information contacts closed in [from, to), out-of-scope excluded (K3). */
  r.get('/information-contacts/fcr', allow('cup:manage', 'instances:view', 'tasks:view-all'), async (req, res) => {
    const q = parseWith(fcrQuery, req.query);
    res.json(await information.firstContactResolution(q.from, q.to));
  });
  r.post('/agenda-cleanups', allow('cup:manage'), async (req, res) => {
    const body = parseWith(cleanupBody, req.body ?? {});
    res.status(201).json(await campaigns.startAgendaCleanup(body, actorOf(req).id));
  });
  /** Progress of a "pulitura agende" campaign: outcomes by package, each package's efficacy and efficiency. */
  r.get('/agenda-cleanups/:key', allow('cup:manage'), async (req, res) => {
    const { key } = parseWith(z.object({ key: z.string().regex(ENGINE_ID) }), req.params);
    res.json(await campaigns.agendaCleanupProgress(key));
  });
  r.post('/reminder-runs', allow('cup:manage'), async (req, res) => {
    const { reminderDate } = parseWith(reminderRunBody, req.body ?? {});
    res.status(201).json(await campaigns.startReminderRun(reminderDate, actorOf(req).id));
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
