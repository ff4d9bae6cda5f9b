import { randomUUID } from 'node:crypto';
import type { RunningApp } from '../../../app.js';
import { startOfDayInRome } from '../../../domain/time.js';
import type { UserTask, UserTaskDetail } from '../../../domain/tasks/inbox.js';
import { type ApiClient, waitFor } from './test-app.js';

export interface StartedBooking {
  processInstanceKey: string;
  businessKey: string;
}

export const VALID_NRE = '170A10123456789';

export async function startBooking(
  api: ApiClient,
  body: Partial<{
    prescriptionNre: string;
    serviceCode: string;
    patientId: string;
    structureId: string;
    priorityClass: string;
  }> = {},
): Promise<StartedBooking> {
  const res = await api.post<StartedBooking>('/api/cup/bookings', {
    prescriptionNre: VALID_NRE,
    serviceCode: '89.7A.3',
    patientId: 'pat-0001',
    ...body,
  });
  if (res.status !== 201) throw new Error(`booking not started: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits until the instance's open user task is in the inbox and returns it with its form. */
export async function openTaskOf(
  api: ApiClient,
  processInstanceKey: string,
  elementId = 'choose-slot',
  process = 'cup-booking',
): Promise<UserTaskDetail & { form: unknown }> {
  const task = await waitFor(async () => {
    const list = await api.get<{ items: UserTask[] }>(`/api/tasks?process=${process}&limit=500`);
    return list.body.items.find((t) => t.processInstanceKey === processInstanceKey && t.elementId === elementId);
  }, `user task ${elementId} of ${processInstanceKey}`);
  return (await api.get<UserTaskDetail & { form: unknown }>(`/api/tasks/${task.key}`)).body;
}

export function slotOptions(task: UserTaskDetail): { value: string; label: string }[] {
  return task.variables['slotOptions'] as { value: string; label: string }[];
}

/** Outcomes the workers recorded for an instance. */
export async function outcomesOf(
  app: RunningApp,
  processInstanceKey: string,
): Promise<{ task_type: string; outcome: string; message: string | null; error_code: string | null }[]> {
  return app.db.query(
    `SELECT task_type, outcome, message, error_code FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
    [processInstanceKey],
  );
}

/** The instance reached its end: the confirmation SMS job completed. */
export function waitForConfirmation(app: RunningApp, processInstanceKey: string, timeoutMs = 30_000) {
  return waitFor(
    async () =>
      (await outcomesOf(app, processInstanceKey)).find((o) => o.task_type === 'send-sms' && o.outcome === 'completed'),
    `confirmation SMS of ${processInstanceKey}`,
    timeoutMs,
  );
}

/**
 * Books `count` fictitious patients (with mobiles) on `day` (Europe/Rome) on an agenda of
 * their own, straight in the local CUP's tables: the test data of reminder runs. Their ids.
 */
export async function bookDay(app: RunningApp, day: string, count: number): Promise<string[]> {
  const tag = randomUUID().slice(0, 8);
  const schedule = `it-reminders-${tag}`;
  await app.db.query(
    `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, 'aor-san-carlo', '89.52', $1)`,
    [schedule],
  );
  await app.db.query(
    `INSERT INTO cup_slots (schedule_id, starts_at, ends_at, status)
     SELECT $1, $2::timestamptz + n * interval '1 second', $2::timestamptz + n * interval '1 second' + interval '10 minutes', 'busy'
       FROM generate_series(0, $3::int - 1) AS n`,
    [schedule, new Date(startOfDayInRome(day).getTime() + 8 * 3_600_000), count],
  );
  await app.db.query(
    `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
     SELECT $1 || '-' || n, upper(substr(md5($1 || n), 1, 16)), 'Prova', 'Promemoria', date '1970-01-01',
            '+39340' || lpad((abs(hashtext($1 || n)) % 10000000)::text, 7, '0')
       FROM generate_series(1, $2::int) AS n`,
    [`it-${tag}`, count],
  );
  const rows: { id: string }[] = await app.db.query(
    `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code)
     SELECT 'it-' || $1 || '-' || s.n, 'IT-' || $1 || '-' || s.n, s.id, $1 || '-' || s.n, '89.52'
       FROM (SELECT id, row_number() OVER (ORDER BY starts_at) AS n FROM cup_slots WHERE schedule_id = $2) s
     RETURNING id`,
    [`it-${tag}`, schedule],
  );
  return rows.map((r) => r.id);
}

/**
 * A booking whose slot was chosen ended as it should, however often its steps ran: confirmed,
 * one appointment for its request, one confirmation SMS, no incident.
 */
export async function expectBookedOnce(
  app: RunningApp,
  b: { pi: string; slotId: string },
  timeoutMs = 60_000,
): Promise<void> {
  await waitForConfirmation(app, b.pi, timeoutMs);
  const booked: { id: string }[] = await app.db.query(
    `SELECT id FROM cup_appointments WHERE request_key = $1 AND status = 'booked'`,
    [`pi:${b.pi}:slot:${b.slotId}`],
  );
  if (booked.length !== 1) throw new Error(`booking ${b.pi}: ${booked.length} appointments, not 1`);
  const sms: unknown[] = await app.db.query(
    `SELECT 1 FROM sms_messages WHERE reference = $1 AND purpose = 'cup-booking-confirmation'`,
    [booked[0]?.id],
  );
  if (sms.length !== 1) throw new Error(`booking ${b.pi}: ${sms.length} confirmation SMS, not 1`);
  const incidents = await app.engine.historicIncidents({ processInstanceId: b.pi });
  if (incidents.length > 0) throw new Error(`booking ${b.pi}: ${incidents.length} incident(s)`);
}
