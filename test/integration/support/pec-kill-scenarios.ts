import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { RunningApp } from '../../../app.js';
import type { UserTaskDetail } from '../../../domain/tasks/inbox.js';
import { changePecMailbox } from '../../../workers/change-pec-mailbox.js';
import { createPecMailbox } from '../../../workers/create-pec-mailbox.js';
import { deliverPecCredentials } from '../../../workers/deliver-pec-credentials.js';
import { notifyPecHolder } from '../../../workers/notify-pec-holder.js';
import { openTaskOf } from './booking.js';
import { testEngine } from './clock.js';
import type { KillScenario } from './kill-harness.js';
import { apiAs, type ApiClient } from './test-app.js';

/** Registered on the local IMS (migration 1763900000020) with a confirmed email and mobile. */
const HOLDER = { fiscalCode: 'RSSMRA80A01G942K', givenName: 'Mario', familyName: 'Rossi' };

const backOffice = (app: RunningApp): ApiClient => apiAs(app, 'helpdesk.kill.pec', ['helpdesk-back-office-2']);

async function approve(api: ApiClient, task: UserTaskDetail, variables: Record<string, unknown>): Promise<void> {
  expect((await api.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
  const done = await api.post(`/api/tasks/${task.key}/complete`, { variables });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
}

/** A request for a mailbox of its own, approved: the instance goes on to create-pec-mailbox, then the link. */
async function approvedIssuance(app: RunningApp): Promise<string> {
  const api = backOffice(app);
  const res = await api.post<{ processInstanceKey: string }>('/api/helpdesk/pec-requests', {
    ...HOLDER,
    localPart: `kill.${randomUUID().slice(0, 8)}`,
    quotaMb: 1024,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const pi = res.body.processInstanceKey;
  await approve(api, await openTaskOf(api, pi, 'approve-request', 'helpdesk-pec-issuance'), {
    approvalOutcome: 'approve',
  });
  return pi;
}

/** A mailbox of its own and an approved change of it: the instance goes on to change-pec-mailbox, then the notice. */
async function approvedChange(app: RunningApp, change: 'quota' | 'delete'): Promise<string> {
  const address = `kill.change.${randomUUID().slice(0, 8)}@pec.basilicatanet.it`;
  await app.workerDeps.pec.createMailbox({ address, holder: HOLDER, quotaMb: 1024, requestKey: `kill:${address}` });
  const api = backOffice(app);
  const res = await api.post<{ processInstanceKey: string }>('/api/helpdesk/pec-changes', {
    address,
    change,
    ...(change === 'quota' ? { quotaMb: 2048 } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const pi = res.body.processInstanceKey;
  await approve(api, await openTaskOf(api, pi, 'approve-change', 'helpdesk-pec-change'), {
    changeOutcome: 'approve',
    ...(change === 'quota' ? { pecQuotaMb: 2048 } : {}),
  });
  return pi;
}

const variable = async (pi: string, name: string) =>
  (await testEngine().historicVariables({ processInstanceId: pi, variableName: name }))[0]?.value;

/**
 * The link sent is the one that works: one activation for the step, not superseded, and the
 * token in the one message sent hashes to it.
 */
async function oneWorkingLink(app: RunningApp, pi: string): Promise<void> {
  const activations: { token_sha256: string; superseded_at: Date | null }[] = await app.db.query(
    `SELECT token_sha256, superseded_at FROM pec_activations WHERE request_key LIKE $1`,
    [`pec-credentials:${pi}:%`],
  );
  expect(activations).toHaveLength(1);
  expect(activations[0]?.superseded_at).toBeNull();
  const sent: { status: string; text_body: string }[] = await app.db.query(
    `SELECT status, text_body FROM mail_outbox WHERE purpose = 'pec-activation' AND reference LIKE $1`,
    [`pec-credentials:${pi}:%`],
  );
  expect(sent.map((m) => m.status)).toEqual(['sent']);
  // The outbox keeps the mail without the link (the holder's copy has it): one link, one mail.
  expect(sent[0]?.text_body).toContain('[collegamento riservato al titolare]');
  expect(sent[0]?.text_body).not.toMatch(/token=/);
}

const changesOf = async (app: RunningApp, pi: string): Promise<{ kind: string }[]> =>
  app.db.query(`SELECT kind FROM pec_mailbox_changes WHERE request_key LIKE $1`, [`pec-change:${pi}:%`]);

/**
 * The PEC workers under the kill test (test/integration/kill.integration.spec.ts adds them to
 * its scenarios): the mailbox created once per request, the change made once per step, the
 * one-time link issued once and sent once (dying inside the provider's call or around SMTP),
 * the holder told once.
 */
export const PEC_KILL_SCENARIOS: KillScenario[] = [
  {
    worker: createPecMailbox,
    site: 'pec',
    reach: approvedIssuance,
    async verify(app, pi) {
      const rows: { status: string }[] = await app.db.query(`SELECT status FROM pec_mailboxes WHERE request_key = $1`, [
        `pec-issue:${pi}`,
      ]);
      expect(rows).toEqual([{ status: 'active' }]);
      expect(await variable(pi, 'pecOutcome')).toBe('created');
    },
  },
  {
    worker: deliverPecCredentials,
    site: 'pec',
    reach: approvedIssuance,
    verify: oneWorkingLink,
  },
  {
    worker: deliverPecCredentials,
    site: 'mail',
    reach: approvedIssuance,
    verify: oneWorkingLink,
  },
  {
    worker: changePecMailbox,
    site: 'pec',
    reach: (app) => approvedChange(app, 'quota'),
    async verify(app, pi) {
      expect(await changesOf(app, pi)).toEqual([{ kind: 'quota' }]);
      const address = String(await variable(pi, 'pecAddress'));
      expect((await app.workerDeps.pec.getMailbox(address))?.quotaMb).toBe(2048);
    },
  },
  {
    worker: changePecMailbox,
    site: 'pec',
    reach: (app) => approvedChange(app, 'delete'),
    async verify(app, pi) {
      expect(await changesOf(app, pi)).toEqual([{ kind: 'delete' }]);
      const address = String(await variable(pi, 'pecAddress'));
      expect((await app.workerDeps.pec.getMailbox(address))?.status).toBe('deleted');
      expect(await variable(pi, 'pecOutcome')).toBe('changed');
    },
  },
  {
    worker: notifyPecHolder,
    site: 'mail',
    reach: (app) => approvedChange(app, 'quota'),
    async verify(app, pi) {
      const sent: { status: string; to_address: string }[] = await app.db.query(
        `SELECT status, to_address FROM mail_outbox WHERE purpose = 'pec-quota-changed' AND reference LIKE $1`,
        [`${pi}:%`],
      );
      expect(sent).toEqual([{ status: 'sent', to_address: 'mario.rossi@example.org' }]);
    },
  },
];
