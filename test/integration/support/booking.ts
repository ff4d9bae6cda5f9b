import type { RunningApp } from '../../../app.js';
import type { UserTask, UserTaskDetail } from '../../../domain/tasks/inbox.js';
import { type ApiClient, waitFor } from './test-app.js';

export interface StartedBooking {
  processInstanceKey: string;
  businessKey: string;
}

export const VALID_NRE = '170A10123456789';

export async function startBooking(
  api: ApiClient,
  body: Partial<{
    prescriptionNre: string;
    serviceCode: string;
    patientId: string;
    structureId: string;
    priorityClass: string;
  }> = {},
): Promise<StartedBooking> {
  const res = await api.post<StartedBooking>('/api/cup/bookings', {
    prescriptionNre: VALID_NRE,
    serviceCode: '89.7A.3',
    patientId: 'pat-0001',
    ...body,
  });
  if (res.status !== 201) throw new Error(`booking not started: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Waits until the instance's open user task is in the inbox and returns it with its form. */
export async function openTaskOf(
  api: ApiClient,
  processInstanceKey: string,
  elementId = 'choose-slot',
  process = 'cup-booking',
): Promise<UserTaskDetail & { form: unknown }> {
  const task = await waitFor(async () => {
    const list = await api.get<{ items: UserTask[] }>(`/api/tasks?process=${process}&limit=500`);
    return list.body.items.find((t) => t.processInstanceKey === processInstanceKey && t.elementId === elementId);
  }, `user task ${elementId} of ${processInstanceKey}`);
  return (await api.get<UserTaskDetail & { form: unknown }>(`/api/tasks/${task.key}`)).body;
}

export function slotOptions(task: UserTaskDetail): { value: string; label: string }[] {
  return task.variables['slotOptions'] as { value: string; label: string }[];
}

/** Outcomes the workers recorded for an instance. */
export async function outcomesOf(
  app: RunningApp,
  processInstanceKey: string,
): Promise<{ task_type: string; outcome: string; message: string | null; error_code: string | null }[]> {
  return app.db.query(
    `SELECT task_type, outcome, message, error_code FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
    [processInstanceKey],
  );
}

/** The instance reached its end: the confirmation SMS job completed. */
export function waitForConfirmation(app: RunningApp, processInstanceKey: string, timeoutMs = 30_000) {
  return waitFor(
    async () =>
      (await outcomesOf(app, processInstanceKey)).find((o) => o.task_type === 'send-sms' && o.outcome === 'completed'),
    `confirmation SMS of ${processInstanceKey}`,
    timeoutMs,
  );
}
