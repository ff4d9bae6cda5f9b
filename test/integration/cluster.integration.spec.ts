import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT, type RunningApp } from '../../app.js';
import { ensureDatabase } from '../../platform/database/ensure-database.js';
import { findJava } from '../../platform/engine/java.js';
import { buildEngine, jdbcFromUrl, LocalEngine } from '../../platform/engine/local-engine.js';
import { freePorts } from '../support/ports.js';
import { timerProbeBpmn } from '../support/timer-probe.js';
import { expectBookedOnce, openTaskOf, slotOptions, startBooking } from './support/booking.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';

/** A timer of 3 s, then an external task nobody works: its count says how often the timer fired. */
const TIMER_PROBE = timerProbeBpmn('cluster-timer-probe', 'cluster-timer-probe', 'PT3S');

/**
 * P4: two Operaton nodes on one database of their own (the engine's clustering: stateless
 * nodes, job executors acquiring with optimistic locking) and an app of its own (its own
 * database) given both nodes. A node killed with SIGKILL while bookings run: every booking
 * completes on the other node, each effect once; the node restarts and serves again.
 */
describe('a cluster of two engine nodes (P4)', () => {
  let root: string;
  let nodes: LocalEngine[] = [];
  let app: RunningApp | undefined;
  let operator: ApiClient;
  const used = new Set<string>();
  /** Demo patients with a mobile: each booking is confirmed by one SMS. */
  let patients: string[] = [];
  let booked = 0;
  const patient = () => patients[booked++ % patients.length] ?? 'pat-0001';

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'cc-cluster-'));
    await chmod(root, 0o755);
    const java = await findJava(process.env.JAVA_HOME);
    const jar = await buildEngine(path.join(PROJECT_ROOT, 'engine'), java, () => undefined);
    const databaseUrl = inject('databaseUrl');
    const jdbc = jdbcFromUrl(await ensureDatabase(databaseUrl, 'operaton_cluster_test'));
    const ports = await freePorts(2);
    nodes = ports.map(
      (port, i) =>
        new LocalEngine({
          jar,
          java,
          dataDir: path.join(root, `node-${i + 1}`),
          port,
          jdbc,
          credentials: { user: inject('engineUser'), password: inject('enginePassword') },
          heapMb: 384,
          log: () => undefined,
        }),
    );
    // As `ENGINE_NODES` does: the first node creates the schema, the second starts on it.
    await nodes[0]?.start();
    await nodes[1]?.start();
    app = await startTestApp({
      DATABASE_URL: await ensureDatabase(databaseUrl, 'contact_center_cluster_test'),
      ENGINE_URL: nodes.map((n) => n.url).join(','),
    });
    operator = apiAs(app, 'operatore.cluster', ['operator']);
    const rows: { id: string }[] = await app.db.query(
      `SELECT id FROM cup_patients WHERE mobile IS NOT NULL ORDER BY id LIMIT 10`,
    );
    patients = rows.map((r) => r.id);
    expect(patients.length).toBeGreaterThan(0);
  }, 300_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A booking up to its slot chosen: the workers go on to book it and confirm it by SMS. */
  const chooseSlot = async (): Promise<{ pi: string; slotId: string }> => {
    const started = await startBooking(operator, { patientId: patient() });
    const task = await openTaskOf(operator, started.processInstanceKey);
    expect((await operator.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    const slotId = slotOptions(task).find((o) => !used.has(o.value))?.value ?? '';
    used.add(slotId);
    const done = await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    return { pi: started.processInstanceKey, slotId };
  };

  /** Completed, one appointment, one confirmation SMS, no incident. */
  const exactlyOnce = async (b: { pi: string; slotId: string }) => {
    const running = app as RunningApp;
    await expectBookedOnce(running, b, 90_000);
    await waitFor(
      async () => (await running.engine.historicProcessInstance(b.pi))?.state === 'COMPLETED' || undefined,
      `booking ${b.pi} completed`,
      60_000,
    );
  };

  it('serves from both nodes: each sees the deployment of the other, and a booking completes', async () => {
    const running = app as RunningApp;
    expect(running.engineInfo.urls).toHaveLength(2);
    for (const node of [0, 1]) {
      // Each node sees the deployment and the instances of the other (one database).
      const count = await running.engine.request<{ count: number }>('GET', '/process-definition/count', {
        node,
        query: { key: 'cup-booking' },
      });
      expect(count.count).toBeGreaterThan(0);
    }
    await exactlyOnce(await chooseSlot());
  });

  it('fires each timer once across the nodes, also while one of them is dead', async () => {
    const running = app as RunningApp;
    const [a] = nodes as [LocalEngine, LocalEngine];
    await running.engine.deploy({
      name: 'cluster-timer-probe',
      source: 'test',
      resources: [{ name: 'cluster-timer-probe.bpmn', content: TIMER_PROBE }],
    });
    const started: string[] = [];
    for (let i = 0; i < 12; i++) {
      started.push((await running.engine.startProcess('cluster-timer-probe', { variables: { i } })).id);
    }
    const due = Date.now() + 3000;
    // Node 1 dies before the timers are due: node 2's job executor fires them all.
    await a.kill();
    const probes = async () =>
      running.engine.request<{ processInstanceId: string }[]>('GET', '/external-task', {
        query: { topicName: 'cluster-timer-probe' },
      });
    await waitFor(
      async () => (await probes()).filter((t) => started.includes(t.processInstanceId)).length === 12 || undefined,
      'the 12 timers fired',
      60_000,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    await a.start();
    // Both job executors run again: nothing fires a second time.
    await new Promise((r) => setTimeout(r, 6000));
    const perInstance = new Map<string, number>();
    for (const t of await probes())
      perInstance.set(t.processInstanceId, (perInstance.get(t.processInstanceId) ?? 0) + 1);
    for (const pi of started) {
      expect(perInstance.get(pi), `probe tasks of ${pi}`).toBe(1);
      const timers = (await running.engine.historicActivities(pi)).filter((x) => x.activityId === 'wait');
      expect(timers, `timer of ${pi}`).toHaveLength(1);
      expect(timers[0]?.endTime).toBeTruthy();
      await running.engine.deleteProcessInstance(pi, 'test');
    }
  });

  it('loses nothing when a node is killed: every booking completes on the other, each effect once; the node restarts and serves', async () => {
    const [a, b] = nodes as [LocalEngine, LocalEngine];
    const before = [await chooseSlot(), await chooseSlot(), await chooseSlot()];
    // The workers are booking and confirming these now, through both nodes: node 1 dies. (A
    // request a user sends in the instant of the crash gets 503 "riprovare", as it should: it
    // may have been carried out. The bookings below start once the node is gone.)
    await a.kill();
    const after = [await chooseSlot(), await chooseSlot()];
    for (const x of [...before, ...after]) await exactlyOnce(x);

    // Node 1 back; node 2 killed: a booking now goes through node 1 alone.
    await a.start();
    await b.kill();
    const alone = await chooseSlot();
    await exactlyOnce(alone);
    await b.start();
    await exactlyOnce(await chooseSlot());
  });
});
