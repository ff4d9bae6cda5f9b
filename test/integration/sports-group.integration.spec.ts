import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { UserTask, UserTaskDetail } from '../../domain/tasks/inbox.js';
import { dayInRome, startOfDayInRome } from '../../domain/time.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';
import { outcomesOf } from './support/booking.js';

const DAY = 86_400_000;
const SERVICE = '89.7B.9';
const STRUCTURE = 'aor-san-carlo';
/** The plan task's horizonDays header in processes/cup-sports-group.bpmn. */
const HORIZON_DAYS = 60;

interface Plan {
  planId: string;
  structureId: string;
  days: { day: string; athletes: number }[];
  assignments: { patientId: string; slotId: string; start: string }[];
}
interface GroupRecord {
  processInstanceKey: string;
  businessKey: string;
  clubName: string;
  status: string;
  athletes: string[];
  plan: Plan | null;
  plannedDays: string[];
  bookings: { patientId: string; appointmentId: string; slotId: string; start: string }[] | null;
  backOfficeNote: string | null;
  requestedBy: string;
}
interface Problem {
  detail: string;
  errors: { field: string; message: string }[];
}

/** Patients of this test only (other test files share the database): unique ids and fiscal codes. */
async function newPatients(app: RunningApp, n: number): Promise<string[]> {
  const tag = randomUUID().slice(0, 8).toUpperCase();
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `it-sport-${tag}-${i}`;
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ($1, $2, 'Atleta', $3, '2008-04-01', NULL)`,
      [id, `ZZ${tag}${String(i).padStart(6, '0')}`, `Prova ${i}`],
    );
    ids.push(id);
  }
  return ids;
}

/** Free slots per day (Europe/Rome) of the structure's sports-medicine agenda in [from, to). */
async function freeSlotsPerDay(app: RunningApp, from: Date, to: Date): Promise<Map<string, number>> {
  const rows: { day: string; n: string }[] = await app.db.query(
    `SELECT to_char(s.starts_at AT TIME ZONE 'Europe/Rome', 'YYYY-MM-DD') AS day, count(*) AS n
       FROM cup_slots s JOIN cup_schedules sc ON sc.id = s.schedule_id
      WHERE sc.structure_id = $1 AND sc.service_code = $2 AND sc.active AND s.status = 'free'
        AND s.starts_at >= $3 AND s.starts_at < $4
      GROUP BY 1`,
    [STRUCTURE, SERVICE, from, to],
  );
  return new Map(rows.map((r) => [r.day, Number(r.n)]));
}

/** The open confirmation task of an instance (not `previousKey`, a task already completed). */
async function confirmationTask(api: ApiClient, processInstanceKey: string, previousKey?: string) {
  const task = await waitFor(async () => {
    const list = await api.get<{ items: UserTask[] }>('/api/tasks?process=cup-sports-group&limit=500');
    return list.body.items.find(
      (t) => t.processInstanceKey === processInstanceKey && t.elementId === 'confirm-plan' && t.key !== previousKey,
    );
  }, `the confirmation task of ${processInstanceKey}`);
  return (await api.get<UserTaskDetail & { form: unknown }>(`/api/tasks/${task.key}`)).body;
}

async function complete(api: ApiClient, task: UserTaskDetail, variables: Record<string, unknown>): Promise<void> {
  expect((await api.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
  const res = await api.post(`/api/tasks/${task.key}/complete`, { variables });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function recordOf(api: ApiClient, processInstanceKey: string): Promise<GroupRecord> {
  const res = await api.get<GroupRecord>(`/api/cup/sports-groups/${processInstanceKey}`);
  expect(res.status).toBe(200);
  return res.body;
}

async function waitForStatus(api: ApiClient, processInstanceKey: string, status: string): Promise<GroupRecord> {
  return waitFor(async () => {
    const r = await recordOf(api, processInstanceKey);
    return r.status === status ? r : undefined;
  }, `group ${processInstanceKey} ${status}`);
}

/** Every appointment of these patients for the sports-medicine visit, whatever its status. */
async function appointmentsOf(app: RunningApp, patients: string[]) {
  const rows: {
    id: string;
    patient_id: string;
    slot_id: string;
    status: string;
    cancellation_reason: string | null;
  }[] = await app.db.query(
    `SELECT id, patient_id, slot_id::text AS slot_id, status, cancellation_reason
         FROM cup_appointments WHERE patient_id = ANY ($1) AND service_code = $2`,
    [patients, SERVICE],
  );
  return rows;
}

describe('sports-medicine visits for the athletes of a sports club (C6)', () => {
  let app: RunningApp;
  let backOffice: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    backOffice = apiAs(app, 'backoffice.uno', ['back-office-1']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('plans the club list on the fewest days at one structure and, once confirmed, books every athlete once', async () => {
    const athletes = await newPatients(app, 15);
    // From a week ahead: the demo agenda's first two weeks are mostly taken, later days free.
    const notBefore = dayInRome(new Date(Date.now() + 7 * DAY));
    const from = startOfDayInRome(notBefore);
    const perDay = await freeSlotsPerDay(app, from, new Date(from.getTime() + HORIZON_DAYS * DAY));
    const daysFor = (counts: number[]) => {
      let days = 0;
      for (let room = 0; room < athletes.length; days++) {
        const next = counts[days];
        if (next === undefined) throw new Error('the demo agenda has not enough free slots for the test');
        room += next;
      }
      return days;
    };
    // No k days hold more than the k fullest ones, so the least is what those need.
    const expectedDays = daysFor([...perDay.values()].sort((a, b) => b - a));
    // Taking the earliest free slots instead would spread the club over more days.
    const earliestFirstDays = daysFor([...perDay.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, n]) => n));
    expect(earliestFirstDays).toBeGreaterThan(expectedDays);

    const started = await backOffice.post<{ processInstanceKey: string; businessKey: string }>(
      '/api/cup/sports-groups',
      { clubName: 'ASD Potenza Calcio Giovani', structureId: STRUCTURE, athletes, notBefore },
    );
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const key = started.body.processInstanceKey;
    expect(started.body.businessKey).toMatch(/^SPO-/);

    const task = await confirmationTask(backOffice, key);
    expect(task.name).toBe('Concorda le date e conferma il piano');
    expect(task.candidateGroups).toEqual(['cup-back-office']);
    expect(task.form).toMatchObject({ id: 'cup-sports-group-confirm' });
    const plan = task.variables['plan'] as Plan;
    expect(plan.days).toHaveLength(expectedDays);
    expect(plan.assignments.map((a) => a.patientId).sort()).toEqual([...athletes].sort());
    expect(new Set(plan.assignments.map((a) => a.slotId)).size).toBe(athletes.length);
    for (const a of plan.assignments) expect(dayInRome(new Date(a.start)) >= notBefore).toBe(true);
    expect(String(task.variables['planSummary'])).toContain(`${expectedDays} giornat`);

    const planned = await recordOf(backOffice, key);
    expect(planned).toMatchObject({ status: 'planned', requestedBy: 'backoffice.uno', athletes });
    expect(planned.plannedDays).toEqual(plan.days.map((d) => d.day));
    // Nothing is booked before the back office confirms.
    expect(await appointmentsOf(app, athletes)).toEqual([]);

    await complete(backOffice, task, {
      groupOutcome: 'confirm',
      backOfficeNote: 'Date concordate con la struttura e con la società',
    });

    const booked = await waitForStatus(backOffice, key, 'booked');
    expect(booked.backOfficeNote).toBe('Date concordate con la struttura e con la società');
    expect(booked.bookings).toHaveLength(athletes.length);
    const appointments = await appointmentsOf(app, athletes);
    expect(appointments.map((a) => a.patient_id).sort()).toEqual([...athletes].sort());
    expect(appointments.every((a) => a.status === 'booked')).toBe(true);
    const plannedSlot = new Map(plan.assignments.map((a) => [a.patientId, a.slotId]));
    const bookedDays = new Set<string>();
    for (const a of appointments) {
      expect(a.slot_id).toBe(plannedSlot.get(a.patient_id));
      const appointment = await app.workerDeps.cup.getAppointment(a.id);
      expect(appointment?.structureId).toBe(STRUCTURE);
      bookedDays.add(dayInRome(new Date(appointment?.start ?? 0)));
    }
    expect([...bookedDays].sort()).toEqual(booked.plannedDays);
    expect(booked.plannedDays).toHaveLength(expectedDays);
  });

  it('refuses an unknown patient or a repeated athlete with 400 and starts nothing', async () => {
    const [known, other] = await newPatients(app, 2);
    const count = async () => {
      const rows: { instances: string; groups: string }[] = await app.db.query(
        `SELECT (SELECT count(*) FROM process_instances WHERE bpmn_process_id = 'cup-sports-group') AS instances,
                (SELECT count(*) FROM cup_sports_groups) AS groups`,
      );
      return rows[0];
    };
    const before = await count();
    const base = { clubName: 'Polisportiva Matera', structureId: 'asm-matera' };

    const unknown = await backOffice.post<Problem>('/api/cup/sports-groups', {
      ...base,
      athletes: [known, 'it-sport-nessuno'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { field: 'athletes.1', message: 'Paziente it-sport-nessuno non trovato sul CUP.' },
    ]);

    const repeated = await backOffice.post<Problem>('/api/cup/sports-groups', {
      ...base,
      athletes: [known, other, known],
    });
    expect(repeated.status).toBe(400);
    expect(repeated.body.errors).toEqual([
      { field: 'athletes.2', label: 'Atleti', message: `atleta ${known} ripetuto nell'elenco` },
    ]);

    const empty = await backOffice.post<Problem>('/api/cup/sports-groups', { ...base, clubName: '', athletes: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.errors.map((e) => e.field).sort()).toEqual(['athletes', 'clubName']);

    const noService = await backOffice.post<Problem>('/api/cup/sports-groups', {
      ...base,
      structureId: 'asp-lauria',
      athletes: [known],
    });
    expect(noService.status).toBe(400);
    expect(noService.body.errors[0]?.field).toBe('structureId');

    expect(await count()).toEqual(before);
    expect((await backOffice.get('/api/cup/sports-groups/1')).status).toBe(404);
  });

  it('when a planned slot is taken before booking, cancels what it booked, plans again and asks again', async () => {
    const athletes = await newPatients(app, 5);
    const [thief] = await newPatients(app, 1);
    const started = await backOffice.post<{ processInstanceKey: string }>('/api/cup/sports-groups', {
      clubName: 'Basket Lucano',
      structureId: STRUCTURE,
      athletes,
      notBefore: dayInRome(new Date(Date.now() + 40 * DAY)),
    });
    expect(started.status).toBe(201);
    const key = started.body.processInstanceKey;
    const first = await confirmationTask(backOffice, key);
    const firstPlan = first.variables['plan'] as Plan;

    // Someone else books the last slot of the plan: the first four athletes are booked before it fails.
    const stolen = firstPlan.assignments.at(-1);
    await app.workerDeps.cup.book({
      slotId: stolen?.slotId ?? '',
      patientId: thief ?? '',
      serviceCode: SERVICE,
      requestKey: `it:steal:${randomUUID()}`,
    });
    await complete(backOffice, first, { groupOutcome: 'confirm', backOfficeNote: 'Confermato al telefono' });

    const second = await confirmationTask(backOffice, key, first.key);
    const secondPlan = second.variables['plan'] as Plan;
    expect(secondPlan.planId).not.toBe(firstPlan.planId);
    expect(secondPlan.assignments.map((a) => a.slotId)).not.toContain(stolen?.slotId);
    const cancelled = await appointmentsOf(app, athletes);
    expect(cancelled).toHaveLength(4);
    expect(cancelled.every((a) => a.status === 'cancelled' && /ripianificate/.test(a.cancellation_reason ?? ''))).toBe(
      true,
    );

    await complete(backOffice, second, { groupOutcome: 'confirm', backOfficeNote: 'Nuove date confermate' });
    await waitForStatus(backOffice, key, 'booked');
    const active = (await appointmentsOf(app, athletes)).filter((a) => a.status === 'booked');
    expect(active.map((a) => a.patient_id).sort()).toEqual([...athletes].sort());
    expect(active.map((a) => a.slot_id).sort()).toEqual(secondPlan.assignments.map((a) => a.slotId).sort());
    // A job's outcome is recorded once the engine took it, a moment after the flow moved on.
    const booked = await waitFor(async () => {
      const o = (await outcomesOf(app, key)).filter((x) => x.task_type === 'book-sports-group');
      return o.length >= 2 ? o : undefined;
    }, 'both booking outcomes recorded');
    expect(booked.map((o) => o.error_code ?? o.outcome)).toEqual(['SPORTS_GROUP_SLOT_TAKEN', 'completed']);
  });

  it('without room in the period the back office replans from an agreed date, then may cancel with a note', async () => {
    // From the last day of the agenda at most 12 slots are left: 13 athletes do not fit.
    const last: { day: string }[] = await app.db.query(
      `SELECT to_char(max(s.starts_at) AT TIME ZONE 'Europe/Rome', 'YYYY-MM-DD') AS day
         FROM cup_slots s JOIN cup_schedules sc ON sc.id = s.schedule_id
        WHERE sc.structure_id = $1 AND sc.service_code = $2 AND s.status = 'free'`,
      [STRUCTURE, SERVICE],
    );
    const athletes = await newPatients(app, 13);
    const started = await backOffice.post<{ processInstanceKey: string }>('/api/cup/sports-groups', {
      clubName: 'Atletica Val d’Agri',
      structureId: STRUCTURE,
      athletes,
      notBefore: last[0]?.day,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const key = started.body.processInstanceKey;

    const noRoom = await confirmationTask(backOffice, key);
    expect(noRoom.variables['plan']).toBeNull();
    expect(String(noRoom.variables['planSummary'])).toContain('Posti insufficienti');
    expect((await recordOf(backOffice, key)).status).toBe('no-room');

    const agreed = dayInRome(new Date(Date.now() + 30 * DAY));
    await complete(backOffice, noRoom, {
      groupOutcome: 'replan',
      notBefore: agreed,
      backOfficeNote: 'La società preferisce il mese prossimo',
    });
    const replanned = await confirmationTask(backOffice, key, noRoom.key);
    const plan = replanned.variables['plan'] as Plan;
    expect(plan.assignments).toHaveLength(13);
    expect(plan.days.every((d) => d.day >= agreed)).toBe(true);

    await complete(backOffice, replanned, { groupOutcome: 'cancel', backOfficeNote: 'La società ha rinunciato' });
    const closed = await waitForStatus(backOffice, key, 'cancelled');
    expect(closed.backOfficeNote).toBe('La società ha rinunciato');
    expect(await appointmentsOf(app, athletes)).toEqual([]);
  });
});
