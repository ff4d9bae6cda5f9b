import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';
import { openTaskOf, outcomesOf, startBooking, waitForConfirmation } from './support/booking.js';

describe('complex booking cases go to the back office (C5)', () => {
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

  it('a patient whose fiscal code fails its check is escalated with the reason, and the back office can close the case', async () => {
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ('pat-it-bad-cf', 'RSSMRA80A01G942X', 'Prova', 'Controllo', '1980-01-01', '+393330000099') ON CONFLICT DO NOTHING`,
    );
    const started = await startBooking(operator, { patientId: 'pat-it-bad-cf' });
    const task = await openTaskOf(backOffice, started.processInstanceKey, 'handle-escalation');
    expect(task.candidateGroups).toEqual(['cup-back-office']);
    expect(task.variables['escalationReason']).toMatch(/carattere di controllo del codice fiscale/);
    expect((await backOffice.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    const closed = await backOffice.post(`/api/tasks/${task.key}/complete`, {
      variables: { escalationOutcome: 'close', escalationNote: 'Anagrafica da correggere allo sportello' },
    });
    expect(closed.status).toBe(200);
    const outcomes = await outcomesOf(app, started.processInstanceKey);
    expect(outcomes.map((o) => [o.task_type, o.outcome, o.error_code])).toEqual([
      ['check-prescription', 'bpmn_error', 'PRESCRIPTION_INVALID'],
    ]);
  });

  it('an urgent prescription whose first slot is beyond 72 hours is escalated, and the back office books it', async () => {
    const structure = `it-struct-${randomUUID().slice(0, 8)}`;
    await app.db.query(
      `INSERT INTO cup_structures (id, name, organization, city, address) VALUES ($1, 'Struttura di prova', 'ASP Potenza', 'Potenza', 'Via Prova 1')`,
      [structure],
    );
    await app.db.query(
      `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, $1, '89.7A.3', $1)`,
      [structure],
    );
    await app.db.query(
      `INSERT INTO cup_slots (schedule_id, starts_at, ends_at)
       SELECT $1, now() + interval '10 days' + n * interval '20 minutes', now() + interval '10 days' + (n + 1) * interval '20 minutes'
         FROM generate_series(0, 3) AS n`,
      [structure],
    );
    const started = await startBooking(operator, { priorityClass: 'U', structureId: structure, patientId: 'pat-0005' });
    const task = await openTaskOf(backOffice, started.processInstanceKey, 'handle-escalation');
    expect(task.variables['escalationReason']).toMatch(/supera il limite della classe U/);
    const slotId = (task.variables['slotOptions'] as { value: string }[])[0]?.value;
    await backOffice.post(`/api/tasks/${task.key}/claim`);
    const booked = await backOffice.post(`/api/tasks/${task.key}/complete`, {
      variables: { escalationOutcome: 'book', slotId, escalationNote: 'Concordato con il CUP manager' },
    });
    expect(booked.status).toBe(200);
    await waitForConfirmation(app, started.processInstanceKey);
    const rows: { slot_id: string; patient_id: string }[] = await app.db.query(
      `SELECT slot_id::text AS slot_id, patient_id FROM cup_appointments WHERE request_key LIKE $1`,
      [`pi:${started.processInstanceKey}:%`],
    );
    expect(rows).toEqual([{ slot_id: slotId, patient_id: 'pat-0005' }]);
    const flagged: { priority_class: string; beyond_priority_limit: boolean }[] = await app.db.query(
      `SELECT priority_class, beyond_priority_limit FROM cup_appointments WHERE request_key LIKE $1`,
      [`pi:${started.processInstanceKey}:%`],
    );
    expect(flagged).toEqual([{ priority_class: 'U', beyond_priority_limit: true }]);
  });
});
