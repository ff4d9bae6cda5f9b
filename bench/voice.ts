/**
 * Voice webhook benchmark (issue 11): calls placed by the local call simulator into the real
 * app, started in-process on the embedded default in a temporary folder (its own embedded
 * PostgreSQL and Operaton, the local call simulator, LOG_LEVEL silent, no demo data).
 *
 *   npm run bench:voice                    # defaults: 20 new calls/s for 30 s, 20 warm-up calls
 *   RATE=10 SECONDS=60 npm run bench:voice
 *   OPERATORS=4 npm run bench:voice        # 4 operators accept the calls offered to them
 *   BARE=with npm run bench:voice          # the bare floor at the same time as the platform
 *
 * Each call (open loop: a timer starts RATE calls a second on schedule, whether or not the
 * earlier ones were answered; how late each start was is recorded) dials the CUP line
 * (+39848821821) at a Tuesday 10:00 in Rome (the app's clock is real time shifted there):
 * arrives (first webhook: the `inbound-call` instance starts), hears the menu, presses 1–4
 * (seeded PRNG, SEED), is enqueued, waits for 2 or 3 waitUrl polls (VOICE_HOLD_SECONDS between
 * them, × the simulator's time scale 0.01: 0.3 s by default) and hangs up: abandoned. With
 * OPERATORS=n, n operators are available in the `cup` queue; each accepts its offers through
 * the service (`VoiceService.accept`), the caller talks TALK_MS after the bridge and hangs up,
 * and the operator completes the contact task (outcome `resolved`).
 *
 * Latency per webhook kind comes from the simulator's own record of every request it made
 * (`SimulatedCall.requests`): start (the Voice URL), step (the Gather's answer), wait (the
 * Enqueue's waitUrl), queue-result (the Enqueue's action after the hang-up). The bare floor
 * is a plain express server on another port that parses the same form bodies and answers
 * fixed TwiML documents of the same shape (menu, enqueue, wait, hang-up), driven by a second
 * simulator with the same script at the same rate: after the platform's run (BARE=after,
 * default), at the same time (BARE=with), or not at all (BARE=off).
 *
 * During the run a sampler (its own connection, every 200 ms) counts the PostgreSQL sessions of
 * both databases by state and wait event and the app pool's waiting requests: where a webhook
 * waits when the latency grows. CPU time of this process, the engine and PostgreSQL is read
 * from /proc.
 *
 * Afterwards every call must have exactly one contact record in `call_records` with arrived_at,
 * ivr_entered_at, offered_at, ended_at and outcome `abandoned` (answered calls: answered_at and
 * the operator's outcome; a call refused because the line's channels were all in use: outcome
 * `busy`, counted apart), its queue entry withdrawn, and no `inbound-call` instance left
 * running. Webhook errors are the simulator's non-2xx answers and `error` events and non-2xx
 * status callbacks; the app's own warnings and errors are counted (its log is otherwise
 * silent). Prints each figure as measured, then a markdown table; docs/benchmarks.md records
 * the figures.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import express from 'express';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { startApp, type RunningApp } from '../app.js';
import { twiml } from '../adapters/voice/twiml.js';
import { OfferGoneError } from '../domain/voice/acd.js';
import { loadConfig } from '../platform/config.js';
import { findJava } from '../platform/engine/java.js';
import { createLogger } from '../platform/logger.js';
import { createVoiceSimulator, type SimulatedCall, type VoiceSimulator } from '../stand-ins/twilio/voice.js';
import { freePorts } from '../test/support/ports.js';
import { quantiles, benchmarkRun, machineLine, loadAverage, prng } from './platform.js';

const num = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number`);
  return v;
};
const RATE = num('RATE', 20);
const SECONDS = num('SECONDS', 30);
const WARMUP = num('WARMUP', 20);
const OPERATORS = num('OPERATORS', 0);
const TALK_MS = num('TALK_MS', 300);
const SEED = num('SEED', 1);
const BARE = (process.env.BARE ?? 'after') as 'after' | 'with' | 'off';
if (!['after', 'with', 'off'].includes(BARE)) throw new Error('BARE must be after, with or off');
const HOLD_SECONDS = num('VOICE_HOLD_SECONDS', 30);
/** The simulator's pauses and waitUrl gaps: 1 s of the IVR's time is 10 ms here. */
const TIME_SCALE = 0.01;
/** How long a caller waits for each thing it expects (the simulator's webhook timeout is 15 s). */
const STEP_TIMEOUT_MS = 30_000;
const CUP = '+39848821821';
/** Tuesday 1 December 2026, 10:00 in Rome: the CUP line is open (Monday–Friday 8–20). */
const TUESDAY_10 = Date.parse('2026-12-01T09:00:00Z');

const out = (s: string) => process.stdout.write(`${s}\n`);
const ms = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** Teardown steps, run in reverse order once, on success, on error and on Ctrl-C. */
const bench = benchmarkRun(out);
const cleanup = bench.steps;

