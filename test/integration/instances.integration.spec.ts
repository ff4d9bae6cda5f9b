import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';
import { openTaskOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';
import { testEngine } from './support/clock.js';

interface InstanceDetail {
  instance: { key: string; state: string; businessKey: string; startedBy: string; endedAt: string | null };
  markers: { done: string[]; current: string[]; incident: string[] };
  incidents: { id: string; elementId: string; type: string; message: string | null; at: string | null }[];
  tasks: { elementId: string; state: string; completedBy: string | null }[];
}

/** The instance view reads the engine's history: what ran, where it waits, how it ended. */
describe('process instances from the engine history', () => {
  let app: RunningApp;
  let operator: ApiClient;
  let supervisor: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    operator = apiAs(app, 'operatore.uno', ['operator']);
    supervisor = apiAs(app, 'supervisore.uno', ['supervisor']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('marks exactly the steps that ran, the one it waits at, and nothing of the untaken paths', async () => {
    const started = await startBooking(operator, { patientId: 'pat-0002' });
    const task = await openTaskOf(operator, started.processInstanceKey);
    const waiting = (await supervisor.get<InstanceDetail>(`/api/process-instances/${started.processInstanceKey}`)).body;
    expect(waiting.instance).toMatchObject({ state: 'ACTIVE', startedBy: 'operatore.uno', endedAt: null });
    expect(waiting.markers.done).toEqual(
      expect.arrayContaining(['booking-requested', 'check-prescription', 'search-again', 'propose-slots']),
    );
    expect(waiting.markers.current).toEqual(['choose-slot']);
    for (const untaken of [
      'handle-escalation',
      'to-escalation',
      'no-availability',
      'book-slot',
      'prescription-invalid',
    ]) {
      expect(waiting.markers.done).not.toContain(untaken);
    }

    await operator.post(`/api/tasks/${task.key}/claim`);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });
    await waitForConfirmation(app, started.processInstanceKey);
    const done = await waitFor(async () => {
      const r = await supervisor.get<InstanceDetail>(`/api/process-instances/${started.processInstanceKey}`);
      return r.body.instance.state === 'COMPLETED' ? r.body : undefined;
    }, 'the completed instance');
    expect(done.markers.current).toEqual([]);
    expect(done.markers.done).toEqual(expect.arrayContaining(['choose-slot', 'book-slot', 'send-confirmation']));
    expect(done.markers.done).not.toContain('handle-escalation');
    expect(done.tasks).toEqual([
      expect.objectContaining({ elementId: 'choose-slot', state: 'COMPLETED', completedBy: 'operatore.uno' }),
    ]);
  });

  it('shows an instance cancelled in the engine as cancelled, in the list and on its page', async () => {
    const started = await startBooking(operator, { patientId: 'pat-0003' });
    await openTaskOf(operator, started.processInstanceKey);
    await testEngine().deleteProcessInstance(started.processInstanceKey, 'annullata dal test');
    const page = (await supervisor.get<InstanceDetail>(`/api/process-instances/${started.processInstanceKey}`)).body;
    expect(page.instance.state).toBe('CANCELED');
    expect(page.markers.current).toEqual([]);
    const list = await supervisor.get<{ items: { key: string; state: string }[] }>(
      `/api/process-instances?process=cup-booking&state=CANCELED&limit=500`,
    );
    expect(list.body.items).toContainEqual(
      expect.objectContaining({ key: started.processInstanceKey, state: 'CANCELED' }),
    );
    const active = await supervisor.get<{ items: { key: string }[] }>(
      `/api/process-instances?process=cup-booking&state=ACTIVE&limit=500`,
    );
    expect(active.body.items.map((i) => i.key)).not.toContain(started.processInstanceKey);
    // Its task is gone from the tasklist too.
    const open = await operator.get<{ items: { processInstanceKey: string }[] }>(
      '/api/tasks?process=cup-booking&limit=500',
    );
    expect(open.body.items.map((t) => t.processInstanceKey)).not.toContain(started.processInstanceKey);
  });

  it('shows an open incident with its step, message and time, and the instance as having one', async () => {
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ('pat-it-bad-mobile', 'TSTBDM80A01G942S', 'Prova', 'Numero', '1980-01-01', '+39 0971 123')
       ON CONFLICT (id) DO NOTHING`,
    );
    const started = await startBooking(operator, { patientId: 'pat-it-bad-mobile' });
    const task = await openTaskOf(operator, started.processInstanceKey);
    await operator.post(`/api/tasks/${task.key}/claim`);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });
    const page = await waitFor(async () => {
      const r = await supervisor.get<InstanceDetail>(`/api/process-instances/${started.processInstanceKey}`);
      return r.body.incidents.length > 0 ? r.body : undefined;
    }, 'the incident');
    expect(page.instance.state).toBe('INCIDENT');
    expect(page.markers.incident).toEqual(['send-confirmation']);
    expect(page.markers.done).not.toContain('send-confirmation');
    expect(page.incidents[0]).toMatchObject({ elementId: 'send-confirmation', type: 'failedExternalTask' });
    expect(page.incidents[0]?.message).toMatch(/numero mobile italiano/);
    expect(Date.now() - new Date(page.incidents[0]?.at ?? 0).getTime()).toBeLessThan(120_000);
    const list = await supervisor.get<{ items: { key: string; state: string; incidents: number }[] }>(
      `/api/process-instances?process=cup-booking&state=INCIDENT&limit=500`,
    );
    expect(list.body.items).toContainEqual(
      expect.objectContaining({ key: started.processInstanceKey, state: 'INCIDENT', incidents: 1 }),
    );
  });

  it('refuses a malformed key and answers 404 for an unknown one', async () => {
    expect((await supervisor.get('/api/process-instances/not%20a%20key')).status).toBe(400);
    expect((await supervisor.get('/api/process-instances/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });
});
