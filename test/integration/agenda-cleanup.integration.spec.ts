import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { FhirCup } from '../../adapters/cup/fhir-cup.js';
import { LocalCup } from '../../adapters/cup/local-cup.js';
import { toFhirId } from '../../stand-ins/cup-fhir/resources.js';
import type { UserTask, UserTaskDetail } from '../../domain/tasks/inbox.js';
import type { PackageReport } from '../../domain/campaigns/campaigns.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';

const DAY = 86_400_000;

describe('"pulitura agende" campaign (C4)', () => {
  let app: RunningApp;
  let backOffice: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    backOffice = apiAs(app, 'backoffice.pulizia', ['back-office-1']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function openCalls(processInstanceKey: string): Promise<UserTask[]> {
    const list = await backOffice.get<{ items: UserTask[] }>('/api/tasks?process=cup-agenda-cleanup&limit=500');
    return list.body.items.filter((t) => t.processInstanceKey === processInstanceKey);
  }

  it('calls every booked patient of the agenda in packages of 100, one package after the other, and cancels who will not come', async () => {
    const schedule = `it-cleanup-${randomUUID().slice(0, 8)}`;
    await app.db.query(
      `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, 'asp-lauria', '95.02', $1)`,
      [schedule],
    );
    const from = new Date(Date.now() + 40 * DAY);
    await app.db.query(
      `INSERT INTO cup_slots (schedule_id, starts_at, ends_at, status)
       SELECT $1, $2::timestamptz + n * interval '10 minutes', $2::timestamptz + (n + 1) * interval '10 minutes', 'busy'
         FROM generate_series(0, 100) AS n`,
      [schedule, from],
    );
    const booked: { id: string }[] = await app.db.query(
      `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code)
       SELECT $1 || '-' || s.id, 'PUL-' || s.id, s.id, 'pat-000' || (1 + s.id % 7), '95.02'
         FROM cup_slots s WHERE s.schedule_id = $1
       RETURNING id`,
      [schedule],
    );
    expect(booked).toHaveLength(101);

    const started = await backOffice.post<{ processInstanceKey: string }>('/api/cup/agenda-cleanups', {
      scheduleId: schedule,
      from: from.toISOString(),
      to: new Date(from.getTime() + DAY).toISOString(),
    });
    expect(started.status).toBe(201);
    const pi = started.body.processInstanceKey;

    // The first package: 100 calls at once, and not one more.
    const first = await waitFor(async () => {
      const calls = await openCalls(pi);
      return calls.length === 100 ? calls : undefined;
    }, 'the first package of 100 calls');
    const cancelledId = booked[0]?.id ?? '';
    for (const call of first) {
      const detail = (await backOffice.get<UserTaskDetail>(`/api/tasks/${call.key}`)).body;
      expect(detail.variables['bookingCode']).toMatch(/^PUL-/);
      const outcome = detail.variables['appointmentId'] === cancelledId ? 'cancelled' : 'confirmed';
      await backOffice.post(`/api/tasks/${call.key}/claim`);
      const done = await backOffice.post(`/api/tasks/${call.key}/complete`, {
        variables: {
          presenceOutcome: outcome,
          ...(outcome === 'cancelled' ? { presenceNote: 'Si è già curato altrove' } : {}),
        },
      });
      expect(done.status).toBe(200);
    }

    const second = await waitFor(async () => {
      const calls = await openCalls(pi);
      return calls.length === 1 ? calls : undefined;
    }, 'the second package');
    await backOffice.post(`/api/tasks/${second[0]?.key}/claim`);
    await backOffice.post(`/api/tasks/${second[0]?.key}/complete`, { variables: { presenceOutcome: 'no-answer' } });

    const progress = await waitFor(async () => {
      const s = await backOffice.get<{
        items: { packageNo: number; outcome: string; contacts: number }[];
        packages: PackageReport[];
      }>(`/api/cup/agenda-cleanups/${pi}`);
      return s.body.items.reduce((n, i) => n + i.contacts, 0) === 101 ? s.body : undefined;
    }, 'all 101 outcomes');
    expect(progress.items).toEqual([
      { packageNo: 1, outcome: 'cancelled', contacts: 1 },
      { packageNo: 1, outcome: 'confirmed', contacts: 99 },
      { packageNo: 2, outcome: 'no-answer', contacts: 1 },
    ]);
    // The same package report as every campaign: confirming and cancelling are both positive.
    expect(progress.packages).toMatchObject([
      { packageNo: 1, contacts: 100, done: 100, positiveShare: 1, efficacious: true },
      { packageNo: 2, contacts: 1, done: 1, positiveShare: 0, efficacious: false },
    ]);
    expect(progress.packages[0]?.startedAt).toEqual(expect.any(String));
    expect(await app.workerDeps.cup.getAppointment(cancelledId)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'Disdetta durante la pulitura agenda: Si è già curato altrove',
    });
    const operators: { operator: string }[] = await app.db.query(
      `SELECT DISTINCT k.operator FROM campaign_contacts k JOIN campaigns c ON c.id = k.campaign_id
        WHERE c.process_instance_key = $1`,
      [pi],
    );
    expect(operators).toEqual([{ operator: 'backoffice.pulizia' }]);
  });
});