// ---------------------------------------------------------------------------------------------
// CPU time of the processes on the machine: this one (app + simulators), the engine, PostgreSQL
// ---------------------------------------------------------------------------------------------

const TICKS = 100; // USER_HZ on Linux

function procStat(pid: number): { ppid: number; cpu: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICKS };
  } catch {
    return undefined;
  }
}

function cpuSeconds(enginePid: number | undefined, postmasterPid: number | undefined) {
  let postgres = 0;
  if (postmasterPid) {
    postgres += procStat(postmasterPid)?.cpu ?? 0;
    for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      const s = procStat(Number(e));
      if (s?.ppid === postmasterPid) postgres += s.cpu;
    }
  }
  return {
    node: procStat(process.pid)?.cpu ?? 0,
    engine: enginePid ? (procStat(enginePid)?.cpu ?? 0) : 0,
    postgres,
  };
}

// ---------------------------------------------------------------------------------------------
// The caller's script and the open-loop generator
// ---------------------------------------------------------------------------------------------

interface CallResult {
  index: number;
  sid: string | undefined;
  /**
   * abandoned: hung up in the queue as planned; answered: bridged to an operator; busy: refused
   * at the first webhook because the line's channels were all in use (V7); failed: anything else.
   */
  outcome: 'abandoned' | 'answered' | 'busy' | 'failed';
  failure?: string;
  endedAt: number;
}

type Kind = 'start' | 'step' | 'wait' | 'queue-result' | 'other';
const KINDS: Kind[] = ['start', 'step', 'wait', 'queue-result'];

function kindOf(url: string): Kind {
  const p = new URL(url).pathname;
  if (/\/(voice|bare\/voice)$/.test(p)) return 'start';
  if (p.endsWith('/step')) return 'step';
  if (p.endsWith('/wait')) return 'wait';
  if (p.endsWith('/queue-result')) return 'queue-result';
  return 'other';
}

const pausesAfterEnqueue = (all: SimulatedCall['events']) => {
  const at = all.findIndex((e) => e.kind === 'enqueue');
  return at < 0 ? 0 : all.slice(at).filter((e) => e.kind === 'pause').length;
};

/** One caller: arrives, hears the menu, presses a key, waits `waits` polls in the queue (or is answered), hangs up. */
async function caller(
  sim: VoiceSimulator,
  index: number,
  from: string,
  key: string,
  waits: number,
): Promise<CallResult> {
  let call: SimulatedCall | undefined;
  let phase = 'first webhook';
  try {
    call = await sim.call({ from, to: CUP });
    phase = 'menu';
    await call.waitForGather(STEP_TIMEOUT_MS);
    phase = 'key';
    await call.press(key);
    phase = 'enqueue';
    await call.waitFor((e) => e.kind === 'enqueue', STEP_TIMEOUT_MS);
    phase = 'queue';
    const e = await call.waitFor(
      (x, all) => x.kind === 'dequeued' || (x.kind === 'pause' && pausesAfterEnqueue(all) >= waits),
      STEP_TIMEOUT_MS,
    );
    if (e.kind === 'dequeued') {
      phase = 'bridge';
      await call.waitFor((x) => x.kind === 'bridged', STEP_TIMEOUT_MS);
      await sleep(TALK_MS);
      await call.hangUp();
      return { index, sid: call.sid, outcome: 'answered', endedAt: performance.now() };
    }
    await call.hangUp();
    return { index, sid: call.sid, outcome: 'abandoned', endedAt: performance.now() };
  } catch (err) {
    const error = call?.events.find((x) => x.kind === 'error');
    if (call) await call.hangUp().catch(() => undefined);
    if (call?.events.some((x) => x.kind === 'reject' && x.reason === 'busy')) {
      return { index, sid: call.sid, outcome: 'busy', endedAt: performance.now() };
    }
    return {
      index,
      sid: call?.sid,
      outcome: 'failed',
      failure: `${phase}: ${error && error.kind === 'error' ? error.message : (err as Error).message.slice(0, 200)}`,
      endedAt: performance.now(),
    };
  }
}

interface Run {
  label: string;
  sim: VoiceSimulator;
  t0: number;
  generatorEnd: number;
  /** How late each call was started against its schedule (ms). */
  lags: number[];
  results: CallResult[];
  maxInProgress: number;
}

