import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { Appointment } from '../../adapters/cup/cup.js';
import type { UserTask, UserTaskDetail } from '../../domain/tasks/inbox.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';
import { openTaskOf, slotOptions } from './support/booking.js';

const DAY = 86_400_000;

/**
 * A monitored agenda of its own (a cardiology visit at Matera) with four booked patients:
 * one in 3 days (who will cancel), one in 20 days (too soon to be recalled), one in 35 and
 * one in 45 days (day-31 candidates, in that order).
 */
async function monitoredAgenda(app: RunningApp) {
  const schedule = `it-recall-${randomUUID().slice(0, 8)}`;
  await app.db.query(
    `INSERT INTO cup_schedules (id, structure_id, service_code, name, monitored) VALUES ($1, 'asm-matera', '89.7A.3', $1, true)`,
    [schedule],
  );
  const at = (days: number) => new Date(Math.floor((Date.now() + days * DAY) / 60_000) * 60_000);
  const book = async (days: number, patientId: string) => {
    const slots: { id: string }[] = await app.db.query(
      `INSERT INTO cup_slots (schedule_id, starts_at, ends_at) VALUES ($1, $2, $2::timestamptz + interval '20 minutes') RETURNING id::text AS id`,
      [schedule, at(days)],
    );
    const slot = slots[0];
    return app.workerDeps.cup.book({
      slotId: slot?.id ?? '',
      patientId,
      serviceCode: '89.7A.3',
      requestKey: `it:${schedule}:${days}`,
    });
  };
  return {
    cancelling: await book(3, 'pat-0001'),
    tooSoon: await book(20, 'pat-0002'),
    day35: await book(35, 'pat-0003'),
    day45: await book(45, 'pat-0004'),
  };
}

async function recallTaskFor(api: ApiClient, candidateAppointmentId: string): Promise<UserTaskDetail> {
  return waitFor(async () => {
    const list = await api.get<{ items: UserTask[] }>('/api/tasks?process=cup-recall&group=cup-back-office&limit=500');
    for (const t of list.body.items) {
      const d = await api.get<UserTaskDetail>(`/api/tasks/${t.key}`);
      if (d.body.variables['candidateAppointmentId'] === candidateAppointmentId) return d.body;
    }
    return undefined;
  }, `the recall call for ${candidateAppointmentId}`);
}

