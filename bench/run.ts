/**
 * Platform benchmark: cold and warm start of the embedded default, idle memory of engine,
 * app and PostgreSQL, end-to-end booking flows per second (operator step automated) next to
 * a one-external-task process on the same engine in the same run, and the latency from a
 * process start to its external task reaching a worker (long polling).
 *
 *   npm run bench                 # defaults: 200 bookings, 1000 one-task instances, 16 in flight
 *   BOOKINGS=400 ONE_TASK=2000 CONCURRENCY=32 npm run bench
 *
 * Prints a markdown table; docs/benchmarks.md records the figures.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../app.js';
import { EngineClient, type LockedExternalTask } from '../platform/engine/operaton.js';
import { freePorts } from '../test/support/ports.js';
import { sessionClient } from '../test/support/session-client.js';
import { BENCH_PASSWORD, quantiles, startPlatform, stopPlatform } from './platform.js';

const BOOKINGS = Number(process.env.BOOKINGS ?? 200);
const ONE_TASK = Number(process.env.ONE_TASK ?? 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 16);
const sessions = new Map<string, Promise<ReturnType<typeof sessionClient>>>();
function sessionFor(base: string) {
  let s = sessions.get(base);
  if (!s) {
    s = (async () => {
      const client = sessionClient(base);
      const res = await client.signIn('supervisore', BENCH_PASSWORD);
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
      return client;
    })();
    sessions.set(base, s);
  }
  return s;
}

const out = (s: string) => process.stdout.write(`${s}\n`);

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/**
 * Proportional set size: shared pages (PostgreSQL's shared buffers, touched by every backend)
 * counted once over the processes that share them, not once per process as RSS does.
 */
function pssMb(pid: number): number {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return Math.round(Number(/Pss:\s+(\d+)/.exec(rollup)?.[1] ?? 0) / 1024);
}

