import { afterAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { UserTask } from '../../domain/tasks/inbox.js';
import type { LockedExternalTask } from '../../platform/engine/operaton.js';
import { apiAs, startTestApp, waitFor } from './support/test-app.js';
import {
  openTaskOf,
  outcomesOf,
  slotOptions,
  startBooking,
  VALID_NRE,
  waitForConfirmation,
} from './support/booking.js';
import { testEngine } from './support/clock.js';

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
    const unclaimed = await startBooking(before, { patientId: 'pat-0006' });
    const unclaimedTask = await openTaskOf(before, unclaimed.processInstanceKey);
    await app.stop();
    app = undefined;

    // While the app is down: an instance is started by another client straight on the engine,
    // and a worker of the old app locks its first task and dies before completing it. (The
    // stopped app left no long poll open in the engine that would have locked it first.)
    const engine = testEngine();
    const whileDown = await engine.startProcess('cup-booking', {
      businessKey: 'PRE-WHILEDOWN',
      variables: {
        prescriptionNre: VALID_NRE,
        serviceCode: '95.02',
        patientId: 'pat-0007',
        businessKey: 'PRE-WHILEDOWN',
      },
    });
    const held = await engine.request<LockedExternalTask[]>('POST', '/external-task/fetchAndLock', {
      body: {
        workerId: 'died-during-restart',
        maxTasks: 1,
        // fetchAndLock filters by business key, not by instance: this instance's task only.
        topics: [{ topicName: 'check-prescription', lockDuration: 5000, businessKey: 'PRE-WHILEDOWN' }],
      },
    });
    expect(held).toHaveLength(1);

    app = await startTestApp();
    const after = apiAs(app);

    // The open tasks are the engine's: the claim survived, the unclaimed task is still offered.
    const stillClaimed = await after.get<UserTask>(`/api/tasks/${claimedTask.key}`);
    expect(stillClaimed.body).toMatchObject({ state: 'CREATED', assignee: 'operatore.uno' });
    const stillOpen = await after.get<UserTask>(`/api/tasks/${unclaimedTask.key}`);
    expect(stillOpen.body).toMatchObject({
      state: 'CREATED',
      assignee: null,
      processInstanceKey: unclaimed.processInstanceKey,
    });

    // The task the dead worker held comes back once its lock expires; the instance goes on to
    // its user task.
    const startedWhileDown = await openTaskOf(after, whileDown.id);
    expect(startedWhileDown.businessKey).toBe('PRE-WHILEDOWN');
    expect((await outcomesOf(app, whileDown.id)).filter((o) => o.task_type === 'check-prescription')).toEqual([
      expect.objectContaining({ outcome: 'completed' }),
    ]);
    const recovered: { job_key: string }[] = await app.db.query(
      `SELECT job_key FROM job_outcomes WHERE process_instance_key = $1 AND task_type = 'check-prescription'`,
      [whileDown.id],
    );
    expect(recovered).toEqual([{ job_key: held[0]?.id }]);

    const open = await after.get<{ items: UserTask[] }>('/api/tasks?process=cup-booking&limit=500');
    const keys = open.body.items.map((t) => t.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const pi of [claimed.processInstanceKey, unclaimed.processInstanceKey, whileDown.id]) {
      expect(open.body.items.filter((t) => t.processInstanceKey === pi)).toHaveLength(1);
    }

    const used = new Set<string>();
    for (const [task, pi] of [
      [claimedTask, claimed.processInstanceKey],
      [unclaimedTask, unclaimed.processInstanceKey],
      [startedWhileDown, whileDown.id],
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
    for (const pi of [claimed.processInstanceKey, unclaimed.processInstanceKey, whileDown.id]) {
      await waitForConfirmation(app, pi);
      await waitFor(
        async () => (await engine.historicProcessInstance(pi))?.state === 'COMPLETED',
        `instance ${pi} completed`,
      );
    }
  });
});
