import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { startTestApp, waitFor } from './support/test-app.js';

const DAY = 86_400_000;

describe('retention of personal data (P3)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    // The rows made up for this test leave the shared database as they came.
    await app?.db.query(`DELETE FROM user_tasks WHERE job_key LIKE '91000000000000%'`);
    await app?.db.query(`DELETE FROM process_instances WHERE process_instance_key LIKE '91000000000000%'`);
    await app?.db.query(`DELETE FROM sms_messages WHERE reference = 'retention-old'`);
    await app?.stop();
  });

  async function runRetention(): Promise<Record<string, number>> {
    const started = await app.zeebe.createProcessInstance({ bpmnProcessId: 'platform-retention', variables: {} });
    const key = String(started.processInstanceKey);
    await waitFor(async () => {
      const rows: unknown[] = await app.db.query(
        `SELECT 1 FROM job_outcomes WHERE process_instance_key = $1 AND task_type = 'apply-retention' AND outcome = 'completed'`,
        [key],
      );
      return rows.length > 0;
    }, 'the retention run');
    const audit: { detail: Record<string, number> }[] = await app.db.query(
      `SELECT detail FROM audit_events WHERE action = 'retention.applied' ORDER BY id DESC LIMIT 1`,
    );
    return audit[0]?.detail ?? {};
  }

  it('empties what the platform keeps of people after 180 days, keeps the records and what is recent or still open', async () => {
    const old = new Date(Date.now() - 200 * DAY);
    const recent = new Date(Date.now() - 10 * DAY);
    const personal = JSON.stringify({ patientId: 'pat-0001', fiscalCode: 'RSSMRA80A01G942K' });
    for (const [key, state, completedAt] of [
      ['9100000000000001', 'COMPLETED', old],
      ['9100000000000002', 'COMPLETED', recent],
      ['9100000000000003', 'CREATED', null],
    ] as const) {
      await app.db.query(
        `INSERT INTO user_tasks (job_key, process_instance_key, process_definition_key, bpmn_process_id, element_id,
           element_instance_key, name, state, completed_at, created_at, variables)
         VALUES ($1, $1, '1', 'cup-booking', 'choose-slot', $1, 'Scegli', $2, $3, $4, $5)`,
        [key, state, completedAt, old, personal],
      );
    }
    await app.db.query(
      `INSERT INTO process_instances (process_instance_key, bpmn_process_id, process_definition_key, version, state, started_at, ended_at, variables)
       VALUES ('9100000000000011', 'cup-booking', '1', 1, 'COMPLETED', $1, $1, $2),
              ('9100000000000012', 'cup-booking', '1', 1, 'ACTIVE', $1, NULL, $2)`,
      [old, personal],
    );
    await app.db.query(
      `INSERT INTO sms_messages (provider, to_number, sender, body, encoding, segments, status, purpose, reference, created_at)
       VALUES ('local', '+393330000001', 'CUP', 'CUP Basilicata: prenotazione BAS-OLD', 'GSM-7', 1, 'queued', 'test', 'retention-old', $1)`,
      [old],
    );
    await app.db.query(
      `INSERT INTO audit_events (actor, action, at) VALUES ('vecchio', 'sign-in', $1), ('recente', 'sign-in', now())`,
      [new Date(Date.now() - 800 * DAY)],
    );

    const first = await runRetention();
    expect(first['tasks']).toBeGreaterThanOrEqual(1);
    expect(first['auditDeleted']).toBeGreaterThanOrEqual(1);

    const tasks: { job_key: string; variables: Record<string, unknown> }[] = await app.db.query(
      `SELECT job_key, variables FROM user_tasks WHERE job_key LIKE '91000000000000%' ORDER BY job_key`,
    );
    expect(tasks.map((t) => Object.keys(t.variables).length)).toEqual([0, 2, 2]);
    const instances: { state: string; variables: Record<string, unknown> }[] = await app.db.query(
      `SELECT state, variables FROM process_instances WHERE process_instance_key LIKE '91000000000000%' ORDER BY process_instance_key`,
    );
    expect(instances).toEqual([
      { state: 'COMPLETED', variables: {} },
      { state: 'ACTIVE', variables: JSON.parse(personal) as unknown },
    ]);
    const sms: { body: string; to_number: string; status: string }[] = await app.db.query(
      `SELECT body, to_number, status FROM sms_messages WHERE reference = 'retention-old'`,
    );
    expect(sms).toEqual([{ body: '', to_number: '', status: 'queued' }]);
    const audit: { actor: string }[] = await app.db.query(
      `SELECT actor FROM audit_events WHERE actor IN ('vecchio', 'recente')`,
    );
    expect(audit).toEqual([{ actor: 'recente' }]);

    // Idempotent: nothing left to empty on a second run.
    const second = await runRetention();
    expect(second).toMatchObject({ tasks: 0, instances: 0, sms: 0, auditDeleted: 0 });
  });
});
