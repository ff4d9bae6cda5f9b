import { verifyAuditChain } from '../../domain/access/audit-chain.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { engineDate } from '../../domain/tasks/inbox.js';
import { EngineError, type Job } from '../../platform/engine/operaton.js';
import { apiAs, startTestApp, waitFor } from './support/test-app.js';
import { fireTimers, testEngine } from './support/clock.js';
import { openTaskOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';
import { MailBlobs } from '../../domain/helpdesk/mail-blobs.js';

const DAY = 86_400_000;

describe('retention of personal data (P3)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    // The rows made up for this test leave the shared database as they came.
    await app?.db.query(`DELETE FROM sms_messages WHERE reference IN ('retention-old', 'retention-recent')`);
    await app?.db.query(`DELETE FROM contact_outcomes WHERE process_instance_key LIKE 'retention-test-%'`);
    await app?.db.query(`DELETE FROM campaigns WHERE name LIKE 'retention-campagna-%'`);
    await app?.db.query(`DELETE FROM call_records WHERE call_sid LIKE 'CAretention%'`);
    await app?.stop();
  });

  /** Waits for the retention run of an instance started after `since`; its summary from the audit log. */
  async function retentionRunSince(since: Date): Promise<{ key: string; summary: Record<string, number> }> {
    const run = await waitFor(async () => {
      const rows: { key: string }[] = await app.db.query(
        `SELECT process_instance_key AS key FROM job_outcomes
          WHERE task_type = 'apply-retention' AND outcome = 'completed' AND created_at >= $1 ORDER BY id DESC LIMIT 1`,
        [since],
      );
      return rows[0];
    }, 'the retention run');
    const audit: { detail: Record<string, number> }[] = await app.db.query(
      `SELECT detail FROM audit_events WHERE action = 'retention.applied' AND at >= $1 ORDER BY id DESC LIMIT 1`,
      [since],
    );
    return { key: run.key, summary: audit[0]?.detail ?? {} };
  }

  it('at night (timer) or on demand, empties what the platform keeps of people after 180 days, keeps the records and what is recent', async () => {
    const old = new Date(Date.now() - 200 * DAY);
    const recent = new Date(Date.now() - 10 * DAY);
    await app.db.query(
      `INSERT INTO sms_messages (provider, to_number, sender, body, encoding, segments, status, purpose, reference, created_at)
       VALUES ('local', '+393330000001', 'CUP', 'CUP Basilicata: prenotazione BAS-OLD', 'GSM-7', 1, 'queued', 'test', 'retention-old', $1),
              ('local', '+393330000002', 'CUP', 'CUP Basilicata: prenotazione BAS-NEW', 'GSM-7', 1, 'queued', 'test', 'retention-recent', $2)`,
      [old, recent],
    );
    await app.db.query(
      `INSERT INTO contact_outcomes (process_instance_key, line, channel, outcome_code, resolved_first_contact, out_of_scope,
         operator, note, opened_at, closed_at)
       VALUES ('retention-test-old', 'cup', 'phone', 'info-given', true, false, 'operatore', 'Chiama il figlio Mario', $1, $1),
              ('retention-test-new', 'cup', 'phone', 'info-given', true, false, 'operatore', 'Richiamare dopo le 17', $2, $2)`,
      [old, recent],
    );
    await app.db.query(
      `INSERT INTO call_records (call_sid, line, direction, from_number, to_number, status, arrived_at)
       VALUES ('CAretentionold', 'cup', 'inbound', '+393330000009', '+39848821821', 'completed', $1),
              ('CAretentionnew', 'cup', 'inbound', '+393330000010', '+39848821821', 'completed', $2)`,
      [old, recent],
    );
    // Two finished campaigns, one over for 200 days, one for 10, and one still running.
    const campaigns: { id: string; name: string }[] = await app.db.query(
      `INSERT INTO campaigns (kind, name, created_by, status, created_at, completed_at)
       VALUES ('information', 'retention-campagna-vecchia', 'test', 'completed', $1, $1),
              ('information', 'retention-campagna-recente', 'test', 'completed', $2, $2),
              ('information', 'retention-campagna-in-corso', 'test', 'running', $1, NULL)
       RETURNING id, name`,
      [old, recent],
    );
    for (const c of campaigns) {
      await app.db.query(
        `INSERT INTO campaign_contacts (campaign_id, package_no, source_row, name, phone, email, fiscal_code, extra,
           outcome_code, positive, note, operator, done_at)
         VALUES ($1, 1, 2, 'Maria Neri', '+393331112223', 'maria.neri@example.test', 'NRIMRA70A41G942X', '{"comune":"Potenza"}',
           'INFORMATO', true, 'Richiamare la sera', 'operatore', $2)`,
        [c.id, old],
      );
    }
    await app.db.query(
      `INSERT INTO audit_events (actor, action, at) VALUES ('vecchio', 'sign-in', $1), ('recente', 'sign-in', now())`,
      [new Date(Date.now() - 800 * DAY)],
    );

    // The nightly timer start event, fired now through the engine's own timer job.
    const since = new Date(Date.now() - 1000);
    expect(await fireTimers({ processDefinitionKey: 'platform-retention' })).toBe(1);
    const first = await retentionRunSince(since);
    const started = await testEngine().historicProcessInstance(first.key);
    expect(started?.processDefinitionKey).toBe('platform-retention');
    expect(first.summary).toMatchObject({ personalDataDays: 180, auditDays: 730 });
    expect(first.summary['sms']).toBeGreaterThanOrEqual(1);
    expect(first.summary['notes']).toBeGreaterThanOrEqual(1);
    expect(first.summary['auditPruned']).toBeGreaterThanOrEqual(1);

    const sms: { reference: string; body: string; to_number: string; status: string }[] = await app.db.query(
      `SELECT reference, body, to_number, status FROM sms_messages
        WHERE reference IN ('retention-old', 'retention-recent') ORDER BY reference`,
    );
    expect(sms).toEqual([
      {
        reference: 'retention-old',
        body: '',
        to_number: '',
        status: 'queued',
      },
      {
        reference: 'retention-recent',
        body: 'CUP Basilicata: prenotazione BAS-NEW',
        to_number: '+393330000002',
        status: 'queued',
      },
    ]);
    const notes: { key: string; note: string | null; outcome_code: string }[] = await app.db.query(
      `SELECT process_instance_key AS key, note, outcome_code FROM contact_outcomes
        WHERE process_instance_key LIKE 'retention-test-%' ORDER BY process_instance_key`,
    );
    expect(notes).toEqual([
      { key: 'retention-test-new', note: 'Richiamare dopo le 17', outcome_code: 'info-given' },
      { key: 'retention-test-old', note: null, outcome_code: 'info-given' },
    ]);
    const called: {
      name: string;
      person: string | null;
      phone: string | null;
      extra: unknown;
      note: string | null;
      outcome: string;
    }[] = await app.db.query(
      `SELECT k.name, c.name AS person, c.phone, c.extra, c.note, c.outcome_code AS outcome
           FROM campaign_contacts c JOIN campaigns k ON k.id = c.campaign_id
          WHERE k.name LIKE 'retention-campagna-%' ORDER BY k.name`,
    );
    expect(called).toEqual([
      {
        name: 'retention-campagna-in-corso',
        person: 'Maria Neri',
        phone: '+393331112223',
        extra: { comune: 'Potenza' },
        note: 'Richiamare la sera',
        outcome: 'INFORMATO',
      },
      {
        name: 'retention-campagna-recente',
        person: 'Maria Neri',
        phone: '+393331112223',
        extra: { comune: 'Potenza' },
        note: 'Richiamare la sera',
        outcome: 'INFORMATO',
      },
      { name: 'retention-campagna-vecchia', person: null, phone: null, extra: {}, note: null, outcome: 'INFORMATO' },
    ]);
    const audit: { actor: string }[] = await app.db.query(
      `SELECT actor FROM audit_events WHERE actor IN ('vecchio', 'recente')`,
    );
    expect(audit).toEqual([{ actor: 'recente' }]);
    // Emptied, not cut out: the trail's chain still verifies.
    expect(await verifyAuditChain(app.db)).toMatchObject({ ok: true, problems: [] });
    expect(
      await app.db.query(
        `SELECT call_sid, from_number, status FROM call_records WHERE call_sid LIKE 'CAretention%' ORDER BY call_sid`,
      ),
    ).toEqual([
      { call_sid: 'CAretentionnew', from_number: '+393330000010', status: 'completed' },
      { call_sid: 'CAretentionold', from_number: null, status: 'completed' },
    ]);

    // Idempotent: nothing left to empty on a second run, started by hand.
    const again = new Date();
    await app.workerDeps.starter.start({
      bpmnProcessId: 'platform-retention',
      businessKey: 'CONSERVAZIONE-TEST',
      variables: {},
      startedBy: 'test',
      startAt: 'manual-run',
    });
    const second = await retentionRunSince(again);
    expect(second.key).not.toBe(first.key);
    expect(second.summary).toMatchObject({ sms: 0, notes: 0, campaignContacts: 0, callNumbers: 0, auditPruned: 0 });
  });

  it('destroys the help desk’s archived mail after the contract’s duration (R2), and keeps what is recent or not yet archived', async () => {
    const old = new Date(Date.now() - 1900 * DAY);
    const tag = `retention-${Date.now()}`;
    const blob = async (text: string, at: Date) => {
      const sha = `${tag}-${text}`;
      await app.db.query(`INSERT INTO mail_blobs (sha256, size, content, created_at) VALUES ($1, 4, $2, $3)`, [
        sha,
        Buffer.from(text),
        at,
      ]);
      return sha;
    };
    const insert = async (uid: number, at: Date, archived: boolean) => {
      const raw = await blob(`raw${uid}`, at);
      const att = await blob(`att${uid}`, at);
      const rows: { id: string }[] = await app.db.query(
        `INSERT INTO mail_messages (mailbox, channel, uid_validity, uid, message_id, raw_sha256, size, received_at, status,
            from_address, subject, text_body, attachments, archived_at)
         VALUES ('helpdesk', 'email', $1, $2, $3, $4, 4, $5, 'received', 'mario.rossi@example.test', 'Oggetto',
            'Testo personale', $6::jsonb, $7) RETURNING id`,
        [
          tag,
          uid,
          `<${tag}-${uid}@example.test>`,
          raw,
          at,
          JSON.stringify([{ index: 0, filename: 'a.pdf', contentType: 'application/pdf', size: 4, sha256: att }]),
          archived ? at : null,
        ],
      );
      return { id: rows[0]?.id ?? '', raw, att };
    };
    const gone = await insert(1, old, true);
    const waiting = await insert(2, old, false);
    const recent = await insert(3, new Date(), true);
    // An attachment stored in pieces, as the intake stores them now: its pieces go with it.
    const pieces = await new MailBlobs(app.db, 4).put(Buffer.from(`${tag} allegato in pezzi`));
    await app.db.query(`UPDATE mail_blobs SET created_at = $2 WHERE sha256 = $1`, [pieces.sha256, old]);
    await app.db.query(`UPDATE mail_messages SET attachments = attachments || $2::jsonb WHERE id = $1`, [
      gone.id,
      JSON.stringify([
        { index: 1, filename: 'b.pdf', contentType: 'application/pdf', size: pieces.size, sha256: pieces.sha256 },
      ]),
    ]);
    const [{ file_id: fileId } = { file_id: '' }] = await app.db.query<{ file_id: string }[]>(
      `SELECT file_id FROM mail_blobs WHERE sha256 = $1`,
      [pieces.sha256],
    );
    expect(
      (await app.db.query<unknown[]>(`SELECT 1 FROM file_chunks WHERE file_id = $1`, [fileId])).length,
    ).toBeGreaterThan(1);

    const since = new Date();
    await app.workerDeps.starter.start({
      bpmnProcessId: 'platform-retention',
      businessKey: 'CONSERVAZIONE-POSTA',
      variables: {},
      startedBy: 'test',
      startAt: 'manual-run',
    });
    const run = await retentionRunSince(since);
    expect(run.summary).toMatchObject({ mailDays: 1825, archivedDeleted: 0 });
    expect(run.summary['mailEmptied']).toBeGreaterThanOrEqual(1);

    const rows: { id: string; text_body: string | null; from_address: string | null; raw_sha256: string | null }[] =
      await app.db.query(
        `SELECT id, text_body, from_address, raw_sha256 FROM mail_messages WHERE uid_validity = $1 ORDER BY uid`,
        [tag],
      );
    expect(rows).toEqual([
      { id: gone.id, text_body: null, from_address: null, raw_sha256: null },
      {
        id: waiting.id,
        text_body: 'Testo personale',
        from_address: 'mario.rossi@example.test',
        raw_sha256: waiting.raw,
      },
      { id: recent.id, text_body: 'Testo personale', from_address: 'mario.rossi@example.test', raw_sha256: recent.raw },
    ]);
    const blobs: { sha256: string }[] = await app.db.query(
      `SELECT sha256 FROM mail_blobs WHERE sha256 LIKE $1 ORDER BY sha256`,
      [`${tag}-%`],
    );
    expect(blobs.map((b) => b.sha256).sort()).toEqual([waiting.att, waiting.raw, recent.att, recent.raw].sort());
    expect(await app.db.query(`SELECT 1 FROM mail_blobs WHERE sha256 = $1`, [pieces.sha256])).toEqual([]);
    expect(await app.db.query(`SELECT 1 FROM file_chunks WHERE file_id = $1`, [fileId])).toEqual([]);
  });

  it("leaves instance and task variables to the engine, whose history cleanup removes them after the process's time to live", async () => {
    const engine = testEngine();
    // Every process the platform runs has a time to live of at most 180 days.
    const definitions = await engine.definitions({ latestVersion: true });
    for (const key of ['cup-booking', 'cup-information', 'cup-sms-reminders', 'platform-retention']) {
      const d = definitions.find((x) => x.key === key);
      expect(d?.historyTimeToLive, key).toBeGreaterThan(0);
      expect(d?.historyTimeToLive, key).toBeLessThanOrEqual(180);
    }

    // A booking with the patient's data in its variables and its task.
    const operator = apiAs(app);
    const booking = await startBooking(operator, { patientId: 'pat-0008' });
    const task = await openTaskOf(operator, booking.processInstanceKey);
    await operator.post(`/api/tasks/${task.key}/claim`);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task).at(-1)?.value } });
    await waitForConfirmation(app, booking.processInstanceKey);
    const supervisor = apiAs(app, 'supervisore.retention', ['supervisor']);
    const ended = await waitFor(async () => {
      const r = await supervisor.get<{ instance: { state: string; endedAt: string; removalAt: string | null } }>(
        `/api/process-instances/${booking.processInstanceKey}`,
      );
      return r.body.instance.state === 'COMPLETED' ? r.body.instance : undefined;
    }, 'the booking completed');
    // The engine will remove its history 180 days after it ended (calendar days in Rome: an
    // hour more or less across a change of daylight saving time).
    const kept = new Date(ended.removalAt ?? 0).getTime() - new Date(ended.endedAt).getTime();
    expect(Math.abs(kept - 180 * DAY)).toBeLessThanOrEqual(3_600_000 + 1000);
    const variables = await engine.historicVariables({ processInstanceId: booking.processInstanceKey });
    expect(variables.find((v) => v.name === 'patientId')?.value).toBe('pat-0008');

    // Those 180 days pass (the removal time moved into the past) and the engine's history
    // cleanup runs: the instance, its variables and its task are gone from the history.
    await engine.request('POST', '/history/process-instance/set-removal-time', {
      body: {
        absoluteRemovalTime: engineDate(new Date(Date.now() - DAY)),
        historicProcessInstanceIds: [booking.processInstanceKey],
        hierarchical: true,
      },
    });
    await waitFor(async () => {
      const h = await engine.historicProcessInstance(booking.processInstanceKey);
      return h?.removalTime !== undefined && h.removalTime !== null && new Date(h.removalTime) < new Date();
    }, 'the new removal time');
    const cleanup = await engine.request<Job>('POST', '/history/cleanup', { query: { immediatelyDue: true } });
    await engine.executeJob(cleanup.id).catch((err: unknown) => {
      // The engine's job executor may have taken the due job first.
      if (!(err instanceof EngineError)) throw err;
    });
    await waitFor(
      async () => (await engine.historicProcessInstance(booking.processInstanceKey)) === undefined,
      'the history of the booking removed',
    );
    expect(await engine.historicVariables({ processInstanceId: booking.processInstanceKey })).toEqual([]);
    expect(await engine.historicTasks({ processInstanceId: booking.processInstanceKey })).toEqual([]);
    expect((await supervisor.get(`/api/process-instances/${booking.processInstanceKey}`)).status).toBe(404);
  });
});