async function answer(api: ApiClient, task: UserTaskDetail, recallOutcome: string): Promise<void> {
  expect((await api.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
  const done = await api.post(`/api/tasks/${task.key}/complete`, { variables: { recallOutcome } });
  expect(done.status).toBe(200);
}

async function activeBookingOn(app: RunningApp, slotId: string): Promise<Appointment | undefined> {
  const rows: { id: string }[] = await app.db.query(
    `SELECT id FROM cup_appointments WHERE slot_id = $1 AND status = 'booked'`,
    [slotId],
  );
  return rows[0] ? app.workerDeps.cup.getAppointment(rows[0].id) : undefined;
}

describe('cancellation (C2) and recall of day-31 patients (C4)', () => {
  let app: RunningApp;
  let operator: ApiClient;
  let backOffice: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    operator = apiAs(app, 'operatore.uno', ['operator']);
    backOffice = apiAs(app, 'backoffice.uno', ['back-office-1']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses a cancellation without a note and writes nothing', async () => {
    const agenda = await monitoredAgenda(app);
    const res = await operator.post<{ errors: { field: string }[] }>('/api/cup/cancellations', {
      appointmentId: agenda.cancelling.id,
      cancellationNote: ' ',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]?.field).toBe('cancellationNote');
    expect((await app.workerDeps.cup.getAppointment(agenda.cancelling.id))?.status).toBe('booked');
  });

  it('when a booked patient cancels, the day-31 patient is offered the slot and, accepting, takes it', async () => {
    const agenda = await monitoredAgenda(app);
    const res = await operator.post('/api/cup/cancellations', {
      appointmentId: agenda.cancelling.id,
      cancellationNote: 'Il paziente è ricoverato',
    });
    expect(res.status).toBe(201);

    const call = await recallTaskFor(backOffice, agenda.day35.id);
    expect(call.name).toBe("Chiama il paziente e proponi l'anticipo");
    expect(call.variables['offeredSlotStart']).toBe(agenda.cancelling.start);
    await answer(backOffice, call, 'accepted');

    const moved = await waitFor(
      () => activeBookingOn(app, agenda.cancelling.slotId),
      'the recalled booking on the freed slot',
    );
    expect(moved).toMatchObject({ patientId: 'pat-0003', replacesId: agenda.day35.id });
    const cancelled = await app.workerDeps.cup.getAppointment(agenda.cancelling.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellationReason: 'Il paziente è ricoverato' });
    expect((await app.workerDeps.cup.getAppointment(agenda.day35.id))?.status).toBe('cancelled');
    expect((await app.workerDeps.cup.getSlot(agenda.day35.slotId))?.status).toBe('free');

    const sms = await waitFor(async () => {
      const rows: { purpose: string; reference: string }[] = await app.db.query(
        'SELECT purpose, reference FROM sms_messages WHERE reference = ANY ($1)',
        [[agenda.cancelling.id, moved.id]],
      );
      return rows.length === 2 ? rows : undefined;
    }, 'the cancellation and the recall SMS');
    expect(sms.map((m) => m.purpose).sort()).toEqual(['cup-cancellation-confirmation', 'cup-recall-moved']);
    const contacts: { appointment_id: string; outcome: string }[] = await app.db.query(
      'SELECT appointment_id, outcome FROM cup_recall_contacts WHERE freed_slot_id = $1',
      [agenda.cancelling.slotId],
    );
    expect(contacts).toEqual([{ appointment_id: agenda.day35.id, outcome: 'accepted' }]);
  });

  it('after a refusal or no answer the next patient in date order is called; the patient at day 20 never is', async () => {
    const agenda = await monitoredAgenda(app);
    await operator.post('/api/cup/cancellations', {
      appointmentId: agenda.cancelling.id,
      cancellationNote: 'Disdetta telefonica',
    });

    await answer(backOffice, await recallTaskFor(backOffice, agenda.day35.id), 'no-answer');
    await answer(backOffice, await recallTaskFor(backOffice, agenda.day45.id), 'accepted');

    const moved = await waitFor(
      () => activeBookingOn(app, agenda.cancelling.slotId),
      'the second candidate on the freed slot',
    );
    expect(moved.patientId).toBe('pat-0004');
    const contacts: { appointment_id: string; outcome: string }[] = await app.db.query(
      'SELECT appointment_id, outcome FROM cup_recall_contacts WHERE freed_slot_id = $1 ORDER BY id',
      [agenda.cancelling.slotId],
    );
    expect(contacts).toEqual([
      { appointment_id: agenda.day35.id, outcome: 'no-answer' },
      { appointment_id: agenda.day45.id, outcome: 'accepted' },
    ]);
    expect((await app.workerDeps.cup.getAppointment(agenda.tooSoon.id))?.status).toBe('booked');
    expect((await app.workerDeps.cup.getAppointment(agenda.day35.id))?.status).toBe('booked');
  });

  it('moves a booking to another structure in the same flow, the new booking replacing the old', async () => {
    const agenda = await monitoredAgenda(app);
    const res = await operator.post<{ processInstanceKey: string }>('/api/cup/cancellations', {
      appointmentId: agenda.tooSoon.id,
      cancellationNote: 'Preferisce Potenza',
      rebook: true,
      structureId: 'aor-san-carlo',
    });
    expect(res.status).toBe(201);
    const task = await openTaskOf(operator, res.body.processInstanceKey, 'choose-slot', 'cup-cancellation');
    const offer = slotOptions(task)[0]?.value ?? '';
    expect((await app.workerDeps.cup.getSlot(offer))?.structureId).toBe('aor-san-carlo');
    await operator.post(`/api/tasks/${task.key}/claim`);
    expect((await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: offer } })).status).toBe(200);

    const moved = await waitFor(() => activeBookingOn(app, offer), 'the moved booking');
    expect(moved).toMatchObject({ patientId: 'pat-0002', replacesId: agenda.tooSoon.id, structureId: 'aor-san-carlo' });
    expect(await app.workerDeps.cup.getAppointment(agenda.tooSoon.id)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'Preferisce Potenza',
    });
  });

  it('records the recall of a booking the region’s CUP holds, whose ids are no rows of the local CUP', async () => {
    // With CUP_FHIR_BASE_URL the slot, the booking and the patient are FHIR ids of the region's CUP.
    const recall = `it-recall-${randomUUID()}`;
    await app.db.query(
      `INSERT INTO cup_recall_contacts (recall_instance_key, freed_slot_id, appointment_id, patient_id, outcome, moved_to_appointment_id)
       VALUES ($1, 'slot-asp-9f3c', 'appt-7781', 'pat-ext-1', 'accepted', 'appt-7790')`,
      [recall],
    );
    const rows: unknown[] = await app.db.query('SELECT 1 FROM cup_recall_contacts WHERE recall_instance_key = $1', [
      recall,
    ]);
    expect(rows).toHaveLength(1);
  });
});
