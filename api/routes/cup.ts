import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf } from '../actor.js';
import { parseWith } from '../problems.js';
import { checkNre } from '../../domain/cup/prescription.js';
import { PRIORITY_CLASSES } from '../../domain/cup/priority.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { newBusinessKey } from '../../domain/processes/process-starter.js';

const bookingBody = z.object({
  prescriptionNre: z.string().trim().toUpperCase(),
  serviceCode: z.string().trim().min(1),
  patientId: z.string().trim().min(1),
  structureId: z.string().trim().min(1).optional(),
  priorityClass: z.enum(PRIORITY_CLASSES).default('P'),
});
const cancellationBody = z.object({
  appointmentId: z.string().trim().min(1),
  cancellationNote: z.string().trim().min(5, 'la nota della disdetta è obbligatoria (almeno 5 caratteri)').max(500),
  rebook: z.boolean().default(false),
  structureId: z.string().trim().min(1).optional(),
});
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
export function cupRoutes({ cup, starter }: ApiDeps): Router {
  const r = Router();
  r.post('/bookings', async (req, res) => {
    const body = parseWith(bookingBody, req.body ?? {});
    const actor = actorOf(req);
    const nreProblem = checkNre(body.prescriptionNre);
    if (nreProblem) throw new ValidationError(nreProblem, [{ field: 'prescriptionNre', message: nreProblem }]);
    if (!(await cup.getPatient(body.patientId))) {
      throw new ValidationError('Paziente non trovato sul CUP.', [
        { field: 'patientId', message: 'Paziente non trovato sul CUP.' },
      ]);
    }
    const started = await starter.start({
      bpmnProcessId: 'cup-booking',
      businessKey: newBusinessKey('PRE'),
      variables: body,
      startedBy: actor.id,
    });
    res.status(201).json(started);
  });
  r.post('/cancellations', async (req, res) => {
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
    const started = await starter.start({
      bpmnProcessId: 'cup-cancellation',
      businessKey: newBusinessKey('DIS'),
      variables: { ...body, serviceCode: appointment.serviceCode },
      startedBy: actor.id,
    });
    res.status(201).json(started);
  });
  r.post('/reminder-runs', async (req, res) => {
    const { reminderDate } = parseWith(reminderRunBody, req.body ?? {});
    const started = await starter.start({
      bpmnProcessId: 'cup-sms-reminders',
      businessKey: `PROMEMORIA-${reminderDate}`,
      variables: { reminderDate, cursor: null },
      startedBy: actorOf(req).id,
    });
    res.status(201).json(started);
  });
  r.get('/slots', async (req, res) => {
    const q = parseWith(slotQuery, req.query);
    res.json({ items: await cup.findEarliestSlots(q) });
  });
  r.get('/appointments/:id', async (req, res) => {
    const a = await cup.getAppointment(String(req.params.id));
    if (!a) throw new NotFoundError('Prenotazione non trovata.');
    res.json(a);
  });
  return r;
}
