import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { deliverLocally } from '../../adapters/mail/local-mailbox.js';
import { openTaskOf } from '../integration/support/booking.js';
import { citizenMail, intakeOf } from '../integration/support/mail.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from '../integration/support/test-app.js';
import { launchChromium, screenshot, signedIn, type Person } from './support/browser.js';

/** A 1×1 transparent PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
/** A one-page PDF, small but well formed. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** A mail with an HTML body (citizenMail writes text only), as raw RFC 5322. */
async function htmlMail(opts: { subject: string; text: string; html: string; messageId: string }): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = (await transport.sendMail({
    from: 'Lucia Bianchi <lucia.bianchi@example.test>',
    to: 'helpdesk@helpdesk.local',
    ...opts,
  })) as { message: Buffer };
  return info.message;
}

describe('the help desk back office works a citizen’s mail in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let backOffice: Person;
  let api: ApiClient;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchChromium();
    backOffice = await signedIn(browser, app, 'e2e.helpdesk.bo', ['helpdesk-back-office-1']);
    api = apiAs(app, 'e2e.helpdesk.api', ['helpdesk-back-office-1']);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** Opens a task from the task list, as a person would. */
  async function openFromTasklist(page: Person['page'], taskKey: string, name: string) {
    await page.getByRole('navigation', { name: 'Sezioni' }).getByRole('link', { name: 'Compiti' }).click();
    const row = page.locator(`tr[data-task-key="${taskKey}"]`);
    await row.waitFor();
    await row.getByRole('link', { name }).click();
    await page.waitForURL(`**/compiti/${taskKey}`);
    await page.getByRole('heading', { level: 1, name }).waitFor();
  }

  it('reads sender, subject, text and attachments beside the pre-check, opens the ticket in the chosen queue and finds the acknowledgement with its number', async () => {
    const messageId = `<e2e-helpdesk-${Date.now()}@example.test>`;
    const raw = await citizenMail({
      subject: 'Richiesta di rimborso',
      text: 'Buongiorno,\nho pagato due volte lo stesso importo.\n\nAllego la ricevuta e il documento.\nMario Rossi',
      messageId,
      attachments: [
        { filename: 'ricevuta.pdf', content: PDF, contentType: 'application/pdf' },
        { filename: 'documento.png', content: PNG, contentType: 'image/png' },
      ],
    });
    await deliverLocally(app.db, 'helpdesk', raw);
    const { id: mailId, processInstanceId } = await intakeOf(app, messageId);
    const precheck = await openTaskOf(api, processInstanceId, 'precheck', 'helpdesk-mail-intake');

    const page = backOffice.page;
    await openFromTasklist(page, precheck.key, 'Verifica preliminare del messaggio');
    const panel = page.getByTestId('mail-panel');
    await panel.getByRole('heading', { name: 'Messaggio ricevuto' }).waitFor();
    await panel.getByTestId('mail-sender').waitFor();
    expect(await panel.getByTestId('mail-sender').textContent()).toBe('Mario Rossi <mario.rossi@example.test>');
    expect(await panel.getByTestId('mail-subject').textContent()).toBe('Richiesta di rimborso');
    expect(await panel.textContent()).toContain('Help desk · Email');
    // The text keeps its lines.
    const text = panel.getByTestId('mail-text');
    expect(await text.innerText()).toContain('ho pagato due volte lo stesso importo.\n\nAllego la ricevuta');
    // (Runs in the page: the browser's getComputedStyle, typed here without the DOM library.)
    const whiteSpace = await text.evaluate(
      (e) =>
        (globalThis as unknown as { getComputedStyle: (el: unknown) => { whiteSpace: string } }).getComputedStyle(e)
          .whiteSpace,
    );
    expect(whiteSpace).toBe('pre-wrap');
    // Not quarantined, not a machine's: neither note.
    expect(await panel.getByTestId('quarantine-reason').count()).toBe(0);
    expect(await panel.getByTestId('automatic-note').count()).toBe(0);
    // Both attachments, with their size; each opens in a new tab, away from the workspace.
    const links = panel.getByTestId('mail-attachments').getByRole('link');
    expect(await links.allTextContents()).toEqual(['ricevuta.pdf', 'documento.png']);
    expect(await panel.getByTestId('mail-attachments').textContent()).toMatch(/image\/png, 68 byte/);
    const png = links.filter({ hasText: 'documento.png' });
    expect(await png.getAttribute('target')).toBe('_blank');
    expect(await png.getAttribute('rel')).toBe('noopener');
    await screenshot(page, 'helpdesk-precheck');

    const answered = backOffice.context.waitForEvent('response', (r) =>
      r.url().endsWith(`/mail/${mailId}/attachments/1`),
    );
    const opened = backOffice.context.waitForEvent('page');
    await png.click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('image/png');
    expect(response.headers()['content-security-policy']).toMatch(/sandbox/);
    expect((await response.body()).equals(PNG)).toBe(true);
    await (await opened).close();

    // Claim, choose another queue than the proposed one, complete.
    await page.getByRole('button', { name: 'Prendi in carico' }).click();
    await page.getByRole('button', { name: 'Completa il compito' }).waitFor();
    await page.locator('.task-form .fjs-form-field-select .fjs-input-group').click();
    await page.locator('.task-form .fjs-dropdownlist-item', { hasText: 'Tributi CSB' }).click();
    await page.getByLabel('Nota per il ticket (facoltativa)').fill('Doppio pagamento del bollo');
    await screenshot(page, 'helpdesk-precheck-form');
    await page.getByRole('button', { name: 'Completa il compito' }).click();
    await page.waitForURL('**/compiti?completato=1');

    // The flow opens the ticket, acknowledges, archives and hands the Tributi request to its document check.
    const ticketId = await waitFor(
      async () => (await app.workerDeps.mail.records.get(mailId))?.ticketId ?? undefined,
      'the ticket of the message',
    );
    const check = await waitFor(async () => {
      const subs = await app.engine.request<{ id: string }[]>('GET', '/process-instance', {
        query: { superProcessInstance: processInstanceId },
      });
      return subs[0]?.id;
    }, 'the document check');
    const checkTask = await openTaskOf(api, check, 'check-documents', 'helpdesk-tributi-check');

    // The document check shows the message again and, beside it, its ticket with queue, status and history.
    await openFromTasklist(page, checkTask.key, 'Verifica la documentazione');
    const ticket = page.getByTestId('ticket-panel');
    await ticket.getByRole('heading', { name: `Ticket n. ${ticketId}` }).waitFor();
    await ticket.getByTestId('ticket-queue').waitFor();
    expect(await ticket.getByTestId('ticket-queue').textContent()).toBe('Tributi CSB');
    expect(await ticket.getByTestId('ticket-status').textContent()).toMatch(/^(Nuovo|Aperto)$/);
    const history = ticket.getByRole('table', { name: `Storia del ticket ${ticketId}` });
    await history.waitFor();
    expect(await history.textContent()).toContain('Apertura');
    expect(await page.getByTestId('mail-panel').textContent()).toContain(`[Ticket #${ticketId}]`);
    await screenshot(page, 'helpdesk-ticket-panel');

    // The checklist: no identity document, so the citizen is asked for it by mail.
    await page.getByRole('button', { name: 'Prendi in carico' }).click();
    await page.getByRole('button', { name: 'Completa il compito' }).waitFor();
    await page.locator('.task-form .fjs-form-field-select .fjs-input-group').click();
    await page.locator('.task-form .fjs-dropdownlist-item', { hasText: 'Tassa automobilistica' }).click();
    await page.getByLabel("Numero dell'atto (vuoto se manca)").fill('2024/000777');
    await page.getByLabel('Richiesta firmata').check();
    await page.getByLabel('Allegati leggibili').check();
    await page.getByLabel("Indicazioni per l'utente (facoltative)").fill('Serve la carta di identità fronte e retro.');
    await screenshot(page, 'helpdesk-tributi-checklist');
    // form-js takes a text field's value a moment after the typing (debounced), as a person's
    // next action would: leave the field first.
    await page.keyboard.press('Tab');
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: 'Completa il compito' }).click();
    await page.waitForURL('**/compiti?completato=1');
    const asked = await waitFor(async () => {
      const items = await app.workerDeps.mail.records.outbox(10, mailId);
      return items.find((m) => m.subject.startsWith(`[Ticket #${ticketId}] Documentazione da integrare`));
    }, 'the request for the missing identity document');
    expect(asked.text).toContain('documento di identità');
    expect(asked.text).toContain('Serve la carta di identità fronte e retro.');
    expect(asked.text).not.toContain('richiesta firmata');

    // The mail page: the backlog per mailbox and the acknowledgement in the outbox with the ticket number.
    await page.getByRole('navigation', { name: 'Sezioni' }).getByRole('link', { name: 'Posta' }).click();
    await page.waitForURL('**/posta');
    await expect
      .poll(() =>
        page
          .locator('main h1:focus')
          .textContent({ timeout: 1000 })
          .catch(() => null),
      )
      .toBe('Posta dell’help desk');
    const backlog = page.getByTestId('backlog');
    await backlog.waitFor();
    expect(await backlog.locator('th[scope="row"]').allTextContents()).toEqual(['Help desk', 'Tributi', 'PEC', 'Fax']);
    const outbox = page.getByTestId('outbox');
    // The acknowledgement (the request for the missing document went out after it).
    const row = outbox
      .locator('tbody tr', { hasText: `[Ticket #${ticketId}]` })
      .filter({ hasNotText: 'Documentazione da integrare' });
    await row.waitFor();
    expect(await row.textContent()).toContain('mario.rossi@example.test');
    expect(await row.getByRole('button', { name: new RegExp(`n\\. ${ticketId}`) }).count()).toBe(1);
    expect(await row.textContent()).toContain('Inviato');
    expect(await page.getByTestId('outbox-local').textContent()).toContain(
      'Posta in uscita locale: nessun messaggio lascia questa macchina',
    );
    // The text opens on request.
    const body = row.locator('details .mail-text');
    expect(await body.isVisible()).toBe(false);
    await row.locator('summary').click();
    expect(await body.innerText()).toContain(`numero di ticket ${ticketId}`);
    // The ticket opens below the table, with the keyboard on its heading.
    await row.getByRole('button', { name: new RegExp(`n\\. ${ticketId}`) }).click();
    await expect
      .poll(() =>
        page
          .locator('h2:focus')
          .textContent({ timeout: 1000 })
          .catch(() => null),
      )
      .toBe(`Ticket n. ${ticketId}`);
    await page.getByTestId('ticket-panel').getByTestId('ticket-queue').waitFor();
    await screenshot(page, 'helpdesk-posta');
    expect(backOffice.errors).toEqual([]);
  });

  it('shows why a mail with a script is quarantined, its HTML in a frame where the script never runs, and releases it to the pre-check', async () => {
    const messageId = `<e2e-quarantine-${Date.now()}@example.test>`;
    const raw = await htmlMail({
      subject: 'Modulo compilato',
      text: 'Vedi il modulo nel testo HTML.',
      html:
        '<p>Buongiorno, <b>ecco il modulo</b> compilato.</p>' +
        '<script>window.parent.__pwned = true; window.top.document.title = "pwned"; document.title = "pwned";</script>' +
        '<img src="x" onerror="window.parent.__pwned = true">' +
        '<a href="javascript:window.parent.__pwned=true">clicca</a>',
      messageId,
    });
    await deliverLocally(app.db, 'helpdesk', raw);
    const { processInstanceId } = await intakeOf(app, messageId);
    const review = await openTaskOf(api, processInstanceId, 'review-quarantine', 'helpdesk-mail-intake');

    const page = backOffice.page;
    const title = await page.title();
    await openFromTasklist(page, review.key, 'Esamina il messaggio in quarantena');
    const panel = page.getByTestId('mail-panel');
    const reason = panel.getByTestId('quarantine-reason');
    await reason.waitFor();
    expect(await reason.textContent()).toContain('Il testo HTML contiene codice attivo (script)');
    expect(await panel.getByTestId('mail-sender').textContent()).toBe('Lucia Bianchi <lucia.bianchi@example.test>');

    // The sanitised HTML, in a frame that may run nothing.
    await panel.getByRole('button', { name: 'Mostra il testo HTML (ripulito)' }).click();
    const frame = panel.getByTestId('mail-html');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('');
    const srcdoc = (await frame.getAttribute('srcdoc')) ?? '';
    expect(srcdoc).toContain("default-src 'none'");
    expect(srcdoc).not.toMatch(/<script|onerror|javascript:/i);
    await page.frameLocator('[data-testid="mail-html"]').getByText('ecco il modulo').waitFor();
    expect(await page.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned)).toBeUndefined();
    expect(await page.title()).toBe(title);
    await screenshot(page, 'helpdesk-quarantine');
    await panel.getByRole('button', { name: 'Mostra il testo semplice' }).click();
    expect(await panel.getByTestId('mail-text').textContent()).toContain('Vedi il modulo nel testo HTML.');

    // Released, it goes to the pre-check.
    await page.getByRole('button', { name: 'Prendi in carico' }).click();
    await page.getByRole('button', { name: 'Completa il compito' }).waitFor();
    await page.getByLabel('Rilascia alla verifica preliminare').check();
    await page.getByRole('button', { name: 'Completa il compito' }).click();
    await page.waitForURL('**/compiti?completato=1');
    const precheck = await openTaskOf(api, processInstanceId, 'precheck', 'helpdesk-mail-intake');
    await openFromTasklist(page, precheck.key, 'Verifica preliminare del messaggio');
    // Released, the message still says why it was held: the one who checks it reads it too.
    await page.getByTestId('quarantine-reason').waitFor();
    expect(await page.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned)).toBeUndefined();
    await screenshot(page, 'helpdesk-released');
    expect(backOffice.errors).toEqual([]);
  });

  it('the Regione sees the backlog on the mail page but not the outbox', async () => {
    const regione = await signedIn(browser, app, 'e2e.helpdesk.regione', ['regione']);
    await regione.page.getByRole('navigation', { name: 'Sezioni' }).getByRole('link', { name: 'Posta' }).click();
    await regione.page.getByTestId('backlog').waitFor();
    expect(await regione.page.getByTestId('outbox').count()).toBe(0);
    expect(await regione.page.getByRole('heading', { name: 'Posta inviata' }).count()).toBe(0);
    await screenshot(regione.page, 'helpdesk-posta-regione');
    expect(regione.errors).toEqual([]);
    await regione.context.close();
  });

  it('opens a help-desk contact for a call with a document and forwards it to a queue as a ticket', async () => {
    const operator = await signedIn(browser, app, 'e2e.helpdesk.fo', ['helpdesk-operator']);
    const page = operator.page;
    await page.getByRole('navigation', { name: 'Sezioni' }).getByRole('link', { name: 'Nuovo contatto' }).click();
    await page.getByRole('heading', { name: "Contatto dell'help desk regionale" }).waitFor();
    // A help-desk operator does not book on the CUP: that form is not offered.
    expect(await page.getByRole('heading', { name: 'Prenotazione da ricetta elettronica' }).count()).toBe(0);
    await page.getByLabel('Oggetto della richiesta').fill('Firma digitale scaduta');
    await page.getByLabel('Note della chiamata').fill('Il certificato è scaduto ieri, chiede come rinnovarlo.');
    await page.getByLabel('Email per la risposta (facoltativa)').fill('anna.verdi@example.test');
    await page
      .getByLabel(/Documenti ricevuti/)
      .setInputFiles({ name: 'certificato.pdf', mimeType: 'application/pdf', buffer: PDF });
    await page.getByRole('button', { name: "Apri il contatto dell'help desk" }).click();
    await page.getByRole('heading', { level: 1, name: 'Chiudi o inoltra il contatto' }).waitFor({ timeout: 20_000 });
    const taskKey = page.url().split('/').pop() ?? '';
    await page.getByRole('button', { name: 'Completa il compito' }).waitFor();
    await page.getByLabel('Inoltra come ticket alla coda').check();
    const selects = page.locator('.task-form .fjs-form-field-select .fjs-input-group');
    await selects.nth(0).click();
    await page.locator('.task-form .fjs-dropdownlist-item', { hasText: 'Firma digitale' }).click();
    await selects.nth(1).click();
    await page.locator('.task-form .fjs-dropdownlist-item', { hasText: 'Firma digitale' }).click();
    await page.getByLabel('Nota per chi riceve il ticket').fill('Guidare il rinnovo.');
    // The taxpayer's position, looked up in SITR beside the task.
    const tax = page.getByTestId('tax-panel');
    await tax.getByLabel('Codice fiscale o partita IVA').fill('RSSMRA80A01G942K');
    await tax.getByRole('button', { name: 'Consulta' }).click();
    await tax.getByRole('table', { name: 'Importi dovuti' }).getByText('AVV-2026-004512').waitFor();
    await screenshot(page, 'helpdesk-phone-contact');
    await page.getByRole('button', { name: 'Completa il compito' }).click();
    await page.waitForURL('**/compiti?completato=1');

    const contact = await waitFor(async () => {
      const rows: { id: string; ticket_id: string | null }[] = await app.db.query(
        `SELECT c.id, c.ticket_id FROM helpdesk_contacts c WHERE c.subject = 'Firma digitale scaduta' ORDER BY opened_at DESC LIMIT 1`,
      );
      return rows[0]?.ticket_id ? rows[0] : undefined;
    }, 'the contact forwarded as a ticket');
    const ticket = await app.workerDeps.tickets.get(contact.ticket_id ?? '');
    expect(ticket).toMatchObject({ queue: 'Firma digitale', requestors: ['anna.verdi@example.test'] });
    const files = await app.workerDeps.tickets.attachments(ticket?.id ?? '');
    expect(files.map((f) => f.filename)).toEqual(['certificato.pdf']);
    expect(taskKey).not.toBe('');
    expect(operator.errors).toEqual([]);
  });

  it('shows the back office the department’s answer to read to a requester without email', async () => {
    const ticket = await app.workerDeps.tickets.create({
      queue: 'Tributi CSB',
      subject: 'Rimborso bollo auto',
      content: 'Richiesta arrivata per fax, nessun indirizzo email.',
      customFields: { Canale: 'fax' },
      requestKey: `e2e-callback-${Date.now()}`,
    });
    const started = await app.workerDeps.starter.start({
      bpmnProcessId: 'helpdesk-third-level',
      businessKey: `E2E-CALLBACK-${Date.now()}`,
      startedBy: 'e2e',
      variables: { ticketId: ticket.id, hasRequester: false, departmentQueue: 'Dipartimento Tributi' },
    });
    await waitFor(
      async () => (await app.workerDeps.tickets.get(ticket.id))?.queue === 'Dipartimento Tributi' || undefined,
      'the ticket in the department’s queue',
    );
    await app.workerDeps.tickets.addMessage(ticket.id, {
      kind: 'correspond',
      content: 'Rimborso approvato: 84,50 euro entro 60 giorni sul conto indicato.',
      requestKey: `e2e-ufficio-${ticket.id}`,
    });
    await app.workerDeps.tickets.update(ticket.id, { status: 'resolved' });
    // What the ticket follower does when it sees the ticket resolved.
    await app.engine.correlateMessage('ticket-resolved', { processVariables: { ticketId: ticket.id } });
    const task = await openTaskOf(api, started.processInstanceKey, 'call-back-outcome', 'helpdesk-third-level');
    const page = backOffice.page;
    await openFromTasklist(page, task.key, "Richiama l'utente con l'esito");
    const form = page.locator('.task-form');
    await form.getByText("Esito dell'ufficio regionale da riferire").waitFor();
    await form.getByText('Rimborso approvato: 84,50 euro entro 60 giorni sul conto indicato.').waitFor();
    await screenshot(page, 'helpdesk-callback');
    expect(backOffice.errors).toEqual([]);
  });
});
