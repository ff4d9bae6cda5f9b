import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { freePorts } from '../support/ports.js';
import { citizenMail, intakeOf, precheck, sendToLocalMailbox } from './support/mail.js';
import { deliverLocally } from '../../adapters/mail/local-mailbox.js';
import { malformedCorpus } from '../support/malformed-mail.js';
import { envelope, ORIGINAL } from '../support/pec-mail.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';
import { readContent } from '../../platform/content/content.js';

describe('help desk mail intake on the embedded default (local mailboxes, ticket store and outbox)', () => {
  let app: RunningApp;
  let backOffice: ApiClient;
  beforeAll(async () => {
    const [smtpPort] = (await freePorts(1)) as [number];
    // The malformed corpus's "over the limit" case is built for 1 MB of attachments.
    app = await startTestApp({ LOCAL_SMTP_PORT: String(smtpPort), MAIL_MAX_ATTACHMENTS_MB: '1' });
    backOffice = apiAs(app, 'helpdesk.uno', ['helpdesk-back-office-1']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const completed = (id: string) =>
    waitFor(
      async () => (await app.engine.historicProcessInstance(id))?.state === 'COMPLETED',
      `intake ${id} completed`,
    );

  it('turns a mail with two attachments into one ticket with both, acknowledges it with the number and archives it', async () => {
    const pdf = randomBytes(200_000);
    const png = randomBytes(5_000);
    const messageId = `<intake-${Date.now()}@example.test>`;
    const raw = await citizenMail({
      subject: 'Richiesta di rimborso bollo auto',
      text: 'Buongiorno, allego la ricevuta del pagamento e la carta di identità.',
      messageId,
      attachments: [
        { filename: 'ricevuta.pdf', content: pdf, contentType: 'application/pdf' },
        { filename: 'documento.png', content: png, contentType: 'image/png' },
      ],
    });
    await sendToLocalMailbox(app, raw);
    const { id, processInstanceId } = await intakeOf(app, messageId);

    const mail = await app.workerDeps.mail.records.get(id);
    expect(mail?.suggestedQueue).toBe('Tributi CSB');
    // The operator may choose another queue than the one proposed (a Tributi CSB ticket goes on to its document check).
    expect(await precheck(backOffice, processInstanceId, { precheckOutcome: 'ticket', queue: 'Servizi on line' })).toBe(
      200,
    );
    await completed(processInstanceId);

    const after = await app.workerDeps.mail.records.get(id);
    expect(after?.ticketId).toBeTruthy();
    expect(after?.archivedAt).toBeTruthy();
    const tickets = app.workerDeps.tickets;
    const ticket = await tickets.get(after?.ticketId ?? '');
    expect(ticket).toMatchObject({ queue: 'Servizi on line', requestors: ['mario.rossi@example.test'] });
    const files = await tickets.attachments(ticket?.id ?? '');
    expect(files.map((f) => f.filename).sort()).toEqual(['documento.png', 'ricevuta.pdf']);
    const stored = await tickets.attachmentContent(
      ticket?.id ?? '',
      files.find((f) => f.filename === 'ricevuta.pdf')?.id ?? '',
    );
    expect(stored && (await readContent(stored.content)).equals(pdf)).toBe(true);

    const outbox: { to_address: string; subject: string; text_body: string; in_reply_to: string; status: string }[] =
      await app.db.query(`SELECT * FROM mail_outbox WHERE reference = $1`, [id]);
    expect(outbox).toHaveLength(1);
    expect(outbox[0]).toMatchObject({ to_address: 'mario.rossi@example.test', in_reply_to: messageId, status: 'sent' });
    expect(outbox[0]?.subject).toContain(`[Ticket #${ticket?.id}]`);
    expect(outbox[0]?.text_body).toContain(`numero di ticket ${ticket?.id}`);

    const folders: { folder: string }[] = await app.db.query(
      `SELECT folder FROM local_mailbox_messages WHERE mailbox = 'helpdesk' AND uid = $1`,
      [after?.uid],
    );
    expect(folders[0]?.folder).toBe('Archivio');
  });

  it('starts one intake for a mail delivered twice, and for its copy in a second mailbox', async () => {
    const messageId = `<twice-${Date.now()}@example.test>`;
    const raw = await citizenMail({
      subject: 'Accesso ai servizi on line',
      text: 'Non riesco ad accedere.',
      messageId,
    });
    await sendToLocalMailbox(app, raw);
    await sendToLocalMailbox(app, raw);
    await sendToLocalMailbox(app, raw, 'tributi@helpdesk.local');
    const { processInstanceId } = await intakeOf(app, messageId);
    const rows = await waitFor(async () => {
      const r: { status: string; archived_at: Date | null }[] = await app.db.query(
        `SELECT status, archived_at FROM mail_messages WHERE message_id = $1`,
        [messageId],
      );
      return r.length === 3 && r.filter((x) => x.status === 'duplicate').every((x) => x.archived_at) ? r : undefined;
    }, 'the three deliveries recorded, the copies archived');
    expect(rows.filter((r) => r.status !== 'duplicate')).toHaveLength(1);
    const started = await app.engine.historicProcessInstances({
      processDefinitionKey: 'helpdesk-mail-intake',
      variables: [{ name: 'mailId', operator: 'eq', value: (await intakeOf(app, messageId)).id }],
    });
    expect(started.map((s) => s.id)).toEqual([processInstanceId]);
  });

  it('never acknowledges an auto-reply: it is archived without a ticket', async () => {
    const messageId = `<ooo-${Date.now()}@example.test>`;
    const raw = await citizenMail({
      subject: 'Risposta automatica: fuori ufficio',
      text: 'Sono fuori ufficio fino a lunedì.',
      messageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    await sendToLocalMailbox(app, raw);
    const { id, processInstanceId } = await intakeOf(app, messageId);
    await completed(processInstanceId);
    const mail = await app.workerDeps.mail.records.get(id);
    expect(mail).toMatchObject({ automatic: 'auto-reply', ticketId: null });
    expect(mail?.archivedAt).toBeTruthy();
    const outbox: unknown[] = await app.db.query(`SELECT 1 FROM mail_outbox WHERE reference = $1`, [id]);
    expect(outbox).toHaveLength(0);
  });

  it('quarantines every message of a hostile or malformed corpus with its reason, loses none, and goes on', async () => {
    const corpus = malformedCorpus(`it-${Date.now()}`);
    const uids: number[] = [];
    for (const c of corpus) uids.push(await deliverLocally(app.db, 'helpdesk', c.raw));
    const after = `<after-corpus-${Date.now()}@example.test>`;
    await deliverLocally(
      app.db,
      'helpdesk',
      await citizenMail({ subject: 'Dopo', text: 'Un messaggio normale.', messageId: after }),
    );

    const rows = await waitFor(async () => {
      const r: { uid: string; status: string; quarantine_reason: string | null; process_instance_id: string | null }[] =
        await app.db.query(
          `SELECT uid, status, quarantine_reason, process_instance_id FROM mail_messages
            WHERE mailbox = 'helpdesk' AND uid = ANY($1::bigint[])`,
          [uids],
        );
      return r.length === uids.length && r.every((x) => x.process_instance_id) ? r : undefined;
    }, 'every message of the corpus recorded and started');
    const byUid = new Map(rows.map((r) => [Number(r.uid), r]));
    corpus.forEach((c, i) => {
      const row = byUid.get(uids[i] ?? -1);
      expect(row?.status, c.name).toBe('quarantined');
      expect(row?.quarantine_reason, c.name).toMatch(c.reason);
    });
    const first = rows[0]?.process_instance_id ?? '';
    await waitFor(async () => {
      const tasks = await app.engine.request<{ taskDefinitionKey: string }[]>('GET', '/task', {
        query: { processInstanceId: first },
      });
      return tasks.some((t) => t.taskDefinitionKey === 'review-quarantine') || undefined;
    }, 'the quarantine review task');
    // Attachments over the limit are refused with a notice to the sender, without a review.
    const oversize = rows.find((r) => r.quarantine_reason?.startsWith('Allegati oltre il limite'));
    const notice = await waitFor(async () => {
      const rowsOut: { subject: string; to_address: string; text_body: string }[] = await app.db.query(
        `SELECT o.subject, o.to_address, o.text_body FROM mail_outbox o JOIN mail_messages m ON m.id::text = o.reference
          WHERE m.process_instance_id = $1`,
        [oversize?.process_instance_id],
      );
      return rowsOut[0];
    }, 'the notice to the sender of the oversize message');
    expect(notice.subject).toMatch(/^Messaggio non accettato: allegati troppo grandi/);
    expect(notice.to_address).toBe('mario.rossi@example.test');
    expect(notice.text_body).toContain('limite di 1 MB');
    // The intake went on after the corpus: the ordinary message behind it is at its pre-check.
    const { processInstanceId } = await intakeOf(app, after);
    expect(await precheck(backOffice, processInstanceId, { precheckOutcome: 'spam', queue: 'Generale' })).toBe(200);
  });

  it('opens a PEC envelope into a ticket with the citizen’s message and the envelope as evidence, and links the receipts of our answer to it', async () => {
    const stamp = Date.now();
    const citizenId = `<pec-${stamp}@mail.example.it>`;
    const original = ORIGINAL.replace('<CAF1234@mail.example.it>', citizenId);
    const raw = envelope({ original, msgid: citizenId, identificativo: `opec.${stamp}@pec.aruba.it` });
    await deliverLocally(app.db, 'pec', raw);
    const { id, processInstanceId } = await intakeOf(app, citizenId);
    const mail = await app.workerDeps.mail.records.get(id);
    expect(mail).toMatchObject({ channel: 'pec', fromAddress: 'mario.rossi@pec.example.it', suggestedQueue: 'PEC' });
    expect(mail?.pec).toMatchObject({ tipo: 'posta-certificata', identificativo: `opec.${stamp}@pec.aruba.it` });
    expect(await precheck(backOffice, processInstanceId, { precheckOutcome: 'ticket', queue: 'PEC' })).toBe(200);
    await completed(processInstanceId);

    const ticketId = (await app.workerDeps.mail.records.get(id))?.ticketId ?? '';
    const files = await app.workerDeps.tickets.attachments(ticketId);
    expect(files.map((f) => f.filename).sort()).toEqual(['avviso.pdf', 'busta-pec.eml']);
    const evidence = await app.workerDeps.tickets.attachmentContent(
      ticketId,
      files.find((f) => f.filename === 'busta-pec.eml')?.id ?? '',
    );
    expect(evidence && (await readContent(evidence.content)).equals(raw)).toBe(true);
    expect((await app.workerDeps.tickets.get(ticketId))?.customFields['Canale']).toBe('pec');

    // The provider's receipts of our acknowledgement come back to the PEC mailbox.
    const [ack] = await app.workerDeps.mail.records.outbox(5, id);
    expect(ack).toBeDefined();
    for (const tipo of ['accettazione', 'avvenuta-consegna']) {
      await deliverLocally(
        app.db,
        'pec',
        envelope({
          tipo,
          withOriginal: false,
          msgid: ack?.messageId.slice(1, -1),
          identificativo: `r-${tipo}-${stamp}`,
        }),
      );
    }
    const linked = await waitFor(async () => {
      const [item] = await app.workerDeps.mail.records.outbox(5, id);
      return item && item.pecReceipts.length === 2 ? item : undefined;
    }, 'both receipts linked to our acknowledgement');
    expect(linked.pecReceipts.map((r) => r.tipo).sort()).toEqual(['accettazione', 'avvenuta-consegna']);
    // Receipts open no ticket and wait for nobody.
    for (const r of linked.pecReceipts) {
      const receipt = await waitFor(async () => {
        const m = await app.workerDeps.mail.records.get(r.mailId);
        return m?.processInstanceId ? m : undefined;
      }, 'the receipt’s intake');
      expect(receipt).toMatchObject({ automatic: 'pec-receipt', ticketId: null });
      await completed(receipt.processInstanceId ?? '');
    }
  });

  /** The failure report's intake is linked to `ticketId` and asks the back office to reach the requester. */
  async function expectBouncedReply(processInstanceId: string, ticketId: string | null | undefined) {
    const vars = await app.engine.historicVariables({ processInstanceId, variableName: 'bouncedTicket' });
    expect(vars[0]?.value).toBe(ticketId);
    await waitFor(async () => {
      const tasks = await app.engine.request<{ taskDefinitionKey: string }[]>('GET', '/task', {
        query: { processInstanceId },
      });
      return tasks.some((t) => t.taskDefinitionKey === 'bounced-reply') || undefined;
    }, 'the bounced-reply task');
  }

  it('treats a PEC provider’s delivery failure about our answer as a bounce: linked to its ticket, a task for the back office', async () => {
    const stamp = Date.now();
    const citizenId = `<pec-fail-${stamp}@mail.example.it>`;
    const original = ORIGINAL.replace('<CAF1234@mail.example.it>', citizenId);
    await deliverLocally(
      app.db,
      'pec',
      envelope({ original, msgid: citizenId, identificativo: `opec.f${stamp}@pec.aruba.it` }),
    );
    const first = await intakeOf(app, citizenId);
    expect(await precheck(backOffice, first.processInstanceId, { precheckOutcome: 'ticket', queue: 'PEC' })).toBe(200);
    await completed(first.processInstanceId);
    const [ack] = await app.workerDeps.mail.records.outbox(5, first.id);
    const ticketId = (await app.workerDeps.mail.records.get(first.id))?.ticketId;
    expect(ticketId).toBeTruthy();

    const failure = envelope({
      tipo: 'errore-consegna',
      withOriginal: false,
      msgid: ack?.messageId.slice(1, -1),
      identificativo: `r-errore-${stamp}`,
    });
    await deliverLocally(app.db, 'pec', failure);
    const notice = await waitFor(async () => {
      const [item] = await app.workerDeps.mail.records.outbox(5, first.id);
      const r = item?.pecReceipts.find((x) => x.tipo === 'errore-consegna');
      const m = r && (await app.workerDeps.mail.records.get(r.mailId));
      return m?.processInstanceId ? m : undefined;
    }, 'the failure notice’s intake');
    await expectBouncedReply(notice.processInstanceId ?? '', ticketId);
    expect(notice.ticketId).toBeNull();
  });

  it('links a delivery failure of our acknowledgement to its ticket and asks the back office to reach the requester', async () => {
    const messageId = `<bounce-src-${Date.now()}@example.test>`;
    await sendToLocalMailbox(
      app,
      await citizenMail({
        from: 'nessuno@dominio-inesistente.test',
        subject: 'Accesso negato',
        text: 'Aiuto.',
        messageId,
      }),
    );
    const first = await intakeOf(app, messageId);
    expect(await precheck(backOffice, first.processInstanceId, { precheckOutcome: 'ticket', queue: 'Generale' })).toBe(
      200,
    );
    await completed(first.processInstanceId);
    const [ack] = await app.workerDeps.mail.records.outbox(5, first.id);
    const ticketId = (await app.workerDeps.mail.records.get(first.id))?.ticketId;

    const dsnId = `<dsn-${Date.now()}@mx.example.test>`;
    const dsn = Buffer.from(
      [
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.test>',
        'To: helpdesk@helpdesk.local',
        'Subject: Undelivered Mail Returned to Sender',
        `Message-ID: ${dsnId}`,
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
        '',
        '--r',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Your message could not be delivered.',
        '--r',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.test',
        '',
        'Final-Recipient: rfc822; nessuno@dominio-inesistente.test',
        'Action: failed',
        'Status: 5.1.2',
        '--r',
        'Content-Type: text/rfc822-headers',
        '',
        'From: Contact Center Regionale <helpdesk@helpdesk.local>',
        `Message-ID: ${ack?.messageId ?? ''}`,
        'Subject: [Ticket] ...',
        '--r--',
        '',
      ].join('\r\n'),
    );
    await deliverLocally(app.db, 'helpdesk', dsn);
    const bounce = await intakeOf(app, dsnId);
    await expectBouncedReply(bounce.processInstanceId, ticketId);
    // A bounce never gets an answer of ours.
    expect(await app.workerDeps.mail.records.outbox(5, bounce.id)).toEqual([]);
  });

  it('takes [Ticket #N] in a subject only from that ticket’s requester: anyone else’s mail is a new request', async () => {
    const firstId = `<owner-${Date.now()}@example.test>`;
    await deliverLocally(
      app.db,
      'helpdesk',
      await citizenMail({ subject: 'Prima richiesta', text: 'Aiuto.', messageId: firstId }),
    );
    const first = await intakeOf(app, firstId);
    expect(await precheck(backOffice, first.processInstanceId, { precheckOutcome: 'ticket', queue: 'Generale' })).toBe(
      200,
    );
    const ticketId = await waitFor(
      async () => (await app.workerDeps.mail.records.get(first.id))?.ticketId ?? undefined,
      'the first ticket',
    );
    const variableOf = async (messageId: string) => {
      const { processInstanceId } = await intakeOf(app, messageId);
      const v = await app.engine.historicVariables({ processInstanceId, variableName: 'replyToTicket' });
      return v[0]?.value;
    };
    const stranger = `<stranger-${Date.now()}@example.test>`;
    await deliverLocally(
      app.db,
      'helpdesk',
      await citizenMail({
        from: 'estraneo@example.test',
        subject: `Re: [Ticket #${ticketId}] Prima richiesta`,
        text: 'Aggiungo al ticket di un altro.',
        messageId: stranger,
      }),
    );
    expect(await variableOf(stranger)).toBe('none');
    const owner = `<owner-reply-${Date.now()}@example.test>`;
    await deliverLocally(
      app.db,
      'helpdesk',
      await citizenMail({
        subject: `Re: [Ticket #${ticketId}] Prima richiesta`,
        text: 'Ecco il documento.',
        messageId: owner,
      }),
    );
    expect(await variableOf(owner)).toBe(ticketId);
  });
});
