import { afterAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { UserTask } from '../../domain/tasks/inbox.js';
import { apiAs, startTestApp, waitFor } from './support/test-app.js';
import { openTaskOf, slotOptions, startBooking, VALID_NRE, waitForConfirmation } from './support/booking.js';
import { advanceEngineClock } from './support/clock.js';

describe('restarting the app with open tasks and running instances', () => {
  let app: RunningApp | undefined;

  afterAll(async () => {
    await app?.stop();
  });

  it('loses no task, shows none twice, and every instance completes after the restart', async () => {
    app = await startTestApp();
    const before = apiAs(app);
    const claimed = await startBooking(before, { patientId: 'pat-0005' });
    const claimedTask = await openTaskOf(before, claimed.processInstanceKey);
    expect((await before.post(`/api/tasks/${claimedTask.key}/claim`)).status).toBe(200);
    const unstored = await startBooking(before, { patientId: 'pat-0006' });
    const unstoredTask = await openTaskOf(before, unstored.processInstanceKey);
    await app.stop();
    app = undefined;

    // While the app is down: an instance is started by another client, and the inbox row of
    // an activated task is lost (as if the process died between activation and insert).
    const { createZeebeClient } = await import('../../platform/engine/client.js');
    const { inject } = await import('vitest');
    const outside = createZeebeClient({ grpcAddress: inject('zeebeGrpcAddress') });
    const whileDown = await outside.createProcessInstance({
      bpmnProcessId: 'cup-booking',
      variables: {
        prescriptionNre: VALID_NRE,
        serviceCode: '95.02',
        patientId: 'pat-0007',
        businessKey: 'PRE-WHILEDOWN',
      },
    });
    await outside.close();

    app = await startTestApp();
    await app.db.query('DELETE FROM user_tasks WHERE job_key = $1', [unstoredTask.key]);
    const after = apiAs(app);

    const stillClaimed = await after.get<UserTask>(`/api/tasks/${claimedTask.key}`);
    expect(stillClaimed.body).toMatchObject({ state: 'CREATED', assignee: 'operatore.uno' });
    const startedWhileDown = await openTaskOf(after, String(whileDown.processInstanceKey));

    // The lost row comes back, with the same key, once the engine's activation timeout passes.
    await advanceEngineClock(10 * 60_000);
    const recovered = await waitFor(
      async () => {
        const r = await after.get<UserTask>(`/api/tasks/${unstoredTask.key}`);
        return r.status === 200 ? r.body : undefined;
      },
      'the re-activated user task',
      60_000,
    );
    expect(recovered.processInstanceKey).toBe(unstored.processInstanceKey);

    const open = await after.get<{ items: UserTask[] }>('/api/tasks?process=cup-booking&limit=500');
    const keys = open.body.items.map((t) => t.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const pi of [claimed.processInstanceKey, unstored.processInstanceKey, String(whileDown.processInstanceKey)]) {
      expect(open.body.items.filter((t) => t.processInstanceKey === pi)).toHaveLength(1);
    }

    const used = new Set<string>();
    for (const [task, pi] of [
      [claimedTask, claimed.processInstanceKey],
      [unstoredTask, unstored.processInstanceKey],
      [startedWhileDown, String(whileDown.processInstanceKey)],
    ] as const) {
      const detail = await openTaskOf(after, pi);
      expect(detail.key).toBe(task.key);
      await after.post(`/api/tasks/${task.key}/claim`);
      // The tasks were offered the same earliest slots; each takes a different one.
      const slotId = slotOptions(detail).find((o) => !used.has(o.value))?.value ?? '';
      used.add(slotId);
      const done = await after.post(`/api/tasks/${task.key}/complete`, { variables: { slotId } });
      expect(done.status).toBe(200);
    }
    for (const pi of [claimed.processInstanceKey, unstored.processInstanceKey, String(whileDown.processInstanceKey)]) {
      await waitForConfirmation(app, pi);
    }
  });
});
