import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { startDovecot, type TestDovecot } from '../support/help-desk/dovecot.js';
import { startRequestTracker, type TestRequestTracker } from '../support/help-desk/request-tracker.js';
import { startSmtpReceiver, type TestSmtpReceiver } from '../support/help-desk/smtp-receiver.js';
import { citizenMail, intakeOf, precheck } from './support/mail.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';

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
    expect(stored?.content.equals(pdf)).toBe(true);
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
});
