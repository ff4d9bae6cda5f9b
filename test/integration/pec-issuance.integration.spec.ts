import { randomUUID } from 'node:crypto';
import type { OutgoingMail } from '../../adapters/mail/mail-transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { LocalPecProvider } from '../../adapters/pec/local-pec-provider.js';
import { PecRejectedError } from '../../adapters/pec/pec-provider.js';
import { openTaskOf, outcomesOf } from './support/booking.js';
import { testEngine } from './support/clock.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';

/** People of the local identity registry (migration 1763900000020). */
const MARIO = { fiscalCode: 'RSSMRA80A01G942K', givenName: 'Mario', familyName: 'Rossi' };
const GIULIA = { fiscalCode: 'BNCGLI92L55F052T', givenName: 'Giulia', familyName: 'Bianchi' };
const ANTONIO = { fiscalCode: 'LRSNTN75C20F104N', givenName: 'Antonio', familyName: 'Lorusso' };
/** A valid fiscal code nobody registered on IMS. */
const NOBODY = 'VRDLCU85D12G942N';

const ISSUANCE = 'helpdesk-pec-issuance';
const CHANGE = 'helpdesk-pec-change';

interface OutboxRow {
  to_address: string;
  subject: string;
  text_body: string;
  status: string;
}

describe('PEC mailboxes: issuance and changes through the postmaster (R4), with the identity registry (R7)', () => {
  let app: RunningApp;
  let backOffice: ApiClient;
  let pec: LocalPecProvider;
  const tag = randomUUID().slice(0, 8);

  /** What left through the (local) transport: the holder's mail with the real link. */
  const delivered: OutgoingMail[] = [];
  /** What left through the SMS gateway: the holder's text with the real link. */
  const texted: { to: string; body: string }[] = [];
  beforeAll(async () => {
    app = await startTestApp(
      {},
      {
        sms: {
          provider: 'local',
          sender: 'CUP Basilicata',
          answerTimeoutMs: 0,
          send: (m) => {
            texted.push({ to: m.to, body: m.body });
            return Promise.resolve({ providerSid: `SM${randomUUID().replace(/-/g, '')}`, status: 'delivered' });
          },
          findSent: () => Promise.resolve(undefined),
        },
        mailTransport: {
          kind: 'local',
          answerTimeoutMs: 0,
          send: (m) => {
            delivered.push(m);
            return Promise.resolve({ response: 'conservato' });
          },
        },
      },
    );
    backOffice = apiAs(app, 'pec.backoffice', ['helpdesk-back-office-2']);
    pec = app.workerDeps.pec as LocalPecProvider;
  });
  afterAll(async () => {
    await app?.stop();
  });

  const ticket = async (subject: string) =>
    (
      await app.workerDeps.tickets.create({
        queue: 'PEC',
        subject,
        requestor: 'richiedente@example.org',
        content: 'Richiesta ricevuta al telefono.',
        requestKey: `it-pec:${randomUUID()}`,
      })
    ).id;

  const complete = async (pi: string, elementId: string, process: string, variables: Record<string, unknown>) => {
    const task = await openTaskOf(backOffice, pi, elementId, process);
    expect((await backOffice.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    const done = await backOffice.post(`/api/tasks/${task.key}/complete`, { variables });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    return task;
  };

  const ticketStatus = (id: string, status: string) =>
    waitFor(
      async () => (await app.workerDeps.tickets.get(id))?.status === status || undefined,
      `ticket ${id} ${status}`,
    );

  const outbox = (purpose: string, pi: string): Promise<OutboxRow[]> =>
    app.db.query(
      `SELECT to_address, subject, text_body, status FROM mail_outbox WHERE purpose = $1 AND reference LIKE $2`,
      [purpose, `%${pi}:%`],
    );

  const ended = (pi: string) =>
    waitFor(
      async () => (await testEngine().historicProcessInstance(pi))?.state === 'COMPLETED' || undefined,
      `instance ${pi} completed`,
    );

  const request = (body: Record<string, unknown>) =>
    backOffice.post<{ processInstanceKey: string; ticketId: string; address: string }>(
      '/api/helpdesk/pec-requests',
      body,
    );

  it('issues a mailbox: identity shown from IMS, approved, created once, a one-time link (no password), ticket resolved', async () => {
    const ticketId = await ticket('Richiesta casella PEC');
    const localPart = `mario.rossi.${tag}`;
    const started = await request({ ...MARIO, localPart, quotaMb: 1024, ticketId });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const pi = started.body.processInstanceKey;
    const address = `${localPart}@pec.basilicatanet.it`;
    expect(started.body.address).toBe(address);

    // The approver sees the identity check: registration, PIN, the contacts confirmed on IMS.
    const task = await complete(pi, 'approve-request', ISSUANCE, {
      approvalOutcome: 'approve',
      deliveryEmail: 'mario.rossi@example.org',
      approvalNote: 'Identità confermata al telefono',
    });
    expect(task.variables).toMatchObject({
      identityFound: true,
      identityRegistration: 'registered',
      identityPin: 'issued',
      identityNamesMatch: true,
      deliveryEmail: 'mario.rossi@example.org',
      deliveryMobile: '+393331234567',
    });
    expect(String(task.variables['identityNote'])).toMatch(/registrato.*PIN rilasciato/s);
    expect(task.candidateGroups).toEqual(['helpdesk-back-office-2']);

    await ticketStatus(ticketId, 'resolved');
    await ended(pi);
    const mailbox = await pec.getMailbox(address);
    expect(mailbox).toMatchObject({
      status: 'active',
      quotaMb: 1024,
      activated: false,
      holder: { fiscalCode: MARIO.fiscalCode, givenName: 'Mario', familyName: 'Rossi' },
    });

    // One message, to the personal email, with a one-time link and no password.
    const sent = await outbox('pec-activation', pi);
    expect(sent).toHaveLength(1);
    const [mail] = sent;
    expect(mail).toMatchObject({ to_address: 'mario.rossi@example.org', status: 'sent' });
    expect(mail?.subject).toContain(`[Ticket #${ticketId}]`);
    expect(mail?.text_body).toContain(address);
    expect(mail?.text_body).not.toMatch(/password\s*(provvisoria)?\s*[:=]/i);
    // The outbox, which the back office reads, keeps the text without the link; the holder got it.
    expect(mail?.text_body).toContain('[collegamento riservato al titolare]');
    expect(mail?.text_body).not.toMatch(/token=/);
    const holderMail = delivered.find((m) => m.to === 'mario.rossi@example.org' && m.text.includes(address));
    const token = /attivazione\?token=([\w-]+)/.exec(holderMail?.text ?? '')?.[1];
    expect(token).toBeTruthy();
    // The link never becomes a process variable (an analyst reads those).
    const variables = await testEngine().historicVariables({ processInstanceId: pi });
    expect(JSON.stringify(variables)).not.toContain(token);
    expect(variables.find((v) => v.name === 'credentialsChannel')?.value).toBe('email');
    // It works once.
    expect(await pec.redeemActivation(token ?? '')).toEqual({ address });
    expect(await pec.redeemActivation(token ?? '')).toEqual({ refused: 'link già usato' });
    expect((await pec.getMailbox(address))?.activated).toBe(true);

    // Every worker completed: no incident; the lookup of IMS was audited for the instance.
    expect((await outcomesOf(app, pi)).filter((o) => o.outcome !== 'completed')).toEqual([]);
    const audited: unknown[] = await app.db.query(
      `SELECT 1 FROM audit_events WHERE action = 'personal-data.read' AND subject_type = 'identity'
          AND subject_id = $1 AND detail->>'processInstanceKey' = $2`,
      [MARIO.fiscalCode, pi],
    );
    expect(audited).toHaveLength(1);
    const history = await app.workerDeps.tickets.history(ticketId);
    expect(history.some((t) => t.type === 'Comment')).toBe(true);
  });

  it('sends an address already taken back to the operator, who chooses another; an impossible size can be given up', async () => {
    const taken = `giulia.bianchi.${tag}`;
    await pec.createMailbox({
      address: `${taken}@pec.basilicatanet.it`,
      holder: { ...GIULIA },
      quotaMb: 1024,
      requestKey: `it-pec-taken:${tag}`,
    });
    const ticketId = await ticket('Casella PEC per Giulia Bianchi');
    const started = await request({ ...GIULIA, localPart: taken, ticketId });
    expect(started.status).toBe(201);
    const pi = started.body.processInstanceKey;
    await complete(pi, 'approve-request', ISSUANCE, { approvalOutcome: 'approve' });

    // A business outcome, not an incident: the correction task with the postmaster's reason.
    const fix = await complete(pi, 'fix-request', ISSUANCE, {
      fixOutcome: 'retry',
      pecMailboxName: `giulia.bianchi2.${tag}`,
      pecDomain: 'pec.basilicatanet.it',
      pecQuotaMb: 1024,
    });
    expect(fix.variables['pecRejectionCode']).toBe('address-taken');
    expect(String(fix.variables['pecRejectionNote'])).toMatch(/indirizzo già esistente.*scegliere un altro indirizzo/);
    expect(fix.candidateGroups).toEqual(['helpdesk-back-office']);

    await ticketStatus(ticketId, 'resolved');
    expect((await pec.getMailbox(`giulia.bianchi2.${tag}@pec.basilicatanet.it`))?.holder.fiscalCode).toBe(
      GIULIA.fiscalCode,
    );
    expect(await outbox('pec-activation', pi)).toHaveLength(1);
    const incidents = await testEngine().historicIncidents({ processInstanceId: pi });
    expect(incidents).toEqual([]);

    // 5 GB is for the entities' domains: refused on the citizens' one; the operator gives up.
    const bigTicket = await ticket('Casella PEC grande');
    const big = await request({ ...GIULIA, localPart: `giulia.grande.${tag}`, quotaMb: 5120, ticketId: bigTicket });
    const bigPi = big.body.processInstanceKey;
    await complete(bigPi, 'approve-request', ISSUANCE, { approvalOutcome: 'approve' });
    const giveUp = await complete(bigPi, 'fix-request', ISSUANCE, {
      fixOutcome: 'abandon',
      pecMailboxName: `giulia.grande.${tag}`,
      pecDomain: 'pec.basilicatanet.it',
      pecQuotaMb: 5120,
      refusalNote: 'Le caselle dei cittadini arrivano a 2 GB.',
    });
    expect(String(giveUp.variables['pecRejectionNote'])).toMatch(/quota oltre il limite/);
    await ticketStatus(bigTicket, 'rejected');
    const told = await outbox('pec-request-refused', bigPi);
    expect(told).toHaveLength(1);
    expect(told[0]?.text_body).toContain('Le caselle dei cittadini arrivano a 2 GB.');
    expect(await pec.getMailbox(`giulia.grande.${tag}@pec.basilicatanet.it`)).toBeUndefined();
  });

  it('refuses at once a request with an invalid fiscal code or address, and the provider refuses them too', async () => {
    const bad = await request({ ...MARIO, fiscalCode: 'RSSMRA80A01G942X', localPart: 'mario' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/carattere di controllo/);
    expect((await request({ ...MARIO, localPart: '.mario..rossi' })).status).toBe(400);
    expect((await request({ ...MARIO, localPart: 'mario', quotaMb: 3000 })).status).toBe(400);

    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: unknown) => (err instanceof PecRejectedError ? err.message : String(err)),
      );
    const holder = { ...MARIO };
    expect(
      await refusal(
        pec.createMailbox({
          address: `x.${tag}@pec.basilicatanet.it`,
          holder: { ...holder, fiscalCode: 'RSSMRA80A01G942X' },
          quotaMb: 1024,
          requestKey: `it-bad-cf:${tag}`,
        }),
      ),
    ).toMatch(/^codice fiscale non valido/);
    expect(
      await refusal(
        pec.createMailbox({ address: `x.${tag}@pec.example.org`, holder, quotaMb: 1024, requestKey: `it-dom:${tag}` }),
      ),
    ).toMatch(/^dominio non gestito/);
    expect(
      await refusal(
        pec.createMailbox({
          address: `x.${tag}@pec.basilicatanet.it`,
          holder,
          quotaMb: 4096,
          requestKey: `it-quota:${tag}`,
        }),
      ),
    ).toMatch(/^quota oltre il limite/);
    // An entity's dedicated domain allows 5 GB.
    const entity = await pec.createMailbox({
      address: `ufficio.${tag}@cert.regione.basilicata.it`,
      holder,
      quotaMb: 5120,
      requestKey: `it-entity:${tag}`,
    });
    expect(entity.quotaMb).toBe(5120);
    // The same request key gives back the same mailbox; another key cannot take its address.
    const again = await pec.createMailbox({
      address: `ufficio.${tag}@cert.regione.basilicata.it`,
      holder,
      quotaMb: 5120,
      requestKey: `it-entity:${tag}`,
    });
    expect(again.createdAt).toBe(entity.createdAt);
    expect(
      await refusal(
        pec.createMailbox({
          address: `UFFICIO.${tag}@cert.regione.basilicata.it`,
          holder,
          quotaMb: 1024,
          requestKey: `it-entity-2:${tag}`,
        }),
      ),
    ).toMatch(/^indirizzo già esistente/);
  });

  it('changes a mailbox as flows: a size the provider refuses goes back to the approver, then the size, then the deletion', async () => {
    const address = `antonio.lorusso.${tag}@pec.basilicatanet.it`;
    await pec.createMailbox({
      address,
      holder: { ...ANTONIO, phone: '+393471234568' },
      quotaMb: 1024,
      requestKey: `it-pec-antonio:${tag}`,
    });
    const ticketId = await ticket('Aumento dimensione casella PEC');
    const started = await backOffice.post<{ processInstanceKey: string }>('/api/helpdesk/pec-changes', {
      address,
      change: 'quota',
      quotaMb: 5120,
      ticketId,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const pi = started.body.processInstanceKey;
    const first = await complete(pi, 'approve-change', CHANGE, { changeOutcome: 'approve', pecQuotaMb: 5120 });
    expect(first.variables).toMatchObject({ identityRegistration: 'registered', deliveryMobile: '+393471234568' });
    expect(first.variables['deliveryEmail']).toBeNull();
    // Refused by the provider (2 GB at most on the citizens' domain): back to the approver, with the reason.
    const second = await complete(pi, 'approve-change', CHANGE, { changeOutcome: 'approve', pecQuotaMb: 2048 });
    expect(String(second.variables['pecRejectionNote'])).toMatch(/quota oltre il limite/);
    await ticketStatus(ticketId, 'resolved');
    expect((await pec.getMailbox(address))?.quotaMb).toBe(2048);
    // No email on IMS: the holder is told by SMS, once.
    const sms: { body: string }[] = await app.db.query(
      `SELECT body FROM sms_messages WHERE purpose = 'pec-quota-changed' AND reference LIKE $1`,
      [`${pi}:%`],
    );
    expect(sms).toHaveLength(1);
    expect(sms[0]?.body).toContain('2048 MB');

    // The deletion, from the workspace without a ticket: one is opened in the PEC queue.
    const deletion = await backOffice.post<{ processInstanceKey: string; ticketId: string }>(
      '/api/helpdesk/pec-changes',
      { address, change: 'delete', note: 'Il titolare non usa più la casella' },
    );
    expect(deletion.status).toBe(201);
    expect((await app.workerDeps.tickets.get(deletion.body.ticketId))?.queue).toBe('PEC');
    await complete(deletion.body.processInstanceKey, 'approve-change', CHANGE, { changeOutcome: 'approve' });
    await ticketStatus(deletion.body.ticketId, 'resolved');
    expect((await pec.getMailbox(address))?.status).toBe('deleted');
    const deletedSms: unknown[] = await app.db.query(
      `SELECT 1 FROM sms_messages WHERE purpose = 'pec-deleted' AND reference LIKE $1`,
      [`${deletion.body.processInstanceKey}:%`],
    );
    expect(deletedSms).toHaveLength(1);
    // A deleted mailbox takes no more changes, and its address is never given again.
    expect(
      (await backOffice.post('/api/helpdesk/pec-changes', { address, change: 'quota', quotaMb: 1024 })).status,
    ).toBe(404);
    await expect(
      pec.createMailbox({ address, holder: { ...ANTONIO }, quotaMb: 1024, requestKey: `it-reuse:${tag}` }),
    ).rejects.toThrow(/indirizzo già esistente/);
    for (const p of [started.body.processInstanceKey, deletion.body.processInstanceKey]) {
      expect((await outcomesOf(app, p)).filter((o) => o.outcome !== 'completed')).toEqual([]);
    }
  });

  /** A password change of `address` from the workspace, approved, its ticket resolved: the instance. */
  async function changePassword(address: string): Promise<string> {
    const started = await backOffice.post<{ processInstanceKey: string; ticketId: string }>(
      '/api/helpdesk/pec-changes',
      { address, change: 'password' },
    );
    expect(started.status).toBe(201);
    const pi = started.body.processInstanceKey;
    await complete(pi, 'approve-change', CHANGE, { changeOutcome: 'approve' });
    await ticketStatus(started.body.ticketId, 'resolved');
    return pi;
  }

  it('sends the password-change form as a new one-time link that voids the earlier ones', async () => {
    const address = `mario.password.${tag}@pec.basilicatanet.it`;
    await pec.createMailbox({ address, holder: { ...MARIO }, quotaMb: 1024, requestKey: `it-pwd:${tag}` });
    const earlier = await pec.issuePasswordReset({ address, requestKey: `it-pwd-link:${tag}`, kind: 'activation' });
    const pi = await changePassword(address);
    const sent = await outbox('pec-password-reset', pi);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to_address).toBe('mario.rossi@example.org');
    expect(sent[0]?.text_body).not.toMatch(/token=/);
    const reset = delivered.filter((m) => m.text.includes('token=')).at(-1);
    const token = /token=([\w-]+)/.exec(reset?.text ?? '')?.[1] ?? '';
    const earlierToken = new URL(earlier.activationUrl).searchParams.get('token') ?? '';
    expect(await pec.redeemActivation(earlierToken)).toEqual({ refused: 'link sostituito da uno più recente' });
    expect(await pec.redeemActivation(token)).toEqual({ address });
  });

  it('sends a holder without email the one-time link by SMS, and keeps the SMS without it', async () => {
    const address = `antonio.sms.${tag}@pec.basilicatanet.it`;
    await pec.createMailbox({
      address,
      holder: { ...ANTONIO, phone: '+393471234569' },
      quotaMb: 1024,
      requestKey: `it-pwd-sms:${tag}`,
    });
    const pi = await changePassword(address);
    const sms: { body: string; status: string }[] = await app.db.query(
      `SELECT body, status FROM sms_messages WHERE purpose = 'pec-password-reset' AND reference LIKE $1`,
      [`pec-credentials:${pi}:%`],
    );
    expect(sms).toHaveLength(1);
    expect(sms[0]?.body).toContain('[collegamento riservato al titolare]');
    expect(sms[0]?.body).not.toMatch(/token=/);
    // The holder's phone (IMS's number) got the link, and it works.
    const text = texted.find((t) => t.body.includes(address) && t.body.includes('token='));
    const token = /token=([\w-]+)/.exec(text?.body ?? '')?.[1] ?? '';
    expect(await pec.redeemActivation(token)).toEqual({ address });
  });

  it('shows a person’s IMS registration to the help desk, audited, found or not', async () => {
    const found = await backOffice.get<{ contacts: { email: string }; pin: { state: string } }>(
      `/api/helpdesk/identity/${GIULIA.fiscalCode.toLowerCase()}`,
    );
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({
      contacts: { email: 'giulia.bianchi@example.org' },
      pin: { state: 'requested' },
    });
    expect((await backOffice.get(`/api/helpdesk/identity/${NOBODY}`)).status).toBe(404);
    expect((await backOffice.get('/api/helpdesk/identity/RSSMRA80A01G942X')).status).toBe(400);
    const audited: { subject_id: string; detail: { found: boolean } }[] = await app.db.query(
      `SELECT subject_id, detail FROM audit_events
        WHERE actor = 'pec.backoffice' AND subject_type = 'identity'
        ORDER BY id`,
    );
    expect(audited.map((a) => [a.subject_id, a.detail.found])).toEqual([
      [GIULIA.fiscalCode, true],
      [NOBODY, false],
    ]);
    const operator = apiAs(app, 'pec.operatore', ['helpdesk-operator']);
    expect((await operator.get(`/api/helpdesk/identity/${MARIO.fiscalCode}`)).status).toBe(200);
    expect((await operator.post('/api/helpdesk/pec-requests', { ...MARIO, localPart: 'x' })).status).toBe(403);
  });
});
