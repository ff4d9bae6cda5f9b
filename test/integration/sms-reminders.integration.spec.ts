import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT, type RunningApp } from '../../app.js';
import { engineDate, isoFromEngine } from '../../domain/tasks/inbox.js';
import { nextDay, startOfDayInRome, TIME_ZONE } from '../../domain/time.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { apiAs, startTestApp, twilioVia, waitFor } from './support/test-app.js';
import { fireTimers, testEngine } from './support/clock.js';
import { bookDay } from './support/booking.js';

/** Worker processes started by the tests; killed in `afterAll` whatever happened. */
const children: ChildProcess[] = [];
/** What the worker processes printed, for the failure message. */
const childOutput: string[] = [];

/** `main.ts --workers-only` against the run's engine and database, SMS to the stand-in. */
function startWorkerProcess(twilio: TwilioStandIn, dataDir: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts', '--workers-only'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: dataDir,
      DATABASE_URL: inject('databaseUrl'),
      ENGINE_URL: inject('engineUrl'),
      ENGINE_REST_USER: inject('engineUser'),
      ENGINE_REST_PASSWORD: inject('enginePassword'),
      // A killed worker's batch comes back to the next worker after 5 s.
      WORKER_LOCK_MS: '5000',
      WORKER_POLL_MS: '2000',
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+390971000000',
      TWILIO_API_BASE_URL: twilio.url,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => childOutput.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => childOutput.push(b.toString()));
  children.push(child);
  return child;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/** Hour and minute of an instant on the clock in Rome. */