/** Starts `count` calls at `rate` per second on schedule (open loop); resolves when all have ended. */
async function openLoop(
  label: string,
  sim: VoiceSimulator,
  rate: number,
  count: number,
  rnd: () => number,
  firstIndex: number,
): Promise<Run> {
  const interval = 1000 / rate;
  const lags: number[] = [];
  const pending: Promise<CallResult>[] = [];
  let inProgress = 0;
  let maxInProgress = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < count && t0 + i * interval <= now) {
        lags.push(now - (t0 + i * interval));
        const index = firstIndex + i;
        const from = `+39333${String(index).padStart(7, '0')}`;
        const key = String(1 + Math.floor(rnd() * 4));
        const waits = 2 + Math.floor(rnd() * 2);
        inProgress++;
        maxInProgress = Math.max(maxInProgress, inProgress);
        pending.push(
          caller(sim, index, from, key, waits).finally(() => {
            inProgress--;
          }),
        );
        i++;
      }
      if (i >= count) {
        resolve();
        return;
      }
      setTimeout(tick, Math.max(0, t0 + i * interval - performance.now()));
    };
    tick();
  });
  const generatorEnd = performance.now();
  const results = await Promise.all(pending);
  return { label, sim, t0, generatorEnd, lags, results, maxInProgress };
}

