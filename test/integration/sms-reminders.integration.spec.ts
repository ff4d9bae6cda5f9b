import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { dayInRome, nextDay, startOfDayInRome } from '../../domain/time.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { apiAs, startTestApp, twilioVia, waitFor } from './support/test-app.js';
import { engineNow, pinEngineClock } from './support/clock.js';

/**
 * Books `count` fictitious patients on `day` (Europe/Rome) on an agenda of their own,
 * straight in the CUP's tables: the test data of the reminder runs.
 */
async function bookDay(app: RunningApp, day: string, count: number): Promise<string[]> {
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

async function remindersFor(app: RunningApp, ids: string[]): Promise<{ reference: string; status: string }[]> {
  return app.db.query(
    `SELECT reference, status FROM sms_messages WHERE purpose = 'cup-reminder' AND reference = ANY ($1)`,
    [ids],
  );
}

describe('daily SMS reminders (C3)', () => {
  let twilio: TwilioStandIn;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    twilio = await startTwilioStandIn();
  });
  afterAll(async () => {
    await app?.stop();
    await twilio.close();
  });

  it('at 18:00 the timer sends exactly one reminder per booking of the next day', async () => {
    app = await startTestApp({}, { sms: twilioVia(twilio) });
    // The next 18:00 in Rome after the engine's current time.
    let today = dayInRome(engineNow());
    let at = new Date(startOfDayInRome(today).getTime() + 18 * 3_600_000 + 60_000);
    if (at <= engineNow()) {
      today = nextDay(today);
      at = new Date(startOfDayInRome(today).getTime() + 18 * 3_600_000 + 60_000);
    }
    const ids = await bookDay(app, nextDay(today), 40);

    await pinEngineClock(at);
    const sent = await waitFor(
      async () => {
        const r = await remindersFor(app as RunningApp, ids);
        return r.length === ids.length && r.every((x) => x.status === 'queued') ? r : undefined;
      },
      'the reminders of the next day',
      60_000,
    );
    expect(new Set(sent.map((s) => s.reference)).size).toBe(ids.length);
    for (const id of ids) {
      const code = `IT-${id.slice(3)}`;
      expect(twilio.messages.filter((m) => m.body.includes(`${code} del`))).toHaveLength(1);
    }
    expect(twilio.messages.find((m) => m.body.includes(`IT-${ids[0]?.slice(3)}`))?.body).toMatch(
      /^CUP Basilicata: le ricordiamo la prenotazione IT-/,
    );
  });

  it('a run stopped midway and restarted sends every reminder once', async () => {
    await app?.stop();
    app = await startTestApp({}, { sms: twilioVia(twilio) });
    const day = '2027-03-15';
    const ids = await bookDay(app, day, 2000);
    const before = twilio.requests;
    const run = await apiAs(app).post<{ processInstanceKey: string }>('/api/cup/reminder-runs', { reminderDate: day });
    expect(run.status).toBe(201);

    await waitFor(
      () => Promise.resolve(twilio.requests - before >= 700 || undefined),
      'a third of the run',
      60_000,
    ).catch(async (err: Error) => {
      const outcomes: unknown[] = await (app as RunningApp).db.query(
        'SELECT task_type, outcome, message FROM job_outcomes WHERE process_instance_key = $1',
        [run.body.processInstanceKey],
      );
      throw new Error(`${err.message}: ${JSON.stringify(outcomes)}`);
    });
    await app.stop();
    const sentBeforeStop = twilio.requests - before;
    expect(sentBeforeStop).toBeLessThan(2000);

    app = await startTestApp({}, { sms: twilioVia(twilio) });
    // The interrupted batch job comes back after its activation timeout, on engine time.
    await pinEngineClock(new Date(engineNow().getTime() + 10 * 60_000));
    await waitFor(
      async () => {
        const r = await remindersFor(app as RunningApp, ids);
        return r.length === ids.length || undefined;
      },
      'every reminder of the run',
      120_000,
    );

    const perCode = new Map<string, number>();
    for (const m of twilio.messages) {
      const code = /prenotazione (IT-\S+)/.exec(m.body)?.[1];
      if (code) perCode.set(code, (perCode.get(code) ?? 0) + 1);
    }
    for (const id of ids) expect(perCode.get(`IT-${id.slice(3)}`)).toBe(1);
    expect(twilio.requests - before).toBe(2000);
  });
});
