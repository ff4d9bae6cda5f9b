import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { UserTask } from '../../domain/tasks/inbox.js';
import { sessionClient } from '../support/session-client.js';
import { listenToTaskEvents } from './support/task-events.js';
import { apiAs, ensureUser, startTestApp, TEST_PASSWORD, waitFor, type ApiClient } from './support/test-app.js';
import { openTaskOf, outcomesOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';

/** The tasklist over the engine's own user tasks, under concurrency. */
describe('the engine user tasks behind the tasklist', () => {
  let app: RunningApp;
  let one: ApiClient;
  let two: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    one = apiAs(app, 'operatore.uno', ['operator']);
    two = apiAs(app, 'operatore.due', ['operator']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('gives a task claimed by two operators at the same moment to exactly one of them', async () => {
    const started = await startBooking(one, { patientId: 'pat-0004' });
    const task = await openTaskOf(one, started.processInstanceKey);
    const [a, b] = await Promise.all([
      one.post(`/api/tasks/${task.key}/claim`),
      two.post(`/api/tasks/${task.key}/claim`),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const winner = a.status === 200 ? 'operatore.uno' : 'operatore.due';
    const now = await one.get<UserTask>(`/api/tasks/${task.key}`);
    expect(now.body.assignee).toBe(winner);
    const loser = a.status === 200 ? two : one;
    expect((await loser.post(`/api/tasks/${task.key}/unclaim`)).status).toBe(409);
  });

  it('completes a task once when the same completion arrives twice at the same moment', async () => {
    const started = await startBooking(one, { patientId: 'pat-0005' });
    const task = await openTaskOf(one, started.processInstanceKey);
    expect((await one.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    const body = { variables: { slotId: slotOptions(task)[0]?.value } };
    const results = await Promise.all([
      one.post(`/api/tasks/${task.key}/complete`, body),
      one.post(`/api/tasks/${task.key}/complete`, body),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    await waitForConfirmation(app, started.processInstanceKey);
    const books = (await outcomesOf(app, started.processInstanceKey)).filter((o) => o.task_type === 'book-slot');
    expect(books).toEqual([expect.objectContaining({ outcome: 'completed' })]);
    // The task is no longer open, and shows among the completed ones of who completed it.
    expect((await one.post(`/api/tasks/${task.key}/claim`)).status).toBe(409);
    const completed = await one.get<{ items: UserTask[] }>('/api/tasks?state=COMPLETED&process=cup-booking&limit=500');
    expect(completed.body.items).toContainEqual(
      expect.objectContaining({ key: task.key, state: 'COMPLETED', completedBy: 'operatore.uno' }),
    );
    // A colleague without the view-all right does not see them, even asking by name.
    const peek = await two.get<{ items: UserTask[] }>('/api/tasks?state=COMPLETED&assignee=operatore.uno&limit=500');
    expect(peek.body.items.map((t) => t.key)).not.toContain(task.key);
    const detail = await one.get<UserTask>(`/api/tasks/${task.key}`);
    expect(detail.body).toMatchObject({ state: 'COMPLETED', assignee: 'operatore.uno' });
  });

  it('lists by priority and due date filters the engine applies, and a malformed key is refused', async () => {
    const started = await startBooking(one, { patientId: 'pat-0006' });
    await openTaskOf(one, started.processInstanceKey);
    const high = await one.get<{ items: UserTask[] }>('/api/tasks?process=cup-booking&priorityMin=100&limit=500');
    expect(high.body.items.map((t) => t.processInstanceKey)).not.toContain(started.processInstanceKey);
    const any = await one.get<{ items: UserTask[] }>(
      '/api/tasks?process=cup-booking&priorityMin=0&claim=unassigned&limit=500',
    );
    expect(any.body.items.map((t) => t.processInstanceKey)).toContain(started.processInstanceKey);
    expect((await one.get('/api/tasks/..%2Fprocess-instance')).status).toBe(400);
  });
});

describe('live task announcements', () => {
  let app: RunningApp;

  beforeAll(async () => {
    // The periodic watcher looks only once a minute here: what arrives sooner was announced
    // by the workers' progress notice.
    app = await startTestApp({ TASK_WATCH_MS: '60000' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('announces a task the flow reaches after its service steps at once, not at the next poll', async () => {
    const client = sessionClient(app.url ?? '');
    await ensureUser(app, 'operatore.live', ['operator']);
    expect((await client.signIn('operatore.live', TEST_PASSWORD)).status).toBe(200);
    const live = await listenToTaskEvents(app.url ?? '', client.cookie());
    expect(live.status).toBe(200);
    const events = live.events;
    const api = apiAs(app, 'operatore.live', ['operator']);
    const started = await startBooking(api, { patientId: 'pat-0007' });
    const task = await openTaskOf(api, started.processInstanceKey);
    await waitFor(
      () => Promise.resolve(events.find((e) => e.key === task.key && e.action === 'created')),
      'the created event',
      10_000,
    );
    await live.close();
  });
});
