import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { openTaskOf } from './support/booking.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';
import { readContent } from '../../platform/content/content.js';

describe('a help-desk contact opened by the front office for a call', () => {
  let app: RunningApp;
  let operator: ApiClient;
  beforeAll(async () => {
    app = await startTestApp();
    operator = apiAs(app, 'helpdesk.front', ['helpdesk-operator']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function open(body: Record<string, unknown>) {
    const res = await operator.post<{ processInstanceKey: string; contactId: string }>('/api/helpdesk/contacts', body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  async function close(processInstanceKey: string, variables: Record<string, unknown>) {
    const task = await openTaskOf(operator, processInstanceKey, 'handle-contact', 'helpdesk-phone-contact');
    await operator.post(`/api/tasks/${task.key}/claim`);
    const res = await operator.post(`/api/tasks/${task.key}/complete`, { variables });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await waitFor(
      async () => (await app.engine.historicProcessInstance(processInstanceKey))?.state === 'COMPLETED',
      'the contact closed',
    );
    const rows: { line: string; outcome_code: string; resolved_first_contact: boolean; operator: string }[] =
      await app.db.query(
        `SELECT line, outcome_code, resolved_first_contact, operator FROM contact_outcomes WHERE process_instance_key = $1`,
        [processInstanceKey],
      );
    return rows[0];
  }

  it('is closed as resolved in line, and counts for first-contact resolution', async () => {
    const c = await open({ subject: 'Come si rinnova la firma digitale', notes: 'Spiegata la procedura.' });
    const outcome = await close(c.processInstanceKey, {
      contactOutcome: 'resolved',
      outcomeCode: 'CSB-FIRMA-DIGITALE',
    });
    expect(outcome).toMatchObject({ line: 'csb', outcome_code: 'CSB-FIRMA-DIGITALE', operator: 'helpdesk.front' });
    expect((await app.workerDeps.mail.contacts.get(c.contactId))?.ticketId).toBeNull();
  });

  it('is forwarded to a queue as a ticket with the notes and the documents uploaded during the call', async () => {
    const pdf = Buffer.from('%PDF-1.4 documento del cittadino');
    const c = await open({
      subject: 'Casella PEC non più accessibile',
      notes: 'Il cittadino non riceve più la posta da lunedì.',
      callerName: 'Mario Rossi',
      fiscalCode: 'rssmra80a01h703x',
      email: 'mario.rossi@example.test',
      documents: [
        { filename: 'segnalazione.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') },
      ],
    });
    await close(c.processInstanceKey, {
      contactOutcome: 'forward',
      outcomeCode: 'CSB-PEC',
      queue: 'PEC',
      forwardNote: 'Verificare lo stato della casella.',
    });
    const contact = await app.workerDeps.mail.contacts.get(c.contactId);
    const ticket = await app.workerDeps.tickets.get(contact?.ticketId ?? '');
    expect(ticket).toMatchObject({ queue: 'PEC', requestors: ['mario.rossi@example.test'] });
    expect(ticket?.customFields['Canale']).toBe('telefono');
    const files = await app.workerDeps.tickets.attachments(ticket?.id ?? '');
    expect(files.map((f) => f.filename)).toEqual(['segnalazione.pdf']);
    const stored = await app.workerDeps.tickets.attachmentContent(ticket?.id ?? '', files[0]?.id ?? '');
    expect(stored && (await readContent(stored.content)).equals(pdf)).toBe(true);
    // The ticket's document, as the ticket panel links it: shown in a sandbox, read audited.
    const cookieFetch = await fetch(`${app.url}/api/helpdesk/tickets/${ticket?.id}/attachments/${files[0]?.id}`);
    expect(cookieFetch.status).toBe(401);
    const viaApi = await operator.get(`/api/helpdesk/tickets/${ticket?.id}/attachments/${files[0]?.id}`);
    expect(viaApi.status).toBe(200);
    expect((await operator.get(`/api/helpdesk/tickets/${ticket?.id}/attachments/999999`)).status).toBe(404);
    expect((await operator.get(`/api/helpdesk/contacts/${c.contactId}`)).body).toMatchObject({
      fiscalCode: 'RSSMRA80A01H703X',
      ticketId: ticket?.id,
    });
  });

  it('sends a call forwarded to Tributi CSB through the document check, asking the caller by email for what is missing', async () => {
    const backOffice = apiAs(app, 'helpdesk.tributi', ['helpdesk-back-office-1']);
    const c = await open({
      subject: 'Avviso di accertamento bollo auto 2024',
      notes: 'Ritiene di aver già pagato.',
      callerName: 'Anna Verdi',
      email: 'anna.verdi@example.test',
    });
    const task = await openTaskOf(operator, c.processInstanceKey, 'handle-contact', 'helpdesk-phone-contact');
    await operator.post(`/api/tasks/${task.key}/claim`);
    const done = await operator.post(`/api/tasks/${task.key}/complete`, {
      variables: { contactOutcome: 'forward', outcomeCode: 'CSB-TRIBUTI', queue: 'Tributi CSB' },
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const tributi = await waitFor(async () => {
      const subs = await app.engine.request<{ id: string }[]>('GET', '/process-instance', {
        query: { superProcessInstance: c.processInstanceKey },
      });
      return subs[0]?.id;
    }, 'the document check of the forwarded call');
    const check = await openTaskOf(backOffice, tributi, 'check-documents', 'helpdesk-tributi-check');
    await backOffice.post(`/api/tasks/${check.key}/claim`);
    const checked = await backOffice.post(`/api/tasks/${check.key}/complete`, {
      variables: {
        actType: 'tassa-automobilistica',
        actNumber: '',
        identityDocument: false,
        signedRequest: true,
        legibleAttachments: true,
        missingNote: '',
      },
    });
    expect(checked.status, JSON.stringify(checked.body)).toBe(200);
    const ticketId = (await app.workerDeps.mail.contacts.get(c.contactId))?.ticketId;
    const asked = await waitFor(async () => {
      const items = await app.workerDeps.mail.records.outbox(5, `contact:${c.contactId}`);
      return items.find((i) => i.subject.startsWith(`[Ticket #${ticketId}] Documentazione da integrare`));
    }, 'the request for the missing documents');
    expect(asked).toMatchObject({ to: 'anna.verdi@example.test', ticketId });
    expect(asked.text).toContain('documento di identità');
  });

  it('opens one contact for a submission sent twice with the same Idempotency-Key', async () => {
    const count = async () =>
      Number((await app.db.query<{ n: string }[]>(`SELECT count(*) AS n FROM helpdesk_contacts`))[0]?.n);
    const before = await count();
    const key = `modulo-${Date.now()}`;
    const headers = { 'idempotency-key': key };
    // A refusal is not kept: corrected, the same form goes through under the same key.
    const refused = await operator.post('/api/helpdesk/contacts', { notes: 'senza oggetto' }, { headers });
    expect(refused.status).toBe(400);
    const body = { subject: 'Doppio clic', notes: 'Inviato due volte.' };
    const first = await operator.post<{ contactId: string; processInstanceKey: string }>(
      '/api/helpdesk/contacts',
      body,
      {
        headers,
      },
    );
    const again = await operator.post<{ contactId: string; processInstanceKey: string }>(
      '/api/helpdesk/contacts',
      body,
      {
        headers,
      },
    );
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await count()).toBe(before + 1);
    // The same key for another request is refused; a malformed key too.
    const other = await operator.post('/api/helpdesk/contacts', { subject: 'Altro' }, { headers });
    expect(other.status).toBe(409);
    const bad = await operator.post('/api/helpdesk/contacts', body, { headers: { 'idempotency-key': 'x' } });
    expect(bad.status).toBe(400);
    // Without the header every submission is its own.
    expect((await operator.post('/api/helpdesk/contacts', body)).status).toBe(201);
    expect(await count()).toBe(before + 2);
  });

  it('refuses a program among the documents, and a contact without its subject, starting nothing', async () => {
    const before: { n: string }[] = await app.db.query(`SELECT count(*) AS n FROM helpdesk_contacts`);
    const exe = await operator.post('/api/helpdesk/contacts', {
      subject: 'Allegato sospetto',
      documents: [{ filename: 'modulo.exe', contentType: 'application/octet-stream', contentBase64: 'TVo=' }],
    });
    expect(exe.status).toBe(400);
    expect(JSON.stringify(exe.body)).toContain('modulo.exe');
    expect((await operator.post('/api/helpdesk/contacts', { notes: 'senza oggetto' })).status).toBe(400);
    const after: { n: string }[] = await app.db.query(`SELECT count(*) AS n FROM helpdesk_contacts`);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('shows the operator a taxpayer’s regional tax position (SITR), and audits who looked', async () => {
    const res = await operator.get<{ holder: string; amountsDue: { tax: string; act: string | null }[] }>(
      '/api/helpdesk/taxes/rssmra80a01g942k',
    );
    expect(res.status).toBe(200);
    expect(res.body.holder).toBe('Mario Rossi');
    expect(res.body.amountsDue.map((a) => a.act)).toContain('AVV-2026-004512');
    expect((await operator.get('/api/helpdesk/taxes/ZZZZZZ00Z00Z000Z')).status).toBe(404);
    expect((await operator.get('/api/helpdesk/taxes/nonvalido')).status).toBe(400);
    const audit: unknown[] = await app.db.query(
      `SELECT 1 FROM audit_events WHERE actor = 'helpdesk.front' AND subject_type = 'tax-position' AND subject_id = 'RSSMRA80A01G942K'`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });
});