/** PSS of the postmaster and its children (backends of the app and of the engine). */
function postgresPssMb(postmasterPid: number): number {
  let total = pssMb(postmasterPid);
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmasterPid) total += pssMb(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

async function api<T>(base: string, method: string, p: string, body?: unknown): Promise<T> {
  const client = await sessionFor(base);
  const res = method === 'GET' ? await client.get<T>(p) : await client.post<T>(p, body);
  if (res.status >= 300 && res.status !== 409)
    throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const SERVICES = ['89.7A.3', '95.02', '89.7A.7', '89.52', '88.74.1'];
const PATIENTS = ['pat-0001', 'pat-0002', 'pat-0003', 'pat-0004', 'pat-0005', 'pat-0006', 'pat-0007'];

/** Starts BOOKINGS booking flows, CONCURRENCY at a time, with a bot as the operator. */
async function bookingFlows(base: string): Promise<{ seconds: number; slotTaken: number }> {
  const before = (await api<{ items: unknown[] }>(base, 'GET', '/api/sms/messages?limit=500')).items.length;
  const used = new Set<string>();
  let started = 0;
  let slotTaken = 0;
  let done = 0;
  const t0 = performance.now();
  const inFlight = new Set<string>();

  const operator = async () => {
    while (done < BOOKINGS) {
      const tasks = await api<{ items: { key: string; processInstanceKey: string }[] }>(
        base,
        'GET',
        '/api/tasks?process=cup-booking&limit=100',
      );
      await Promise.all(
        tasks.items.map(async (t) => {
          const detail = await api<{ variables: { slotOptions: { value: string }[] } }>(
            base,
            'GET',
            `/api/tasks/${t.key}`,
          );
          const options = detail.variables.slotOptions;
          const pick = options.find((o) => !used.has(o.value)) ?? options[0];
          if (!pick) return;
          if (used.has(pick.value)) slotTaken++;
          used.add(pick.value);
          await api(base, 'POST', `/api/tasks/${t.key}/claim`);
          await api(base, 'POST', `/api/tasks/${t.key}/complete`, { variables: { slotId: pick.value } });
        }),
      );
      if (tasks.items.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
  };
  const starter = async () => {
    while (started < BOOKINGS) {
      while (inFlight.size >= CONCURRENCY) await new Promise((r) => setTimeout(r, 5));
      const i = started++;
      const b = await api<{ processInstanceKey: string }>(base, 'POST', '/api/cup/bookings', {
        prescriptionNre: `170BN${String(1_000_000_000 + i).slice(-10)}`,
        serviceCode: SERVICES[i % SERVICES.length],
        patientId: PATIENTS[i % PATIENTS.length],
      });
      inFlight.add(b.processInstanceKey);
    }
  };
  const watcher = async () => {
    while (done < BOOKINGS) {
      const sms = await api<{ items: { reference: string }[] }>(base, 'GET', '/api/sms/messages?limit=500');
      done = sms.items.length - before;
      // Flows whose SMS is out are no longer in flight.
      const finished = done - (started - inFlight.size);
      for (let k = 0; k < finished; k++) inFlight.delete([...inFlight][0] ?? '');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await Promise.all([starter(), operator(), watcher()]);
  return { seconds: (performance.now() - t0) / 1000, slotTaken };
}

const ONE_TASK_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="bench" targetNamespace="bench">
  <bpmn:process id="bench-one-task" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:serviceTask id="t" camunda:type="external" camunda:topic="bench-noop" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;

/**
 * ONE_TASK instances of start → external task → end, CONCURRENCY in flight: completing the
 * task ends the instance. Two long-polling fetch loops act as the worker. Also gives the
 * latency from the start request to the task's arrival at the worker.
 */
async function oneTaskFlows(engine: EngineClient): Promise<{ rate: number; p50: number; p99: number }> {
  await engine.deploy({
    name: 'bench-one-task.bpmn',
    source: 'bench',
    resources: [{ name: 'bench-one-task.bpmn', content: ONE_TASK_BPMN }],
  });
  const startedAt = new Map<string, number>();
  const latencies: number[] = [];
  let completed = 0;
  let next = 0;
  const stop = new AbortController();
  const worker = async () => {
    while (completed < ONE_TASK) {
      let tasks: LockedExternalTask[] = [];
      try {
        tasks = await engine.fetchAndLock(
          {
            workerId: 'bench',
            maxTasks: 32,
            asyncResponseTimeout: 5000,
            topics: [{ topicName: 'bench-noop', lockDuration: 30_000 }],
          },
          { node: 0, signal: stop.signal },
        );
      } catch {
        if (stop.signal.aborted) return;
      }
      const now = performance.now();
      await Promise.all(
        tasks.map(async (t) => {
          const t0 = startedAt.get(t.businessKey ?? '');
          if (t0 !== undefined) latencies.push(now - t0);
          await engine.completeExternalTask(t.id, 'bench', { done: true });
          completed++;
        }),
      );
    }
  };
  const t0 = performance.now();
  const workers = [worker(), worker()];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ONE_TASK) {
        const i = next++;
        const key = `bench-${i}`;
        startedAt.set(key, performance.now());
        await engine.startProcess('bench-one-task', { businessKey: key, variables: {} });
        while (next - completed >= CONCURRENCY && completed < ONE_TASK) await new Promise((r) => setTimeout(r, 1));
      }
    }),
  );
  while (completed < ONE_TASK) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  stop.abort();
  await Promise.allSettled(workers);
  const q = quantiles(latencies);
  return { rate: ONE_TASK / seconds, p50: q.p50, p99: q.p99 };
}

async function main(): Promise<void> {
  out('building…');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-bench-'));
  await chmod(dataDir, 0o755);
  const ports = await freePorts(3);
  try {
    const cold = await startPlatform(dataDir, ports);
    out(`cold start (fresh data folder, engine jar built): ${(cold.readyMs / 1000).toFixed(1)} s`);
    await stopPlatform(cold);

    const warm = await startPlatform(dataDir, ports);
    out(`warm start: ${(warm.readyMs / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 15_000));
    const enginePid = Number(readFileSync(path.join(dataDir, 'engine', 'engine.pid'), 'utf8'));
    const creds = JSON.parse(readFileSync(path.join(dataDir, 'engine', 'credentials.json'), 'utf8')) as {
      user: string;
      password: string;
    };
    const engine = new EngineClient({ urls: [`http://127.0.0.1:${ports[2]}/engine-rest`], ...creds });
    const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const idle = { app: rssMb(warm.child.pid ?? 0), engine: rssMb(enginePid), postgres: postgresPssMb(pgPid) };
    out(`idle after 15 s: RSS app ${idle.app} MiB, engine ${idle.engine} MiB; PSS PostgreSQL ${idle.postgres} MiB`);

    const flows = await bookingFlows(warm.base);
    const bookingRate = BOOKINGS / flows.seconds;
    out(
      `booking flows: ${BOOKINGS} in ${flows.seconds.toFixed(1)} s = ${bookingRate.toFixed(1)}/s ` +
        `(${CONCURRENCY} in flight, ${flows.slotTaken} slot collisions re-proposed)`,
    );
    const oneTask = await oneTaskFlows(engine);
    const oneTaskRate = oneTask.rate;
    out(
      `one-task process: ${ONE_TASK} instances = ${oneTaskRate.toFixed(1)}/s (${CONCURRENCY} in flight); ` +
        `start to worker p50 ${oneTask.p50.toFixed(0)} ms, p99 ${oneTask.p99.toFixed(0)} ms`,
    );
    const busy = { app: rssMb(warm.child.pid ?? 0), engine: rssMb(enginePid) };
    const stopMs = await stopPlatform(warm);
    out(
      `stop on SIGINT: ${(stopMs / 1000).toFixed(1)} s; RSS after the load: app ${busy.app} MiB, engine ${busy.engine} MiB`,
    );
    out(`processes left: engine ${existsSync(`/proc/${enginePid}`)}, PostgreSQL ${existsSync(`/proc/${pgPid}`)}`);

    out('\n| measure | value |\n|---|---|');
    out(`| cold start to /readyz (engine jar built, empty data folder) | ${(cold.readyMs / 1000).toFixed(1)} s |`);
    out(`| warm start to /readyz | ${(warm.readyMs / 1000).toFixed(1)} s |`);
    out(
      `| idle memory: app RSS / engine RSS / PostgreSQL PSS (all its processes) | ${idle.app} / ${idle.engine} / ${idle.postgres} MiB |`,
    );
    out(
      `| booking flows end to end (operator automated), ${CONCURRENCY} in flight | ${bookingRate.toFixed(1)} flows/s |`,
    );
    out(`| one-task process, same engine, ${CONCURRENCY} in flight | ${oneTaskRate.toFixed(1)} instances/s |`);
    out(
      `| process start to external task at the worker (long polling), p50 / p99 | ${oneTask.p50.toFixed(0)} / ${oneTask.p99.toFixed(0)} ms |`,
    );
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

void main();
