import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { startDovecot, type TestDovecot } from '../support/help-desk/dovecot.js';
import { startRequestTracker, type TestRequestTracker } from '../support/help-desk/request-tracker.js';
import { startSmtpReceiver, type TestSmtpReceiver } from '../support/help-desk/smtp-receiver.js';
import { citizenMail, intakeOf, precheck } from './support/mail.js';
import { openTaskOf } from './support/booking.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';
import { readContent } from '../../platform/content/content.js';

const HELPDESK = { user: 'helpdesk@regione.test', password: 'casella-di-prova-1' };

/**
 * The help desk against the real servers it meets in production: Dovecot (IMAP), Request
 * Tracker 5 (REST2) and an SMTP server (smtp-server) receiving what nodemailer sends.
 */
describe('help desk mail intake against Dovecot, Request Tracker 5 and SMTP', () => {
  let dovecot: TestDovecot;
  let rt: TestRequestTracker;
  let smtp: TestSmtpReceiver;
  let app: RunningApp;
  let backOffice: ApiClient;

  beforeAll(async () => {
    [dovecot, rt, smtp] = await Promise.all([startDovecot([HELPDESK]), startRequestTracker(), startSmtpReceiver()]);
    app = await startTestApp({
      HELPDESK_MAIL_DOMAIN: 'regione.test',
      MAIL_HELPDESK_IMAP_URL: `imap://${encodeURIComponent(HELPDESK.user)}:${encodeURIComponent(HELPDESK.password)}@127.0.0.1:${dovecot.port}/INBOX`,
      RT_URL: rt.url,
      RT_TOKEN: rt.token,
      SMTP_URL: smtp.url,
      TICKET_FOLLOW_SECONDS: '1',
    });
    backOffice = apiAs(app, 'helpdesk.rt', ['helpdesk-back-office-1']);
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([dovecot?.stop(), rt?.stop(), smtp?.close()]);
  });

  it('turns an IMAP mail with two attachments into one RT ticket with both, answers by SMTP and archives it in Dovecot', async () => {
    const pdf = randomBytes(300_000);
    const jpg = randomBytes(20_000);
    const messageId = `<rt-${Date.now()}@example.test>`;
    const raw = await citizenMail({
      to: HELPDESK.user,
      subject: 'Corso di formazione sulla firma digitale',
      text: 'Vorrei iscrivermi al corso; allego il modulo firmato e il documento.',
      messageId,
      attachments: [
        { filename: 'modulo firmato.pdf', content: pdf, contentType: 'application/pdf' },
        { filename: 'documento.jpg', content: jpg, contentType: 'image/jpeg' },
      ],
    });
    await dovecot.append(HELPDESK.user, raw);
    // The same message delivered a second time (a resend by the citizen's server) starts nothing more.
    await dovecot.append(HELPDESK.user, raw);
    const { id, processInstanceId } = await intakeOf(app, messageId);
    expect(await precheck(backOffice, processInstanceId, { precheckOutcome: 'ticket', queue: 'Formazione' })).toBe(200);
    await waitFor(
      async () => (await app.engine.historicProcessInstance(processInstanceId))?.state === 'COMPLETED',
      'the intake completed',
      60_000,
    );

    const mail = await app.workerDeps.mail.records.get(id);
    const ticket = await app.workerDeps.tickets.get(mail?.ticketId ?? '');
    expect(ticket).toMatchObject({ queue: 'Formazione', requestors: ['mario.rossi@example.test'] });
    expect(ticket?.customFields['Canale']).toBe('email');
    const files = await app.workerDeps.tickets.attachments(ticket?.id ?? '');
    expect(files.map((f) => f.filename).sort()).toEqual(['documento.jpg', 'modulo firmato.pdf']);
    const stored = await app.workerDeps.tickets.attachmentContent(
      ticket?.id ?? '',
      files.find((f) => f.filename === 'modulo firmato.pdf')?.id ?? '',
    );
    expect(stored && (await readContent(stored.content)).equals(pdf)).toBe(true);
    const sameKey = await app.workerDeps.tickets.search(`CF.{ContactCenterKey} = 'mail:${id}'`);
    expect(sameKey).toHaveLength(1);

    const answers = smtp.messages.filter((m) => m.parsed.inReplyTo === messageId);
    expect(answers).toHaveLength(1);
    const answer = answers[0];
    expect(answer?.envelopeTo).toEqual(['mario.rossi@example.test']);
    expect(answer?.parsed.subject).toBe(`[Ticket #${ticket?.id}] Corso di formazione sulla firma digitale`);
    expect(answer?.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(answer?.parsed.text).toContain(`numero di ticket ${ticket?.id}`);

    await waitFor(async () => (await dovecot.list(HELPDESK.user, 'Archivio')).length >= 1, 'archived in Dovecot');
    const archived = await dovecot.list(HELPDESK.user, 'Archivio');
    expect(archived.filter((m) => m.messageId === messageId)).toHaveLength(2);
    expect(await dovecot.list(HELPDESK.user, 'INBOX')).toEqual([]);
  });

  /** The instance a call activity of `parent` started, once it exists. */
  const calledBy = (parent: string) =>
    waitFor(async () => {
      const subs = await app.engine.request<{ id: string }[]>('GET', '/process-instance', {
        query: { superProcessInstance: parent },
      });
      return subs[0]?.id;
    }, `the sub-process of ${parent}`);

  const completeTask = async (pi: string, elementId: string, process: string, variables: Record<string, unknown>) => {
    const task = await openTaskOf(backOffice, pi, elementId, process);
    await backOffice.post(`/api/tasks/${task.key}/claim`);
    const res = await backOffice.post(`/api/tasks/${task.key}/complete`, { variables });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  it('runs a tributi request through missing documents, the citizen’s reply, the third level and RT’s resolution to the answer', async () => {
    const messageId = `<tributi-${Date.now()}@example.test>`;
    await dovecot.append(
      HELPDESK.user,
      await citizenMail({
        to: HELPDESK.user,
        subject: 'Avviso di accertamento tassa automobilistica 2024',
        text: 'Ho ricevuto un avviso di accertamento per il bollo già pagato.',
        messageId,
      }),
    );
    const intake = await intakeOf(app, messageId);
    expect(
      await precheck(backOffice, intake.processInstanceId, { precheckOutcome: 'ticket', queue: 'Tributi CSB' }),
    ).toBe(200);
    const tributi = await calledBy(intake.processInstanceId);
    const ticketId = (await app.workerDeps.mail.records.get(intake.id))?.ticketId ?? '';
    expect(ticketId).toMatch(/^\d+$/);

    // Incomplete: no identity document, no act number. The citizen is told what is missing.
    await completeTask(tributi, 'check-documents', 'helpdesk-tributi-check', {
      actType: 'tassa-automobilistica',
      actNumber: '',
      identityDocument: false,
      signedRequest: true,
      legibleAttachments: true,
      missingNote: '',
    });
    const asked = await waitFor(
      () =>
        Promise.resolve(
          smtp.messages.find((m) => m.parsed.subject?.startsWith(`[Ticket #${ticketId}] Documentazione da integrare`)),
        ),
      'the request for the missing documents',
    );
    expect(asked.parsed.text).toContain('documento di identità');
    expect(asked.parsed.text).toContain("numero dell'atto");
    expect(asked.parsed.text).not.toContain('richiesta firmata');

    // The citizen answers our mail with the documents: it goes to the ticket and back to the check.
    const replyId = `<tributi-reply-${Date.now()}@example.test>`;
    await dovecot.append(
      HELPDESK.user,
      await citizenMail({
        to: HELPDESK.user,
        subject: `Re: ${asked.parsed.subject ?? ''}`,
        text: 'Allego la carta di identità; l’atto è il numero 2024/000123.',
        messageId: replyId,
        headers: { 'In-Reply-To': asked.parsed.messageId ?? '' },
        attachments: [{ filename: 'carta-identita.pdf', content: randomBytes(4000), contentType: 'application/pdf' }],
      }),
    );
    const reply = await intakeOf(app, replyId);
    await waitFor(
      async () => (await app.engine.historicProcessInstance(reply.processInstanceId))?.state === 'COMPLETED',
      'the reply linked and archived',
    );
    const files = await app.workerDeps.tickets.attachments(ticketId);
    expect(files.map((f) => f.filename)).toContain('carta-identita.pdf');

    // Complete now: to the Dipartimento Tributi's queue in RT.
    await completeTask(tributi, 'check-documents', 'helpdesk-tributi-check', {
      actType: 'tassa-automobilistica',
      actNumber: '2024/000123',
      identityDocument: true,
      signedRequest: true,
      legibleAttachments: true,
    });
    const thirdLevel = await calledBy(tributi);
    await waitFor(
      async () => (await app.workerDeps.tickets.get(ticketId))?.queue === 'Dipartimento Tributi',
      'the ticket in the department queue',
    );
    // The office answers and resolves it in RT; the flow notices and tells the citizen the outcome.
    // (RT keeps times to the second: the answer comes after the move, as it does in an office.)
    await new Promise((r) => setTimeout(r, 1100));
    await app.workerDeps.tickets.addMessage(ticketId, {
      kind: 'comment',
      content: 'Avviso annullato in autotutela: il pagamento del 2024 risulta regolare.',
      requestKey: `ufficio:${ticketId}`,
    });
    await app.workerDeps.tickets.update(ticketId, { status: 'resolved' });
    await waitFor(
      async () => (await app.engine.historicProcessInstance(thirdLevel))?.state === 'COMPLETED',
      'the third level done',
      60_000,
    );
    const outcome = smtp.messages.filter((m) => m.parsed.subject?.startsWith(`[Ticket #${ticketId}] Esito`));
    expect(outcome).toHaveLength(1);
    expect(outcome[0]?.envelopeTo).toEqual(['mario.rossi@example.test']);
    expect(outcome[0]?.parsed.text).toContain('Avviso annullato in autotutela');
    await waitFor(
      async () => (await app.engine.historicProcessInstance(intake.processInstanceId))?.state === 'COMPLETED',
      'the whole request completed',
    );
    const history = await app.workerDeps.tickets.history(ticketId);
    expect(history.some((t) => t.field === 'Queue')).toBe(true);
    expect(history.some((t) => t.type === 'Status' && t.newValue === 'resolved')).toBe(true);
  });
});
