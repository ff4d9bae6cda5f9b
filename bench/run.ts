/**
 * Platform benchmark: cold and warm start of the embedded default, idle memory of broker,
 * app and PostgreSQL, and end-to-end booking flows per second (operator step automated)
 * next to a one-task process on the same broker in the same run.
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
import { createZeebeClient } from '../platform/engine/client.js';
import { freePorts } from '../test/support/ports.js';
import { sessionClient } from '../test/support/session-client.js';
import { BENCH_PASSWORD, startPlatform, stopPlatform } from './platform.js';

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

/** RSS of every PostgreSQL process whose data folder is `dataDir`. */
function postgresRssMb(postmasterPid: number): number {
  let total = rssMb(postmasterPid);
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmasterPid) total += rssMb(Number(entry));
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
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="bench" targetNamespace="bench">
  <bpmn:process id="bench-one-task" isExecutable="true">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:serviceTask id="t"><bpmn:extensionElements><zeebe:taskDefinition type="bench-noop" /></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;

/** ONE_TASK instances of a start → service task → end process, CONCURRENCY at a time, awaited. */
async function oneTaskFlows(grpcAddress: string): Promise<number> {
  const zeebe = createZeebeClient({ grpcAddress });
  await zeebe.deployResource({ process: Buffer.from(ONE_TASK_BPMN), name: 'bench-one-task.bpmn' });
  const worker = zeebe.createWorker({
    taskType: 'bench-noop',
    maxJobsToActivate: 64,
    taskHandler: (job) => job.complete({ done: true }),
    loglevel: 'ERROR',
  });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ONE_TASK) {
        next++;
        await zeebe.createProcessInstanceWithResult({
          bpmnProcessId: 'bench-one-task',
          variables: {},
          requestTimeout: 30_000,
        });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await zeebe.close();
  return ONE_TASK / seconds;
}

async function main(): Promise<void> {
  out('building…');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-bench-'));
  await chmod(dataDir, 0o755);
  const ports = await freePorts(7);
  try {
    const cold = await startPlatform(dataDir, ports);
    out(`cold start (fresh data folder, distribution cached): ${(cold.readyMs / 1000).toFixed(1)} s`);
    await stopPlatform(cold);

    const warm = await startPlatform(dataDir, ports);
    out(`warm start: ${(warm.readyMs / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, 15_000));
    const brokerPid = Number(readFileSync(path.join(dataDir, 'zeebe', 'broker.pid'), 'utf8'));
    const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const idle = { app: rssMb(warm.child.pid ?? 0), broker: rssMb(brokerPid), postgres: postgresRssMb(pgPid) };
    out(`idle RSS after 15 s: app ${idle.app} MiB, broker ${idle.broker} MiB, PostgreSQL ${idle.postgres} MiB`);

    const flows = await bookingFlows(warm.base);
    const bookingRate = BOOKINGS / flows.seconds;
    out(
      `booking flows: ${BOOKINGS} in ${flows.seconds.toFixed(1)} s = ${bookingRate.toFixed(1)}/s ` +
        `(${CONCURRENCY} in flight, ${flows.slotTaken} slot collisions re-proposed)`,
    );
    const oneTaskRate = await oneTaskFlows(`127.0.0.1:${ports[2]}`);
    out(
      `one-task process: ${ONE_TASK} instances = ${oneTaskRate.toFixed(1)}/s (${CONCURRENCY} in flight, awaited with result)`,
    );
    const busy = { app: rssMb(warm.child.pid ?? 0), broker: rssMb(brokerPid) };
    const stopMs = await stopPlatform(warm);
    out(
      `stop on SIGINT: ${(stopMs / 1000).toFixed(1)} s; RSS after the load: app ${busy.app} MiB, broker ${busy.broker} MiB`,
    );
    out(`processes left: broker ${existsSync(`/proc/${brokerPid}`)}, PostgreSQL ${existsSync(`/proc/${pgPid}`)}`);

    out('\n| measure | value |\n|---|---|');
    out(`| cold start to /readyz (distribution cached, empty data folder) | ${(cold.readyMs / 1000).toFixed(1)} s |`);
    out(`| warm start to /readyz | ${(warm.readyMs / 1000).toFixed(1)} s |`);
    out(`| idle RSS: app / broker / PostgreSQL | ${idle.app} / ${idle.broker} / ${idle.postgres} MiB |`);
    out(
      `| booking flows end to end (operator automated), ${CONCURRENCY} in flight | ${bookingRate.toFixed(1)} flows/s |`,
    );
    out(`| one-task process, same broker, ${CONCURRENCY} in flight | ${oneTaskRate.toFixed(1)} instances/s |`);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

void main();