interface RunFigures {
  label: string;
  started: number;
  offeredRate: number;
  completed: number;
  /** Calls completed per second once the ramp is over: the second `ramp` to the end of the window. */
  sustained: number;
  ramp: number;
  span: number;
  drain: number;
  busy: number;
  failed: number;
  failures: Map<string, number>;
  lag: ReturnType<typeof quantiles>;
  behind: number;
  maxInProgress: number;
  latency: Map<Kind, ReturnType<typeof quantiles> & { n: number }>;
  non2xx: Map<string, number>;
  errorEvents: Map<string, number>;
  statusCallbacks: number;
  statusNon2xx: Map<string, number>;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

function figures(run: Run, seconds: number, rate: number): RunFigures {
  const calls = run.results.map((r) => (r.sid ? run.sim.find(r.sid) : undefined));
  const samples = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
  const non2xx = new Map<string, number>();
  const errorEvents = new Map<string, number>();
  const statusNon2xx = new Map<string, number>();
  let statusCallbacks = 0;
  for (const c of calls) {
    if (!c) continue;
    for (const r of c.requests) {
      const k = kindOf(r.url);
      samples.get(k)?.push(r.ms);
      if (r.status < 200 || r.status > 299) bump(non2xx, `${k} ${r.status === 0 ? 'no answer' : `HTTP ${r.status}`}`);
    }
    for (const e of c.events) if (e.kind === 'error') bump(errorEvents, e.message.replace(/CA[0-9a-f]{32}/g, 'CA…'));
    for (const s of c.statusCallbacks) {
      statusCallbacks++;
      if (s.status < 200 || s.status > 299) bump(statusNon2xx, `${s.params.CallStatus} → ${s.status}`);
    }
  }
  const interval = 1000 / rate;
  const done = run.results.filter((r) => r.outcome === 'abandoned' || r.outcome === 'answered');
  const windowEnd = run.t0 + seconds * 1000;
  const ramp = Math.min(5, seconds / 4);
  const lastEnd = Math.max(...run.results.map((r) => r.endedAt));
  const failures = new Map<string, number>();
  for (const r of run.results) if (r.failure) bump(failures, r.failure.replace(/CA[0-9a-f]{32}/g, 'CA…'));
  return {
    label: run.label,
    started: run.results.length,
    offeredRate: run.results.length / ((run.generatorEnd - run.t0) / 1000 + 1 / rate),
    completed: done.length,
    sustained:
      done.filter((r) => r.endedAt >= run.t0 + ramp * 1000 && r.endedAt <= windowEnd).length / (seconds - ramp),
    ramp,
    span: (lastEnd - run.t0) / 1000,
    drain: (lastEnd - run.generatorEnd) / 1000,
    busy: run.results.filter((r) => r.outcome === 'busy').length,
    failed: run.results.filter((r) => r.outcome === 'failed').length,
    failures,
    lag: quantiles(run.lags),
    behind: run.lags.filter((l) => l > interval).length,
    maxInProgress: run.maxInProgress,
    latency: new Map(KINDS.map((k) => [k, { ...quantiles(samples.get(k) ?? []), n: samples.get(k)?.length ?? 0 }])),
    non2xx,
    errorEvents,
    statusCallbacks,
    statusNon2xx,
  };
}

function report(f: RunFigures): void {
  out(
    `${f.label}: ${f.started} calls started at ${f.offeredRate.toFixed(1)}/s; start lag behind schedule p50 ${ms(f.lag.p50)} / ` +
      `p99 ${ms(f.lag.p99)} / max ${ms(f.lag.max)} ms, ${f.behind} starts more than one interval late; ` +
      `at most ${f.maxInProgress} calls in progress`,
  );
  out(
    `${f.label}: ${f.completed} completed as scripted (sustained ${f.sustained.toFixed(1)}/s from ` +
      `${f.ramp.toFixed(0)} s to the end of the ${SECONDS} s window; all by ${f.span.toFixed(1)} s = ${(f.completed / f.span).toFixed(1)}/s, ` +
      `drained ${f.drain.toFixed(1)} s after the last start); ${f.busy} refused busy (all channels in use), ${f.failed} failed`,
  );
  for (const [k, n] of f.failures) out(`${f.label}:   failed ${n}× at ${k}`);
  for (const k of KINDS) {
    const l = f.latency.get(k);
    if (!l || l.n === 0) continue;
    out(
      `${f.label}: ${k.padEnd(12)} p50 ${ms(l.p50)} / p95 ${ms(l.p95)} / p99 ${ms(l.p99)} / max ${ms(l.max)} ms over ${l.n} webhooks`,
    );
  }
  out(
    `${f.label}: webhooks not answered 2xx: ${f.non2xx.size === 0 ? 'none' : [...f.non2xx].map(([k, n]) => `${k} ×${n}`).join(', ')}; ` +
      `error events: ${f.errorEvents.size === 0 ? 'none' : [...f.errorEvents].map(([k, n]) => `${n}× ${k}`).join('; ')}; ` +
      `status callbacks ${f.statusCallbacks}, not 2xx: ${f.statusNon2xx.size === 0 ? 'none' : [...f.statusNon2xx].map(([k, n]) => `${k} ×${n}`).join(', ')}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The bare floor: fixed TwiML documents of the same shape, no engine, no database
// ---------------------------------------------------------------------------------------------

async function startBare(): Promise<{ url: string; close: () => Promise<void> }> {
  const text = 'Benvenuto. Per prenotare prema 1, per disdire 2, per disponibilità 3, per informazioni 4.';
  const docs = {
    voice: twiml.menu(text, { action: '/bare/step?seq=1', hints: ['prenotare', 'disdire', 'disponibilità'] }),
    step: twiml.enqueue('', 'cup', { waitUrl: '/bare/wait', action: '/bare/queue-result' }),
    wait: twiml.waitAnnouncement(
      'Lei è il numero 3 in attesa. Il tempo di attesa stimato è di 12 minuti.',
      { pauseSeconds: HOLD_SECONDS },
      { voice: 'Polly.Bianca-Neural' },
    ),
    'queue-result': twiml.hangUp(),
  };
  const app = express();
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  for (const [name, xml] of Object.entries(docs)) {
    app.post(`/bare/${name}`, (_req, res) => {
      res.status(200).type('text/xml').send(xml);
    });
  }
  app.post('/bare/status', (_req, res) => {
    res.status(204).end();
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ---------------------------------------------------------------------------------------------
// Operators (OPERATORS=n): accept through the service, complete the contact task after the call
// ---------------------------------------------------------------------------------------------

interface OperatorStats {
  accepted: number;
  gone: number;
  completedTasks: number;
  errors: Map<string, number>;
}

function startOperators(app: RunningApp, n: number): { stats: OperatorStats; stop: () => Promise<void> } {
  const voice = app.voice;
  if (!voice) throw new Error('the app runs no telephone');
  const stats: OperatorStats = { accepted: 0, gone: 0, completedTasks: 0, errors: new Map() };
  let stopping = false;
  const loop = async (name: string) => {
    await voice.service.acd.setPresence(name, 'disponibile', ['cup']);
    for (;;) {
      const me = await voice.service.acd.operator(name);
      if (me.offer) {
        try {
          await voice.service.accept(name, me.offer.callSid);
          stats.accepted++;
        } catch (err) {
          if (err instanceof OfferGoneError) stats.gone++;
          else bump(stats.errors, `accept: ${(err as Error).name}: ${(err as Error).message.slice(0, 160)}`);
        }
      } else if (me.presence === 'post-chiamata' && me.currentCall) {
        const tasks = await app.engine.tasks({ processInstanceBusinessKey: me.currentCall, assignee: name });
        for (const t of tasks) {
          await app.engine
            .completeTask(t.id, { callOutcome: 'resolved' })
            .then(() => stats.completedTasks++)
            .catch((err: Error) => bump(stats.errors, `complete: ${err.name}: ${err.message.slice(0, 160)}`));
        }
        // The wrap-up worker makes the operator available again.
        for (let i = 0; i < 100 && (await voice.service.acd.operator(name)).presence === 'post-chiamata'; i++) {
          await sleep(50);
        }
      } else if (stopping && me.presence !== 'in-conversazione') {
        await voice.service.acd.setPresence(name, 'assente', ['cup']).catch(() => undefined);
        return;
      }
      await sleep(50);
    }
  };
  const loops = Array.from({ length: n }, (_, i) =>
    loop(`bench.op${i + 1}`).catch((err: Error) => bump(stats.errors, `loop: ${err.message.slice(0, 160)}`)),
  );
  return {
    stats,
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Where requests wait: PostgreSQL sessions by state and wait event, the app's connection pool
// ---------------------------------------------------------------------------------------------

/**
 * Every 200 ms, from a connection of its own: the non-idle sessions of both databases (the
 * app's and the engine's) by state and wait event (`Lock:advisory`, `Lock:transactionid`,
 * `Client:ClientRead` = a transaction waiting for its client…), and the app pool's connections
 * in use and requests waiting for one. Mean and maximum per sample.
 */
async function startSampler(databaseUrl: string, db: DataSource) {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'bench-sampler' });
  await client.connect();
  const pool = (
    db.driver as unknown as {
      master?: { totalCount: number; idleCount: number; waitingCount: number; options?: { max?: number } };
    }
  ).master;
  const stats = new Map<string, { sum: number; max: number }>();
  let samples = 0;
  let stopped = false;
  const add = (k: string, v: number) => {
    const s = stats.get(k) ?? { sum: 0, max: 0 };
    s.sum += v;
    s.max = Math.max(s.max, v);
    stats.set(k, s);
  };
  const loop = (async () => {
    while (!stopped) {
      const r = await client.query<{ datname: string; state: string; w: string; c: number }>(
        `SELECT datname, state, coalesce(wait_event_type || ':' || wait_event, 'running') AS w, count(*)::int AS c
           FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'
          GROUP BY 1, 2, 3`,
      );
      samples++;
      for (const row of r.rows) add(`${row.datname}: ${row.state}, ${row.w}`, row.c);
      if (pool) {
        add('app pool: connections in use', pool.totalCount - pool.idleCount);
        add('app pool: requests waiting for a connection', pool.waitingCount);
      }
      await sleep(200);
    }
  })();
  return {
    poolSize: pool?.options?.max,
    async stop(): Promise<{ what: string; mean: number; max: number }[]> {
      stopped = true;
      await loop;
      await client.end();
      return [...stats]
        .map(([what, s]) => ({ what, mean: s.sum / Math.max(1, samples), max: s.max }))
        .sort((a, b) => b.mean - a.mean);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Correctness: the contact records, the queue entries and the engine after the run
// ---------------------------------------------------------------------------------------------

interface Check {
  calls: number;
  records: number;
  lost: number;
  wrong: number;
  wrongExamples: string[];
  outcomes: Map<string, number>;
  /** Records with answered_at whose caller never reached the operator (hung up, or was never taken out of the queue). */
  answeredNotBridged: number;
  entriesNotWithdrawn: number;
  instancesRunning: number;
  settledAfter: number;
}

/**
 * Every call must have one contact record with its arrival, IVR, queue and end; one that no
 * operator answered is abandoned (its queue entry withdrawn), one answered carries the
 * operator's outcome (`resolved`, from the bench's operators). No instance may be left running.
 */
async function check(app: RunningApp, results: CallResult[]): Promise<Check> {
  const sids = results.map((r) => r.sid).filter((s): s is string => !!s);
  const bridged = new Set(results.filter((r) => r.outcome === 'answered').map((r) => r.sid));
  const busy = new Set(results.filter((r) => r.outcome === 'busy').map((r) => r.sid));
  const t0 = performance.now();
  type Row = {
    call_sid: string;
    arrived_at: Date | null;
    ivr_entered_at: Date | null;
    offered_at: Date | null;
    ended_at: Date | null;
    answered_at: Date | null;
    abandoned_at: Date | null;
    outcome: string | null;
    entry_state: string | null;
  };
  let rows: Row[] = [];
  let running = NaN;
  const problems = (r: Row): string | undefined => {
    if (busy.has(r.call_sid)) {
      // Refused before the IVR: no menu, no queue, the outcome busy.
      return r.arrived_at && r.ended_at && r.outcome === 'busy' && !r.ivr_entered_at && !r.offered_at
        ? undefined
        : `refused busy: outcome ${r.outcome}, ended_at ${String(r.ended_at)}`;
    }
    const missing = (['arrived_at', 'ivr_entered_at', 'offered_at', 'ended_at'] as const).filter((k) => !r[k]);
    if (missing.length) return `${missing.join(', ')} empty`;
    if (r.answered_at) {
      if (r.outcome !== 'resolved') return `answered, outcome ${r.outcome}, queue entry ${r.entry_state}`;
    } else if (r.outcome !== 'abandoned' || !r.abandoned_at || r.entry_state !== 'abandoned') {
      return `not answered: outcome ${r.outcome}, abandoned_at ${String(r.abandoned_at)}, queue entry ${r.entry_state}`;
    }
    return undefined;
  };
  // The records are written before each webhook is answered and the instances end with the
  // status callback; a few seconds for what may still be in flight (operators' wrap-up).
  for (;;) {
    rows = await app.db.query(
      `SELECT r.call_sid, r.arrived_at, r.ivr_entered_at, r.offered_at, r.ended_at, r.answered_at, r.abandoned_at,
              r.outcome, e.state AS entry_state
         FROM call_records r LEFT JOIN voice_queue_entries e ON e.call_sid = r.call_sid
        WHERE r.call_sid = ANY ($1)`,
      [sids],
    );
    const c = await app.engine.request<{ count: number }>('GET', '/process-instance/count', {
      query: { processDefinitionKey: 'inbound-call' },
    });
    running = c.count;
    const settled = rows.length === sids.length && rows.every((r) => !problems(r)) && running === 0;
    if (settled || performance.now() - t0 > 15_000) break;
    await sleep(250);
  }
  const bySid = new Map<string, number>();
  for (const r of rows) bySid.set(r.call_sid, (bySid.get(r.call_sid) ?? 0) + 1);
  const wrong = rows.filter((r) => problems(r));
  const wrongExamples: string[] = [];
  for (const r of wrong.slice(0, 5)) {
    const events: { type: string }[] = await app.db.query(
      `SELECT type FROM call_events WHERE call_sid = $1 ORDER BY id`,
      [r.call_sid],
    );
    wrongExamples.push(
      `${r.call_sid}: ${problems(r)}; ${bridged.has(r.call_sid) ? 'bridged' : 'never bridged'}; ` +
        `events ${events.map((e) => e.type).join(' ')}`,
    );
  }
  const outcomes = new Map<string, number>();
  for (const r of rows) bump(outcomes, r.outcome ?? 'null');
  return {
    calls: results.length,
    records: rows.length,
    lost: results.length - new Set(rows.map((r) => r.call_sid)).size,
    wrong: wrong.length + [...bySid.values()].filter((n) => n > 1).length,
    wrongExamples,
    outcomes,
    answeredNotBridged: rows.filter((r) => r.answered_at && !bridged.has(r.call_sid)).length,
    entriesNotWithdrawn: rows.filter((r) => !busy.has(r.call_sid) && !r.answered_at && r.entry_state !== 'abandoned')
      .length,
    instancesRunning: running,
    settledAfter: (performance.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  out(machineLine());
  const tmp = await bench.tempDir('cc-bench-voice-');
  const [port, pgPort, enginePort] = (await freePorts(3)) as [number, number, number];
  const passThrough = Object.fromEntries(
    ['JAVA_HOME', 'ENGINE_HEAP_MB', 'WORKER_MAX_JOBS'].filter((k) => process.env[k]).map((k) => [k, process.env[k]]),
  );
  const config = loadConfig({
    ...passThrough,
    DATA_DIR: tmp,
    PORT: String(port),
    EMBEDDED_PG_PORT: String(pgPort),
    ENGINE_PORT: String(enginePort),
    LOCAL_SMTP_PORT: '0',
    LOG_LEVEL: 'silent',
    DEMO_DATA: 'false',
    DEMO_USERS: 'false',
    VOICE_PROVIDER: 'local',
    VOICE_HOLD_SECONDS: String(HOLD_SECONDS),
    // A waiting caller is never offered a call-back: its <Gather> would stop the waitUrl loop.
    VOICE_CALLBACK_OFFER_SECONDS: '100000',
  });
  // Output stays silent; the app's warnings and errors are counted and printed at the end.
  const logged = new Map<string, number>();
  const log = createLogger('warn', {
    write(line: string) {
      try {
        const o = JSON.parse(line) as {
          level?: string;
          msg?: string;
          err?: { name?: string; message?: string };
          path?: string;
        };
        const what = `${o.level}: ${o.msg}${o.path ? ` (${o.path})` : ''}${o.err ? ` — ${o.err.name}${o.err.message ? `: ${o.err.message}` : ''}` : ''}`;
        bump(logged, what.replace(/CA[0-9a-f]{32}/g, 'CA…').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…'));
      } catch {
        bump(logged, line.slice(0, 200));
      }
    },
  });
  const offset = TUESDAY_10 - Date.now();
  const java = await findJava(config.JAVA_HOME);
  const tApp = performance.now();
  const app = await startApp(config, { log, now: () => new Date(Date.now() + offset), voiceTimeScale: TIME_SCALE });
  cleanup.push({ what: 'app (API, workers, engine, PostgreSQL, call simulator)', run: () => app.stop() });
  const sim = app.voice?.simulator;
  if (!sim) throw new Error('the local call simulator did not start');
  const version: { v: string }[] = await app.db.query(`SELECT current_setting('server_version') AS v`);
  const engineVersion = await app.engine.request<{ version: string }>('GET', '/version');
  out(
    `app started on the embedded default in ${((performance.now() - tApp) / 1000).toFixed(1)} s: Node.js ` +
      `${process.version}, PostgreSQL ${version[0]?.v}, Operaton ${engineVersion.version} on Java ${java.version} ` +
      `(heap ${config.ENGINE_HEAP_MB} MiB); the app's clock at Tuesday 10:00 in Rome`,
  );
  const postmasterPid = Number(readFileSync(path.join(tmp, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

  const bare = BARE === 'off' ? undefined : await startBare();
  if (bare) cleanup.push({ what: 'bare TwiML server', run: () => bare.close() });
  const bareSim = bare
    ? createVoiceSimulator({
        accountSid: `AC${randomBytes(16).toString('hex')}`,
        authToken: randomBytes(16).toString('hex'),
        voiceUrl: `${bare.url}/bare/voice`,
        statusCallbackUrl: `${bare.url}/bare/status`,
        timeScale: TIME_SCALE,
      })
    : undefined;
  if (bareSim) cleanup.push({ what: 'bare simulator', run: () => bareSim.close() });

  const operators = OPERATORS > 0 ? startOperators(app, OPERATORS) : undefined;
  if (operators) cleanup.push({ what: 'operators', run: () => operators.stop() });
  out(
    `script: ${RATE} new calls/s for ${SECONDS} s to the CUP line, key 1–4 (seed ${SEED}), 2–3 waitUrl polls ` +
      `${(HOLD_SECONDS * TIME_SCALE * 1000).toFixed(0)} ms apart, then the caller hangs up; ` +
      `${OPERATORS > 0 ? `${OPERATORS} operators accept offers (talk ${TALK_MS} ms, outcome resolved)` : 'no operator available'}; ` +
      `bare floor: ${BARE}`,
  );

  const rnd = prng(SEED);
  const rndBare = prng(SEED);
  if (WARMUP > 0) {
    const warm = await Promise.all([
      openLoop('warm-up', sim, Math.min(RATE, 5), WARMUP, rnd, 0),
      ...(bareSim ? [openLoop('bare warm-up', bareSim, Math.min(RATE, 5), WARMUP, rndBare, 0)] : []),
    ]);
    const failed = warm.flatMap((w) => w.results.filter((r) => r.outcome === 'failed'));
    out(
      `warm-up: ${WARMUP} calls${bareSim ? ' (and as many bare)' : ''} at ${Math.min(RATE, 5)}/s, not timed; ` +
        `${failed.length} failed${failed[0] ? ` (first: ${failed[0].failure})` : ''}`,
    );
  }

  const count = Math.round(RATE * SECONDS);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  const cpu0 = cpuSeconds(app.engineInfo.pid, postmasterPid);
  const load0 = os.loadavg()[0] ?? 0;
  const sampler = await startSampler(app.databaseUrl, app.db);
  loop.enable();
  const tRun = performance.now();
  const runs = await Promise.all([
    openLoop('platform', sim, RATE, count, rnd, WARMUP),
    ...(bareSim && BARE === 'with' ? [openLoop('bare (same time)', bareSim, RATE, count, rndBare, WARMUP)] : []),
  ]);
  const runSeconds = (performance.now() - tRun) / 1000;
  loop.disable();
  const waits = await sampler.stop();
  const cpu1 = cpuSeconds(app.engineInfo.pid, postmasterPid);
  const load1 = os.loadavg()[0] ?? 0;
  const platformRun = runs[0];
  if (!platformRun) throw new Error('no run');
  const plat = figures(platformRun, SECONDS, RATE);
  report(plat);
  const share = (a: number, b: number) => `${(((b - a) / runSeconds) * 100).toFixed(0)}%`;
  out(
    `CPU over the ${runSeconds.toFixed(1)} s of the run (of one core): this process (app + simulator${BARE === 'with' ? 's + bare server' : ''}) ` +
      `${share(cpu0.node, cpu1.node)}, engine ${share(cpu0.engine, cpu1.engine)}, PostgreSQL ${share(cpu0.postgres, cpu1.postgres)}; ` +
      `event-loop delay p50 ${ms(loop.percentile(50) / 1e6)} / p99 ${ms(loop.percentile(99) / 1e6)} / max ${ms(loop.max / 1e6)} ms; ` +
      `1-min load ${load0.toFixed(2)} → ${load1.toFixed(2)}`,
  );
  out('where requests waited during the run (mean / max per 200 ms sample):');
  for (const w of waits.filter((x) => x.max > 0).slice(0, 12)) out(`  ${w.what}: ${w.mean.toFixed(1)} / ${w.max}`);
  const cpuNote = {
    node: (cpu1.node - cpu0.node) / runSeconds,
    engine: (cpu1.engine - cpu0.engine) / runSeconds,
    postgres: (cpu1.postgres - cpu0.postgres) / runSeconds,
    loopP99: loop.percentile(99) / 1e6,
  };

  let bareFig: RunFigures | undefined;
  if (runs[1]) {
    bareFig = figures(runs[1], SECONDS, RATE);
    report(bareFig);
  }

  if (operators) await operators.stop();
  const ch = await check(app, [...platformRun.results]);
  out(
    `check (measured calls): ${ch.calls} calls, ${ch.records} contact records, ${ch.lost} calls without one, ` +
      `${ch.wrong} wrong; outcomes ${[...ch.outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
      `queue entries not withdrawn ${ch.entriesNotWithdrawn}; answered in the record but never bridged ` +
      `${ch.answeredNotBridged}; inbound-call instances still running ${ch.instancesRunning}; ` +
      `settled ${ch.settledAfter.toFixed(1)} s after the last call ended`,
  );
  for (const w of ch.wrongExamples) out(`check:   ${w}`);
  if (operators) {
    const s = operators.stats;
    out(
      `operators: ${s.accepted} accepted, ${s.gone} offers gone before the accept, ${s.completedTasks} contact tasks completed; ` +
        `errors: ${s.errors.size === 0 ? 'none' : [...s.errors].map(([k, n]) => `${n}× ${k}`).join('; ')}`,
    );
  }

  if (bareSim && BARE === 'after') {
    const after = await openLoop('bare (after)', bareSim, RATE, count, rndBare, WARMUP);
    bareFig = figures(after, SECONDS, RATE);
    report(bareFig);
  }

  out(`app warnings and errors logged: ${logged.size === 0 ? 'none' : ''}`);
  for (const [k, n] of logged) out(`  ${n}× ${k}`);
  out(`load average at end ${loadAverage()}`);

  const lat = (f: RunFigures | undefined, k: Kind) => {
    const l = f?.latency.get(k);
    return l && l.n > 0 ? `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} / ${ms(l.max)} ms (${l.n})` : '—';
  };
  const errors = (f: RunFigures | undefined) =>
    f
      ? String(
          [...f.non2xx.values()].reduce((a, b) => a + b, 0) +
            [...f.errorEvents.values()].reduce((a, b) => a + b, 0) +
            [...f.statusNon2xx.values()].reduce((a, b) => a + b, 0),
        )
      : '—';
  const table: [string, string, string][] = [
    [
      'calls started (open loop) / start lag p99 / starts > 1 interval late',
      `${plat.started} at ${plat.offeredRate.toFixed(1)}/s / ${ms(plat.lag.p99)} ms / ${plat.behind}`,
      bareFig ? `${bareFig.started} / ${ms(bareFig.lag.p99)} ms / ${bareFig.behind}` : '—',
    ],
    [
      `calls completed as scripted, sustained (${plat.ramp.toFixed(0)}–${SECONDS} s)`,
      `${plat.sustained.toFixed(1)} calls/s`,
      bareFig ? `${bareFig.sustained.toFixed(1)} calls/s` : '—',
    ],
    [
      'all calls ended after / refused busy (channels full) / failed',
      `${plat.span.toFixed(1)} s / ${plat.busy} / ${plat.failed}`,
      bareFig ? `${bareFig.span.toFixed(1)} s / ${bareFig.busy} / ${bareFig.failed}` : '—',
    ],
    ['most calls in progress at once', String(plat.maxInProgress), bareFig ? String(bareFig.maxInProgress) : '—'],
    ['start (instance started, menu answered), p50 / p95 / p99 / max', lat(plat, 'start'), lat(bareFig, 'start')],
    ['step (key correlated, enqueue answered)', lat(plat, 'step'), lat(bareFig, 'step')],
    ['wait (waitUrl: position and estimated wait)', lat(plat, 'wait'), lat(bareFig, 'wait')],
    ['queue-result (after the hang-up)', lat(plat, 'queue-result'), lat(bareFig, 'queue-result')],
    ['webhook errors (non-2xx, `error` events, status callbacks non-2xx)', errors(plat), errors(bareFig)],
    [
      'contact records: calls without one / wrong / outcomes',
      `${ch.lost} / ${ch.wrong} / ${[...ch.outcomes].map(([k, n]) => `${k} ${n}`).join(', ')} (of ${ch.calls})`,
      'n/a',
    ],
    [
      'instances left running / queue entries not withdrawn',
      `${ch.instancesRunning} / ${ch.entriesNotWithdrawn}`,
      'n/a',
    ],
    [
      `app pool (${sampler.poolSize ?? '?'} connections): requests waiting for a connection / sessions waiting on the line lock, mean / max`,
      [
        waits.find((w) => w.what === 'app pool: requests waiting for a connection'),
        waits.find((w) => /active, Lock:advisory$/.test(w.what)),
      ]
        .map((w) => (w ? `${w.mean.toFixed(1)} / ${w.max}` : '0 / 0'))
        .join(' · '),
      'n/a',
    ],
    [
      'CPU during the run: this process / engine / PostgreSQL (of one core)',
      `${(cpuNote.node * 100).toFixed(0)}% / ${(cpuNote.engine * 100).toFixed(0)}% / ${(cpuNote.postgres * 100).toFixed(0)}%`,
      'n/a',
    ],
  ];
  out(`\n| measure (RATE=${RATE}, SECONDS=${SECONDS}) | platform | bare floor (${BARE}) |\n| --- | --- | --- |`);
  for (const [k, a, b] of table) out(`| ${k} | ${a} | ${b} |`);
}

bench.main(main);