function timeInRome(instant: Date): string {
  return new Intl.DateTimeFormat('it-IT', {
    timeZone: TIME_ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(instant);
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
    // A worker process left running would take jobs from the next test files' apps.
    await Promise.all(children.map((c) => stopChild(c, 'SIGKILL')));
    await app?.stop();
    await twilio.close();
  });

  it('at 18:00 the timer sends exactly one reminder per booking of the next day', async () => {
    // The platform's clock stands at 18:00 in Rome on a day of its own (the engine's timer
    // is fired through its job below): the run is for the day after.
    const today = '2027-01-20';
    const now = new Date(startOfDayInRome(today).getTime() + 18 * 3_600_000 + 30_000);
    app = await startTestApp({}, { sms: twilioVia(twilio), now: () => now });
    const ids = await bookDay(app, nextDay(today), 40);

    // The engine's timer is set for 18:00 in Rome; firing it starts a run, and a timer for
    // the next run is set, again at 18:00.
    const engine = testEngine();
    const [timer] = await engine.jobs({ processDefinitionKey: 'cup-sms-reminders', timers: true });
    const due = new Date(isoFromEngine(timer?.dueDate) ?? 0);
    expect(timeInRome(due)).toBe('18:00');
    const since = new Date(Date.now() - 1000);
    expect(await fireTimers({ processDefinitionKey: 'cup-sms-reminders' })).toBe(1);
    const [next] = await engine.jobs({ processDefinitionKey: 'cup-sms-reminders', timers: true });
    const nextDue = new Date(isoFromEngine(next?.dueDate) ?? 0);
    expect(timeInRome(nextDue)).toBe('18:00');
    expect(nextDue.getTime()).toBeGreaterThan(Date.now());

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
    // The timer's run computed the day itself and ended.
    const [run] = await engine.historicProcessInstances({
      processDefinitionKey: 'cup-sms-reminders',
      startedAfter: engineDate(since),
    });
    expect(run).toBeDefined();
    await waitFor(
      async () => (await engine.historicProcessInstance(run?.id ?? ''))?.state === 'COMPLETED',
      'the timer run completed',
    );
    const vars = await engine.historicVariables({ processInstanceId: run?.id, variableName: 'reminderDate' });
    expect(vars.map((v) => v.value)).toEqual([nextDay(today)]);
  });

  it('a run of 10,000 reminders whose worker process is killed midway and restarted sends none twice', async () => {
    await app?.stop();
    // This process serves the API only; the workers run in child processes that can be killed.
    app = await startTestApp({ APP_MODE: 'api' });
    const day = '2027-03-15';
    const ids = await bookDay(app, day, 10_000);
    const before = twilio.requests;
    const run = await apiAs(app, 'backoffice.uno', ['back-office-1']).post<{ processInstanceKey: string }>(
      '/api/cup/reminder-runs',
      { reminderDate: day },
    );
    expect(run.status).toBe(201);
    const engine = testEngine();

    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-reminder-workers-'));
    const first = startWorkerProcess(twilio, dataDir);
    // Killed past a third of the run, in the middle of a batch of 500 (the batches run one
    // after the other, so a count between two multiples of 500 is a batch under way).
    await waitFor(
      () => {
        const sent = twilio.requests - before;
        return Promise.resolve((sent >= 3000 && sent % 500 >= 100 && sent % 500 <= 400) || undefined);
      },
      'a third of the run, mid-batch',
      90_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message} (${twilio.requests - before} sent); worker output:\n${childOutput.join('').slice(-3000)}`,
      );
    });
    await stopChild(first, 'SIGKILL');
    const sentBeforeKill = twilio.requests - before;
    expect(sentBeforeKill).toBeLessThan(10_000);
    // The dead worker still holds its batch in the engine: no other worker may take it yet.
    const [held] = await engine.request<{ id: string; workerId: string | null; lockExpirationTime: string | null }[]>(
      'GET',
      '/external-task',
      { query: { processInstanceId: run.body.processInstanceKey } },
    );
    expect(held?.workerId).toContain(`-${first.pid}-`);
    expect(new Date(isoFromEngine(held?.lockExpirationTime) ?? 0).getTime()).toBeGreaterThan(Date.now());

    const second = startWorkerProcess(twilio, dataDir);
    try {
      // The killed worker's batch comes back once its lock expires (5 s), and the run goes on.
      await waitFor(
        async () => (await remindersFor(app as RunningApp, ids)).length === ids.length || undefined,
        'every reminder of the run',
        120_000,
      );
      await waitFor(
        async () => (await engine.historicProcessInstance(run.body.processInstanceKey))?.state === 'COMPLETED',
        'the end of the run',
        30_000,
      );
    } finally {
      await stopChild(second, 'SIGTERM');
      await rm(dataDir, { recursive: true, force: true });
    }

    // No incident, not even one resolved since, and every batch ended well.
    expect(await engine.historicIncidents({ processInstanceId: run.body.processInstanceKey })).toEqual([]);
    const outcomes: { outcome: string; n: string }[] = await app.db.query(
      `SELECT outcome, count(*) AS n FROM job_outcomes WHERE process_instance_key = $1 GROUP BY outcome`,
      [run.body.processInstanceKey],
    );
    // Every batch completed; the one the kill cut waited (without spending an attempt) for
    // its cut sends to be settled.
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(expect.arrayContaining(['completed']));
    expect(outcomes.map((o) => o.outcome).filter((o) => o !== 'completed' && o !== 'retry')).toEqual([]);
    const waits: { message: string; retries_left: number | null }[] = await app.db.query(
      `SELECT message, retries_left FROM job_outcomes WHERE process_instance_key = $1 AND outcome = 'retry'`,
      [run.body.processInstanceKey],
    );
    for (const w of waits)
      expect(w).toMatchObject({
        message: expect.stringMatching(/in verifica presso il gestore SMS/) as unknown,
        retries_left: 5,
      });
    // The held batch was taken over and finished by the restarted worker.
    const takenOver: { n: string }[] = await app.db.query(
      `SELECT count(*) AS n FROM job_outcomes WHERE job_key = $1 AND outcome = 'completed'`,
      [held?.id],
    );
    expect(takenOver[0]?.n).toBe('1');
    const rows = await remindersFor(app, ids);
    expect(rows).toHaveLength(10_000);
    const perCode = new Map<string, number>();
    for (const m of twilio.messages) {
      const code = /prenotazione (IT-\S+) del/.exec(m.body)?.[1];
      if (code) perCode.set(code, (perCode.get(code) ?? 0) + 1);
    }
    const codeOf = (id: string) => `IT-${id.slice(3)}`;
    // No booking got two reminders.
    expect([...perCode.values()].filter((n) => n > 1)).toEqual([]);
    // The sends cut by the kill (at most one per parallel sender) were settled against
    // Twilio's list, not left in doubt nor repeated: every booking got exactly one reminder.
    expect(rows.filter((r) => r.status === 'submitting')).toEqual([]);
    for (const r of rows) expect(perCode.get(codeOf(r.reference)), r.reference).toBe(1);
    expect(rows.filter((r) => perCode.get(codeOf(r.reference)) === 1)).toHaveLength(10_000);
  });
});
