import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { SimulatedCall, VoiceSimulator } from '../../stand-ins/twilio/voice.js';
import type { SlaReport, Wallboard } from '../../domain/kpi/types.js';
import { freePorts } from '../support/ports.js';
import { citizenMail, intakeOf, sendToLocalMailbox } from './support/mail.js';
import { apiAs, ensureUser, startTestApp, TEST_PASSWORD, waitFor, type ApiClient } from './support/test-app.js';
import { sessionClient } from '../support/session-client.js';
import type { Role } from '../../domain/access/roles.js';
import { dayInRome } from '../../domain/time.js';

const run = promisify(execFile);
const CUP = '+39848821821';
/** Tuesday 13 October 2026, 10:00 in Rome: a day no other test places calls on. */
const DAY = '2026-10-13';
const TUESDAY_10 = Date.parse('2026-10-13T08:00:00Z');
const HEADER =
  'contactId,line,channel,direction,requestType,offeredAt,answeredAt,abandonedAt,endedAt,wrapUpEndedAt,operator,outcome';

let seq = 0;
const caller = () => `+39334${String(Date.now() % 100_000).padStart(5, '0')}${String(++seq).padStart(2, '0')}`;

describe('KPIs: one source of truth for the report, the wallboard and the drill-down (K1–K4)', () => {
  let app: RunningApp;
  let sim: VoiceSimulator;
  let offset = 0;
  let op: ApiClient;
  let regione: ApiClient;
  let admin: ApiClient;
  let supervisor: ApiClient;

  beforeAll(async () => {
    const [smtpPort] = (await freePorts(1)) as [number];
    offset = TUESDAY_10 - Date.now();
    app = await startTestApp(
      { VOICE_HOLD_SECONDS: '1', VOICE_OFFER_SECONDS: '20', LOCAL_SMTP_PORT: String(smtpPort) },
      { now: () => new Date(Date.now() + offset), voiceTimeScale: 0.01 },
    );
    if (!app.voice?.simulator) throw new Error('the local call simulator did not start');
    sim = app.voice.simulator;
    op = apiAs(app, 'kpi.operatore', ['operator']);
    regione = apiAs(app, 'kpi.regione', ['regione']);
    admin = apiAs(app, 'kpi.admin', ['admin']);
    supervisor = apiAs(app, 'kpi.supervisore', ['supervisor']);
    await app.db.query(`UPDATE voice_operators SET presence = 'assente', offer_call = NULL, current_call = NULL`);
    await app.db.query(`UPDATE voice_queue_entries SET state = 'abandoned' WHERE state IN ('waiting', 'offered')`);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const queued = async (): Promise<SimulatedCall> => {
    const call = await sim.call({ from: caller(), to: CUP });
    await call.waitForGather();
    await call.press('2');
    await call.waitFor((e) => e.kind === 'enqueue');
    return call;
  };
  const sla = async (client: ApiClient, q: string) => {
    const res = await client.get(`/api/kpi/sla?${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as SlaReport;
  };
  const row = (r: SlaReport, id: string) => r.sla.find((x) => x.id === id);
  /** A raw request as a signed-in browser sends it (a file body, a download, a stream). */
  const rawAs = async (user: string, roles: Role[]) => {
    await ensureUser(app, user, roles);
    const client = sessionClient(app.url ?? '');
    const signed = await client.signIn(user, TEST_PASSWORD);
    const csrf = (signed.body as { csrfToken?: string }).csrfToken ?? '';
    const headers = () => ({ cookie: client.cookie(), 'x-csrf-token': csrf });
    return {
      headers,
      get: (p: string, signal?: AbortSignal) => fetch(`${app.url}${p}`, { headers: headers(), signal: signal ?? null }),
      postText: async (p: string, text: string) => {
        const res = await fetch(`${app.url}${p}`, {
          method: 'POST',
          headers: { ...headers(), 'content-type': 'text/csv' },
          body: text,
        });
        return { status: res.status, body: await res.json() };
      },
    };
  };

  it('calls through the simulator give the same figures in the report, the wallboard and the drill-down', async () => {
    // One call answered and closed as resolved, one abandoned in the queue.
    expect((await op.put('/api/voice/me/presence', { presence: 'disponibile' })).status).toBe(200);
    const answered = await queued();
    await waitFor(async () => {
      const me = (await op.get('/api/voice/me')).body as { offer?: { callSid?: string } | null };
      return me.offer?.callSid === answered.sid;
    }, 'the offer');
    expect((await op.post(`/api/voice/offers/${answered.sid}/accept`, {})).status).toBe(200);
    await answered.waitFor((e) => e.kind === 'bridged');
    await answered.hangUp();
    const task = await waitFor(
      async () => (await app.engine.tasks({ processInstanceBusinessKey: answered.sid }))[0],
      'task',
    );
    expect((await op.post(`/api/tasks/${task.id}/complete`, { variables: { callOutcome: 'resolved' } })).status).toBe(
      200,
    );
    await waitFor(async () => (await app.voice?.service.records.get(answered.sid))?.wrapUpEndedAt, 'the wrap-up');
    // The operator leaves once the wrap-up has made them available again: the next call finds nobody.
    await waitFor(
      async () => ((await op.get('/api/voice/me')).body as { presence?: string }).presence === 'disponibile',
      'the operator available again',
    );
    await app.db.query(`UPDATE voice_operators SET presence = 'assente', offer_call = NULL`);
    const lost = await queued();
    await lost.hangUp();
    await waitFor(async () => (await app.voice?.service.records.get(lost.sid))?.endedAt, 'the lost call ended');

    const report = await sla(regione, `line=cup&from=${DAY}&to=${DAY}`);
    expect(report).toMatchObject({ line: 'cup', from: DAY, to: DAY, offered: 2, answered: 1, lost: 1 });
    expect(report.definitions).toEqual({
      version: 'contratto-2026.1',
      answeredWithin: 'contract',
      shortAbandonS: 5,
      solutionTimeFrom: 'call-start',
      pointRounding: 'begun',
    });
    expect(row(report, 'lost-calls')).toMatchObject({ met: 1, base: 2, reachedPct: 50, ok: false });
    expect(row(report, 'first-contact-resolution')).toMatchObject({ met: 1, base: 1, reachedPct: 100, ok: true });
    const within = row(report, 'answered-within-20s');
    expect(within?.base).toBe(2);

    // The wallboard's day is the report's day: the same numbers.
    const board = (await regione.get('/api/kpi/wallboard?line=cup')).body as Wallboard;
    expect(board.today).toMatchObject({
      offered: report.offered,
      answered: report.answered,
      lost: report.lost,
      answeredWithinPct: within?.reachedPct,
      lostPct: row(report, 'lost-calls')?.reachedPct,
    });
    expect(board.windows.lastServiceHour.accepted).toBe(1);
    expect(board.arrivalRate).toHaveLength(24);
    expect(board.arrivalRate[10]?.seed).toBeGreaterThan(0);

    // The drill-down lists exactly the contacts behind each figure, the caller masked for the Regione.
    const drill = (await regione.get(`/api/kpi/sla/contacts?line=cup&from=${DAY}&to=${DAY}&sla=lost-calls&status=met`))
      .body as { total: number; contacts: { contactId: string; caller: string | null; outcome: string | null }[] };
    expect(drill.total).toBe(1);
    expect(drill.contacts[0]?.caller).toMatch(/\*\*\*/);
    const missed = (
      await regione.get(`/api/kpi/sla/contacts?line=cup&from=${DAY}&to=${DAY}&sla=lost-calls&status=missed`)
    ).body as { total: number };
    expect(drill.total + missed.total).toBe(row(report, 'lost-calls')?.base);

    // The live stream pushes the wallboard when a new call arrives.
    const events: Wallboard[] = [];
    const controller = new AbortController();
    const browser = await rawAs('kpi.regione', ['regione']);
    const stream = await browser.get('/api/kpi/wallboard/stream?line=cup', controller.signal);
    expect(stream.status).toBe(200);
    const reader = stream.body?.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const reading = (async () => {
      for (;;) {
        const chunk = await reader?.read().catch(() => undefined);
        if (!chunk || chunk.done) return;
        buffer += decoder.decode(chunk.value as Uint8Array, { stream: true });
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (block.startsWith('event: wallboard') && data) events.push(JSON.parse(data) as Wallboard);
        }
      }
    })();
    await waitFor(() => Promise.resolve(events.length >= 1), 'the first wallboard');
    const third = await queued();
    await waitFor(
      () => Promise.resolve(events.some((e) => e.now.waiting >= 1)),
      'a pushed wallboard with the new call',
    );
    await third.hangUp();
    await waitFor(
      () => Promise.resolve(events.some((e) => e.today.offered === 3)),
      'the lost call in the pushed figures',
    );
    controller.abort();
    await reading;

    // The command prints the same report (computedAt aside).
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/report.ts', 'sla', '--line', 'cup', '--from', DAY, '--to', DAY, '--format', 'json'],
      { env: { ...process.env, DATABASE_URL: app.databaseUrl, LOG_LEVEL: 'silent' }, cwd: process.cwd() },
    );
    const printed = JSON.parse(stdout) as SlaReport;
    const again = await sla(regione, `line=cup&from=${DAY}&to=${DAY}`);
    // The command's clock is the wall clock; continuity and pending written contacts depend on "now".
    const comparable = (r: SlaReport) => ({
      offered: r.offered,
      answered: r.answered,
      lost: r.lost,
      definitions: r.definitions,
      sla: r.sla.filter((x) => !['ivr-continuity', 'written-contacts-24h'].includes(x.id)),
    });
    expect(comparable(printed)).toEqual(comparable(again));
  });

  it('a mail through the intake is a written contact of the contact center', async () => {
    const messageId = `<${randomBytes(6).toString('hex')}@example.test>`;
    await sendToLocalMailbox(
      app,
      await citizenMail({ subject: 'Richiesta informazioni', text: 'Buongiorno', messageId }),
    );
    const intake = await intakeOf(app, messageId);
    // Days are Europe/Rome's: near midnight UTC the date differs; from yesterday covers a mail
    // received just before midnight and read just after.
    const today = dayInRome(new Date());
    const yesterday = dayInRome(new Date(Date.now() - 86_400_000));
    const pending = (
      await regione.get(
        `/api/kpi/sla/contacts?line=csb&from=${yesterday}&to=${today}&sla=written-contacts-24h&status=pending&limit=1000`,
      )
    ).body as { total: number; contacts: { contactId: string; channel: string; caller: string | null }[] };
    const mine = pending.contacts.find((c) => c.contactId === intake.id);
    expect(mine).toMatchObject({ channel: 'email', caller: '***' });
    const report = await sla(regione, `line=csb&from=${yesterday}&to=${today}`);
    expect(row(report, 'written-contacts-24h')?.pending).toBe(pending.total);
  });

  it('imports a month of contact records: all or nothing, twice changes nothing, the report reads them', async () => {
    const adminRaw = await rawAs('kpi.admin', ['admin']);
    const regioneRaw = await rawAs('kpi.regione', ['regione']);
    const bad = `${HEADER}\nx1,cup,voice,inbound,,2024-10-01T09:00:00+02:00,,,2024-10-01T09:01:00+02:00,,,abandoned\nx2,cup,voice,sideways,,,,,,,,\n`;
    const refused = await adminRaw.postText('/api/kpi/contacts/import?name=bad.csv', bad);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ errors: [{ field: 'line 3', label: 'Riga 3' }] });
    const none: unknown[] = await app.db.query(`SELECT 1 FROM imported_contacts WHERE contact_id = 'x1'`);
    expect(none).toHaveLength(0);

    const lines = [HEADER];
    // 10 calls on 1 October 2024 (CUP): 8 answered in 15 s (6 resolved, 2 escalated), 2 abandoned after 40 s.
    for (let i = 0; i < 10; i++) {
      const t = (s: number) => new Date(Date.parse('2024-10-01T07:00:00Z') + i * 600_000 + s * 1000).toISOString();
      if (i < 8) {
        const outcome = i < 6 ? 'resolved' : 'escalated-l2';
        lines.push(`k${i},cup,voice,inbound,booking,${t(0)},${t(15)},,${t(150)},${t(200)},op${i % 2},${outcome}`);
      } else lines.push(`k${i},cup,voice,inbound,booking,${t(0)},,${t(40)},${t(40)},,,abandoned`);
    }
    const csv = `${lines.join('\n')}\n`;
    const first = await adminRaw.postText('/api/kpi/contacts/import?name=ottobre.csv', csv);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ rows: 10, inserted: 10, unchanged: 0 });
    const second = await adminRaw.postText('/api/kpi/contacts/import?name=ottobre.csv', csv);
    expect(second.body).toEqual({ rows: 10, inserted: 0, unchanged: 10 });
    expect((await regioneRaw.postText('/api/kpi/contacts/import', csv)).status).toBe(403);
    // The same id with other content is refused, nothing written.
    const changed = csv.replace('k0,cup', 'k0,csb');
    expect((await adminRaw.postText('/api/kpi/contacts/import', changed)).status).toBe(400);

    // And the command line imports a file too.
    const file = path.join(os.tmpdir(), `kpi-${process.pid}.csv`);
    await writeFile(
      file,
      `${HEADER}\nk10,cup,voice,inbound,,2024-10-02T09:00:00+02:00,2024-10-02T09:00:05+02:00,,2024-10-02T09:02:00+02:00,2024-10-02T09:03:00+02:00,op1,resolved\n`,
    );
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/contacts-import.ts', file], {
      env: { ...process.env, DATABASE_URL: app.databaseUrl },
    });
    expect(stdout).toMatch(/1 rows, 1 imported, 0 already present/);

    // Service value for the month, then the report: 11 offered, 9 answered within 20 s, 2 lost after 40 s.
    expect(
      (await admin.put('/api/kpi/service-values/cup/2024-10', { serviceValueEur: 310_000, outboundValueEur: null }))
        .status,
    ).toBe(200);
    const report = await sla(regione, 'line=cup&from=2024-10-01&to=2024-10-31');
    expect(report).toMatchObject({ offered: 11, answered: 9, lost: 2, serviceValueEur: 310_000 });
    expect(row(report, 'answered-within-20s')).toMatchObject({
      met: 9,
      base: 11,
      reachedPct: 81.82,
      ok: false,
      penaltyPoints: 9,
    });
    expect(row(report, 'answered-within-20s')?.penaltyEur).toBe(13_950); // 9 × 0.5 % of 310 000 €
    expect(row(report, 'first-contact-resolution')).toMatchObject({ met: 7, base: 9 });
    // Escalated without a closure: pending at second level; missed for the 4 h once those passed.
    expect(row(report, 'second-level-resolution')).toMatchObject({ base: 0, pending: 2 });
    expect(row(report, 'second-level-solution-time')).toMatchObject({ met: 0, base: 2 });
    // A strict reading, asked for: the same, since no lost call was within 20 s; exclude-short the same too.
    const strict = await sla(regione, 'line=cup&from=2024-10-01&to=2024-10-31&answeredWithin=strict');
    expect(strict.definitions.answeredWithin).toBe('strict');
    expect(row(strict, 'answered-within-20s')?.met).toBe(9);
  });

  it('stores the reports of ended periods through the BPMN flow, once, immutable, and tracks publication', async () => {
    await app.workerDeps.starter.start({
      bpmnProcessId: 'kpi-reports',
      businessKey: `REPORT-${Date.now()}`,
      variables: {},
      startedBy: 'test',
      startAt: 'manual-run',
    });
    const reports = await waitFor(
      async () => {
        const r = (await regione.get('/api/kpi/reports?kind=weekly&line=cup')).body as {
          reports: { id: string; from: string }[];
        };
        // This go-live's periods (the kill test stores 2040's, on a go-live of its own).
        const ours = r.reports.filter((x) => x.from < '2030-01-01');
        return ours.length > 0 ? ours : undefined;
      },
      'the stored reports',
      60_000,
    );
    // Go-live 2026-09-01 (a Tuesday): weeks from Monday 31 August; the app's "now" is 13 October.
    expect(reports.map((r) => r.from).sort()[0]).toBe('2026-08-31');
    // Six weeks ended before 13 October (31 August … 5 October), for each line: 12 reports.
    const count = await waitFor(async () => {
      const c: { n: number }[] = await app.db.query(
        `SELECT count(*)::int AS n FROM kpi_reports WHERE period_from < '2030-01-01'`,
      );
      return c[0]?.n === 12 ? c : undefined;
    }, 'the twelve weekly reports');
    await app.workerDeps.starter.start({
      bpmnProcessId: 'kpi-reports',
      businessKey: `REPORT-${Date.now()}`,
      variables: {},
      startedBy: 'test',
      startAt: 'manual-run',
    });
    await new Promise((r) => setTimeout(r, 3000));
    const after: { n: number }[] = await app.db.query(
      `SELECT count(*)::int AS n FROM kpi_reports WHERE period_from < '2030-01-01'`,
    );
    expect(after[0]?.n).toBe(count[0]?.n);
    const id = reports[0]?.id ?? '';
    const stored = (await regione.get(`/api/kpi/reports/${id}`)).body as SlaReport;
    expect(stored.stored).toMatchObject({ id, kind: 'weekly', publishedAt: null });
    expect(stored.definitions.version).toBe('contratto-2026.1');
    await expect(app.db.query(`UPDATE kpi_reports SET report = '{}' WHERE id = $1`, [id])).rejects.toThrow(/immutable/);
    expect((await regione.post(`/api/kpi/reports/${id}/publish`, {})).status).toBe(403);
    const published = await supervisor.post(`/api/kpi/reports/${id}/publish`, {});
    expect(published.status).toBe(200);
    const again = await supervisor.post(`/api/kpi/reports/${id}/publish`, {});
    expect((again.body as { publishedAt: string }).publishedAt).toBe(
      (published.body as { publishedAt: string }).publishedAt,
    );
    const regioneRaw = await rawAs('kpi.regione', ['regione']);
    const csv = await regioneRaw.get(`/api/kpi/reports/${id}/export?format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const pdf = await regioneRaw.get(`/api/kpi/reports/${id}/export?format=pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('%PDF');
  });

  it('definitions are versioned: a new version is added, an existing one is never replaced', async () => {
    const current = (await regione.get('/api/kpi/definitions')).body as { current: Record<string, unknown> };
    const next = { ...current.current, version: 'contratto-2026.2', answeredWithin: 'strict' };
    const added = await admin.post('/api/kpi/definitions', { definitions: next, note: 'lettura rigorosa' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const dup = await admin.post('/api/kpi/definitions', { definitions: next, note: null });
    expect(dup.status).toBe(400);
    const invalid = await admin.post('/api/kpi/definitions', { definitions: { ...next, version: 'x y' } });
    expect(invalid.status).toBe(400);
    const report = await sla(regione, 'line=cup&from=2024-10-01&to=2024-10-31');
    expect(report.definitions).toMatchObject({ version: 'contratto-2026.2', answeredWithin: 'strict' });
    const older = await sla(regione, 'line=cup&from=2024-10-01&to=2024-10-31&definitions=contratto-2026.1');
    expect(older.definitions.version).toBe('contratto-2026.1');
    await expect(app.db.query(`DELETE FROM kpi_definitions WHERE version = 'contratto-2026.2'`)).rejects.toThrow(
      /immutable/,
    );
  });
});
