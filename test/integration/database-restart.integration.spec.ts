import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../platform/database/embedded-postgres.js';
import { freePorts } from '../support/ports.js';
import { sessionClient } from '../support/session-client.js';
import { expectBookedOnce, openTaskOf, slotOptions, startBooking } from './support/booking.js';
import { listenToTaskEvents } from './support/task-events.js';
import { apiAs, ensureUser, startTestApp, TEST_PASSWORD, waitFor, type ApiClient } from './support/test-app.js';

/**
 * P4: the app's PostgreSQL restarts while bookings are under way (a failover, a maintenance
 * restart). `/readyz` goes red while it is away and green once it is back; a request meanwhile
 * gets a clear 503; the workers retry; the live task stream reconnects and tells the lists to
 * look again; every booking completes with one appointment and one SMS.
 */
describe('a restart of PostgreSQL under load (P4)', () => {
  let root: string;
  let pg: EmbeddedDatabase;
  let pgUp = false;
  let port: number;
  let app: RunningApp;
  let operator: ApiClient;
  const used = new Set<string>();
  const start = () =>
    startEmbeddedPostgres({
      dataDir: path.join(root, 'postgres'),
      port,
      database: 'contact_center',
      log: () => undefined,
    });

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'cc-pg-restart-'));
    await chmod(root, 0o755);
    [port] = (await freePorts(1)) as [number];
    pg = await start();
    pgUp = true;
    app = await startTestApp({ DATABASE_URL: pg.url });
    operator = apiAs(app, 'operatore.riavvio', ['operator']);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    if (pgUp) await pg.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const ready = async () => (await fetch(`${app.url}/readyz`)).status;
  /** A booking up to its task, claimed by the operator. */
  const claimed = async () => {
    const b = await startBooking(operator, { patientId: 'pat-0003' });
    const task = await openTaskOf(operator, b.processInstanceKey);
    expect((await operator.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    return { pi: b.processInstanceKey, task };
  };
  const complete = async ({ task }: Awaited<ReturnType<typeof claimed>>) => {
    const slotId = slotOptions(task).find((o) => !used.has(o.value))?.value ?? '';
    used.add(slotId);
    const done = await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    return slotId;
  };

  it('goes red and green again, carries on, and loses or repeats nothing', async () => {
    // A tasklist open on the live stream.
    await ensureUser(app, 'operatore.lista', ['operator']);
    const viewer = sessionClient(app.url ?? '');
    expect((await viewer.signIn('operatore.lista', TEST_PASSWORD)).status).toBe(200);
    const live = await listenToTaskEvents(app.url ?? '', viewer.cookie());
    expect(live.status).toBe(200);
    const events = live.events;

    const open = [await claimed(), await claimed(), await claimed()];
    const bookings: { pi: string; slotId: string }[] = [];
    // One completed just before the restart: its workers book and confirm around it.
    const first = open.shift() as (typeof open)[number];
    bookings.push({ pi: first.pi, slotId: await complete(first) });
    expect(await ready()).toBe(200);

    await pg.stop();
    pgUp = false;
    await waitFor(async () => (await ready()) === 503 || undefined, '/readyz red', 20_000);
    const refused = await operator.get<{ title?: string; detail?: string }>('/api/tasks?limit=5');
    expect(refused.status).toBe(503);
    expect(refused.body.detail).toMatch(/^[A-Z]/);
    // Away for a few seconds, as a restart is.
    await new Promise((r) => setTimeout(r, 3000));
    pg = await start();
    pgUp = true;
    await waitFor(async () => (await ready()) === 200 || undefined, '/readyz green', 30_000);

    // Work done at once: the stream's own connection may not be back yet (it retries after 1,
    // 2, 4… s), so what is notified meanwhile is not heard; the resync covers it.
    for (const o of open) bookings.push({ pi: o.pi, slotId: await complete(o) });
    // The stream told the list to look again once its connection was back…
    await waitFor(
      () => Promise.resolve(events.some((e) => e.action === 'resync') || undefined),
      'a resync event',
      20_000,
    );
    // … and carries on: what happens from then on is heard.
    const after = await claimed();
    bookings.push({ pi: after.pi, slotId: await complete(after) });
    for (const b of bookings) await expectBookedOnce(app, b);
    await waitFor(
      () => Promise.resolve(events.some((e) => e.key === after.task.key) || undefined),
      `an event of the task completed after the restart (heard: ${JSON.stringify(events.slice(-8))})`,
      10_000,
    );
    await live.close();
  });
});