/**
 * The same campaign with the CUP reached over FHIR (`CUP_FHIR_BASE_URL`): one app serves the
 * local CUP's FHIR stand-in and runs no workers, the other runs the campaign through `FhirCup`.
 * The agenda's id holds a `:`, as the demo region's do, so its FHIR id differs from the local one.
 */
describe('"pulitura agende" campaign against a FHIR R4 CUP', () => {
  let cupServer: RunningApp;
  let app: RunningApp;
  let backOffice: ApiClient;

  beforeAll(async () => {
    cupServer = await startTestApp({ APP_MODE: 'api', FHIR_WRITE_TOKEN: 'cleanup-fhir-token-0123456789abcdef' });
    app = await startTestApp({
      CUP_FHIR_BASE_URL: `${cupServer.url}/fhir`,
      CUP_FHIR_TOKEN: 'cleanup-fhir-token-0123456789abcdef',
    });
    backOffice = apiAs(app, 'backoffice.pulizia', ['back-office-1']);
  });
  afterAll(async () => {
    await app?.stop();
    await cupServer?.stop();
  });

  it('calls the same patients as the local CUP finds, and cancels through the CUP who will not come', async () => {
    expect(app.workerDeps.cup).toBeInstanceOf(FhirCup);
    const schedule = `it-cleanup-fhir:${randomUUID().slice(0, 8)}`;
    await cupServer.db.query(
      `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, 'asp-lauria', '95.02', $1)`,
      [schedule],
    );
    const from = new Date(Date.now() + 45 * DAY);
    // Seven slots: five booked in the period, one booking cancelled, one after the period.
    await cupServer.db.query(
      `INSERT INTO cup_slots (schedule_id, starts_at, ends_at, status)
       SELECT $1, $2::timestamptz + n * interval '1 hour', $2::timestamptz + n * interval '1 hour' + interval '10 minutes', 'busy'
         FROM generate_series(0, 5) AS n
       UNION ALL SELECT $1, $2::timestamptz + interval '2 days', $2::timestamptz + interval '2 days 10 minutes', 'busy'`,
      [schedule, from],
    );
    await cupServer.db.query(
      `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code, status)
       SELECT $1 || '-' || s.id, 'PUF-' || s.id, s.id, 'pat-000' || (1 + row_number() OVER (ORDER BY s.starts_at)), '95.02',
              CASE WHEN row_number() OVER (ORDER BY s.starts_at) = 3 THEN 'cancelled' ELSE 'booked' END
         FROM cup_slots s WHERE s.schedule_id = $1`,
      [schedule],
    );
    const to = new Date(from.getTime() + DAY);
    const expected = ['pat-0002', 'pat-0003', 'pat-0005', 'pat-0006', 'pat-0007'];

    const started = await backOffice.post<{ processInstanceKey: string }>('/api/cup/agenda-cleanups', {
      scheduleId: toFhirId(schedule),
      from: from.toISOString(),
      to: to.toISOString(),
    });
    expect(started.status).toBe(201);
    const pi = started.body.processInstanceKey;
    const calls = await waitFor(async () => {
      const list = await backOffice.get<{ items: UserTask[] }>('/api/tasks?process=cup-agenda-cleanup&limit=500');
      const mine = list.body.items.filter((t) => t.processInstanceKey === pi);
      return mine.length === expected.length ? mine : undefined;
    }, 'one call per booking of the agenda');
    const details = await Promise.all(
      calls.map(async (c) => (await backOffice.get<UserTaskDetail>(`/api/tasks/${c.key}`)).body),
    );
    expect(details.map((d) => d.variables['patientId']).sort()).toEqual(expected);
    // The same the local CUP finds for the agenda, codes included.
    const local = await new LocalCup(cupServer.db).agendaBookings({ scheduleId: schedule, from, to });
    expect(local.map((a) => a.patientId)).toEqual(expected);
    expect(details.map((d) => d.variables['bookingCode']).sort()).toEqual(local.map((a) => a.bookingCode).sort());

    const leaving = local[0]?.id ?? '';
    for (const d of details) {
      const outcome = d.variables['appointmentId'] === toFhirId(leaving) ? 'cancelled' : 'confirmed';
      await backOffice.post(`/api/tasks/${d.key}/claim`);
      const done = await backOffice.post(`/api/tasks/${d.key}/complete`, {
        variables: { presenceOutcome: outcome, ...(outcome === 'cancelled' ? { presenceNote: 'Trasferito' } : {}) },
      });
      expect(done.status).toBe(200);
    }
    const summary = await waitFor(async () => {
      const s = await backOffice.get<{ items: { packageNo: number; outcome: string; contacts: number }[] }>(
        `/api/cup/agenda-cleanups/${pi}`,
      );
      return s.body.items.reduce((n, i) => n + i.contacts, 0) === expected.length ? s.body.items : undefined;
    }, 'all outcomes');
    expect(summary).toEqual([
      { packageNo: 1, outcome: 'cancelled', contacts: 1 },
      { packageNo: 1, outcome: 'confirmed', contacts: 4 },
    ]);
    expect(await new LocalCup(cupServer.db).getAppointment(leaving)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'Disdetta durante la pulitura agenda: Trasferito',
    });
  });
});
