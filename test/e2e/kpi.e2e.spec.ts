import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { Kpis } from '../../domain/kpi/kpis.js';
import type { SimulatedCall, VoiceSimulator } from '../../stand-ins/twilio/voice.js';
import { startTestApp } from '../integration/support/test-app.js';
import { launchChromium, screenshot, signedIn, type Person } from './support/browser.js';
import { renderPdf } from './support/pdf.js';

const CUP = '+39848821821';
/** Tuesday 10 November 2026, 10:00 in Rome: the CUP line is open; October is "last month". */
const NOW = Date.parse('2026-11-10T09:00:00Z');
const HEADER =
  'contactId,line,channel,direction,requestType,offeredAt,answeredAt,abandonedAt,endedAt,wrapUpEndedAt,operator,outcome';
/** This run's contact ids, so a second run on the same database imports new rows. */
const RUN = `e2e-${Date.now().toString(36)}`;

/**
 * Three CUP calls on 20 October 2026: one answered within 5 s, one after 40 s, one abandoned
 * after a minute. Answered within 20 s: 1 of 3; lost: 1 of 3.
 */
const OCTOBER = [
  HEADER,
  `${RUN}-1,cup,voice,inbound,booking,2026-10-20T09:00:00+02:00,2026-10-20T09:00:05+02:00,,2026-10-20T09:02:00+02:00,2026-10-20T09:02:30+02:00,op1,resolved`,
  `${RUN}-2,cup,voice,inbound,information,2026-10-20T10:00:00+02:00,2026-10-20T10:00:40+02:00,,2026-10-20T10:03:00+02:00,2026-10-20T10:03:20+02:00,op1,resolved`,
  `${RUN}-3,cup,voice,inbound,booking,2026-10-20T11:00:00+02:00,,2026-10-20T11:01:00+02:00,2026-10-20T11:01:00+02:00,,,abandoned`,
].join('\n');

describe('the KPI pages in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let regione: Person;
  let sim: VoiceSimulator;
  /** The app's clock runs from NOW. */
  let offset = 0;
  const calls: SimulatedCall[] = [];

  beforeAll(async () => {
    offset = NOW - Date.now();
    app = await startTestApp(
      { VOICE_HOLD_SECONDS: '1', VOICE_CALLBACK_OFFER_SECONDS: '100000' },
      { now: () => new Date(Date.now() + offset), voiceTimeScale: 0.01 },
    );
    if (!app.voice?.simulator) throw new Error('the local call simulator did not start');
    sim = app.voice.simulator;
    // Nobody answers, nothing waits: the queued call below is the only one.
    await app.db.query(`UPDATE voice_operators SET presence = 'assente', offer_call = NULL, current_call = NULL`);
    await app.db.query(`UPDATE voice_queue_entries SET state = 'abandoned' WHERE state IN ('waiting', 'offered')`);
    browser = await launchChromium();
    regione = await signedIn(browser, app, 'e2e.kpi.regione', ['regione']);
  });
  afterAll(async () => {
    for (const c of calls) await c.hangUp().catch(() => undefined);
    await browser?.close();
    await app?.stop();
  });

  it('the administrator imports contact records (a bad file refused row by row), enters a service value and a late maintenance, and is told what is wrong in a new definitions version', async () => {
    const admin = await signedIn(browser, app, 'e2e.kpi.admin', ['admin']);
    const page = admin.page;
    await page.getByRole('link', { name: 'Configurazione SLA' }).click();
    await page.getByRole('heading', { name: 'Configurazione SLA', level: 1 }).waitFor();
    await page.getByText('Colonne attese').click();
    expect(await page.getByTestId('required-columns').textContent()).toBe(HEADER);
    const file = page.getByLabel('File CSV dei contatti');

    await file.setInputFiles({
      name: 'sbagliato.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${HEADER}\n${RUN}-x,cup,voice,sideways,,2026-10-20T09:00:00+02:00,,,,,,\n`),
    });
    await page.getByRole('button', { name: 'Importa' }).click();
    const errors = page.getByTestId('import-errors');
    await errors.waitFor();
    expect(await errors.getByRole('row').nth(1).textContent()).toMatch(/^Riga 2.*direction «sideways» non valida/);

    await file.setInputFiles({ name: 'ottobre.csv', mimeType: 'text/csv', buffer: Buffer.from(`${OCTOBER}\n`) });
    await page.getByRole('button', { name: 'Importa' }).click();
    await expect
      .poll(() => page.getByTestId('import-result').textContent())
      .toMatch(/3 righe: 3 nuove, 0 già presenti/);
    expect(await page.getByTestId('import-errors').count()).toBe(0);
    // October's service value (the penalties in euro are computed on it).
    await page.getByLabel('Mese', { exact: true }).fill('2026-10');
    await page.getByLabel('Valore del servizio (€)').fill('100000');
    await page.getByRole('button', { name: 'Salva il valore' }).click();
    await page.getByRole('status').filter({ hasText: 'Valori di ottobre 2026 per CUP salvati.' }).waitFor();
    expect(await page.getByRole('table', { name: 'Valori del servizio per linea e mese' }).textContent()).toMatch(
      /100\.000,00\s€/,
    );
    // A maintenance registered after it began is flagged.
    await page.getByLabel('Inizio', { exact: true }).fill('2026-10-21T22:00');
    await page.getByLabel('Fine', { exact: true }).fill('2026-10-21T23:00');
    await page.getByLabel('Motivo', { exact: true }).fill('aggiornamento del centralino');
    await page.getByRole('button', { name: 'Registra' }).click();
    await expect
      .poll(() => page.getByTestId('maintenance-windows').locator('tbody tr').first().textContent())
      .toMatch(/aggiornamento del centralino.*Registrata dopo l'inizio/);
    // The definitions in force, readable; a new version with a wrong field is refused with the field named.
    expect(await page.getByTestId('current-definitions').textContent()).toContain('contratto-2026.1');
    const json = page.getByLabel(/^Definizioni \(JSON\)/);
    expect(JSON.parse(await json.inputValue())).toMatchObject({ version: 'contratto-2026.1', waitLimitS: 20 });
    await json.fill((await json.inputValue()).replace('"waitLimitS": 20', '"waitLimitS": -1'));
    await page.getByRole('button', { name: 'Salva come nuova versione' }).click();
    await expect.poll(() => page.getByRole('alert').last().textContent()).toMatch(/definitions\.waitLimitS/);
    await json.fill('{ non è json');
    await page.getByRole('button', { name: 'Salva come nuova versione' }).click();
    await expect.poll(() => page.getByRole('alert').last().textContent()).toMatch(/non è JSON valido/);
    await screenshot(page, 'kpi-settings');
    expect(admin.errors).toEqual([]);
    await admin.context.close();
  });

  it('the Regione watches the wallboard change without reloading when a call is queued, by keyboard too', async () => {
    const page = regione.page;
    // The stream refused at first: the page says so, shows the figures read once, and opens it again.
    const stream = '**/api/kpi/wallboard/stream*';
    await page.route(stream, (r) => r.fulfill({ status: 503, body: '' }));
    await page.getByRole('link', { name: 'Cruscotto' }).click();
    await page.getByRole('heading', { name: 'Cruscotto · CUP' }).waitFor();
    await expect.poll(() => page.getByTestId('connection').textContent()).toMatch(/Connessione persa, riconnessione…/);
    await expect.poll(() => page.getByTestId('updated-at').textContent()).toMatch(/^Dati delle \d{2}:\d{2}:\d{2}$/);
    await page.unroute(stream);
    await expect
      .poll(() => page.getByTestId('connection').textContent(), { timeout: 10_000 })
      .toMatch(/In tempo reale/);
    const waiting = page.getByTestId('now-waiting').locator('[data-value]');
    await expect.poll(() => waiting.textContent()).toBe('0');
    expect(
      await page.getByTestId('windows').locator('[data-row="accepted"] [data-window="month"]').textContent(),
    ).toMatch(/^\d+$/);
    expect(await page.locator('[aria-live="polite"]').count()).toBe(1);
    await page.evaluate(() => ((globalThis as { kpiMarker?: number }).kpiMarker = 1));

    // A citizen calls the CUP and waits in the queue: the wallboard shows it, pushed.
    const call = await sim.call({ from: '+393339876543', to: CUP });
    calls.push(call);
    await call.waitForGather();
    await call.press('2');
    await call.waitFor((e) => e.kind === 'enqueue');
    await expect.poll(() => waiting.textContent(), { timeout: 15_000 }).toBe('1');
    await expect
      .poll(() => page.getByTestId('now-longest').locator('[data-value]').textContent())
      .toMatch(/^\d+ s$|min/);
    expect(await page.evaluate(() => (globalThis as { kpiMarker?: number }).kpiMarker)).toBe(1);
    expect(await page.getByTestId('arrival-chart').locator('canvas').count()).toBeGreaterThan(0);
    await screenshot(page, 'kpi-wallboard');

    // Keyboard: from the heading, Tab reaches the line switch and the full-screen toggle.
    await page.locator('h1').focus();
    const reached: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Tab');
      reached.push(((await page.locator(':focus').textContent()) ?? '').trim());
    }
    expect(reached).toEqual(['CUP', 'Contact Center', 'Schermo intero']);
    // The Contact Center by keyboard: its wallboard, the queued CUP call not in it.
    await page.locator('h1').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Cruscotto · Contact Center' }).waitFor();
    expect(new URL(page.url()).searchParams.get('line')).toBe('csb');
    await expect.poll(() => waiting.textContent()).toBe('0');

    await call.hangUp();
    expect(regione.errors).toEqual([]);
  });

  it('the SLA table of October, the contacts behind a figure, and the CSV and PDF downloads', async () => {
    const page = regione.page;
    await page.getByRole('link', { name: 'Livelli di servizio' }).click();
    await page.getByRole('heading', { name: 'Livelli di servizio', level: 1 }).waitFor();
    // The default period is last month (of the browser's clock); October is asked by the filters.
    await page.getByLabel('Dal').fill('2026-10-01');
    await page.getByLabel('al', { exact: true }).fill('2026-10-31');
    const row = page.locator('tr[data-sla="answered-within-20s"]');
    await expect.poll(() => row.locator('[data-cell="reached"]').textContent(), { timeout: 15_000 }).toBe('33,33%');
    expect(await row.locator('[data-cell="outcome"]').textContent()).toBe('KO');
    expect(await row.locator('[data-cell="base"]').textContent()).toBe('3');
    // 33,33% against 90%: 57 points begun × 0,5% of October's 100 000 €.
    expect(await row.locator('[data-cell="penalty"]').textContent()).toMatch(/^28\.500,00\s€$/);
    expect(await page.getByTestId('definitions-version').textContent()).toBe('contratto-2026.1');
    expect(await page.locator('tr[data-sla="lost-calls"] [data-cell="reached"]').textContent()).toBe('33,33%');
    // No data: n/a.
    expect(await page.locator('tr[data-sla="written-contacts-24h"] [data-cell="reached"]').textContent()).toBe('n/a');
    await screenshot(page, 'kpi-sla');

    // Drill-down: the two calls that missed the 20 s.
    await row.locator('[data-cell="missed"] a').click();
    const drill = page.getByTestId('drill');
    const contactsShown = async () =>
      Promise.all((await drill.locator('tbody tr').all()).map((r) => r.getAttribute('data-contact')));
    await drill.getByRole('heading', { name: /Contatti non conformi: Monitoraggio tempo massimo di attesa/ }).waitFor();
    await expect.poll(async () => (await contactsShown()).sort()).toEqual([`${RUN}-2`, `${RUN}-3`]);
    expect(await drill.getByRole('status').textContent()).toMatch(/da 1 a 2 di 2/);
    await row.locator('[data-cell="met"] a').click();
    await expect.poll(() => contactsShown()).toEqual([`${RUN}-1`]);
    expect(await drill.locator('tbody tr').first().textContent()).toContain('File importato');
    await screenshot(page, 'kpi-sla-drill');

    for (const [name, type] of [
      ['Scarica CSV', /^text\/csv/],
      ['Scarica PDF', /^application\/pdf/],
    ] as const) {
      const href = await page.getByRole('link', { name, exact: true }).getAttribute('href');
      expect(href).toMatch(/^\/api\/kpi\/sla\/export\?.*from=2026-10-01/);
      const res = await regione.context.request.get(href ?? '');
      expect(res.status(), name).toBe(200);
      expect(res.headers()['content-type'], name).toMatch(type);
      expect((await res.body()).length, name).toBeGreaterThan(100);
      if (type.source.includes('pdf')) {
        // What the Regione opens: one A4 landscape page, the table's words, KO in red.
        const pdf = await renderPdf(browser, await res.body(), 'kpi-sla-pdf');
        expect(pdf.pages).toBe(1);
        expect([Math.round(pdf.width), Math.round(pdf.height)]).toEqual([842, 595]);
        const words = pdf.text.join(' ');
        expect(words).toContain('Monitoraggio tempo massimo di attesa');
        expect(words).toContain('33,33%');
        expect(words).toContain('KO');
        expect(words).toContain('28.500,00 €');
        expect(words).not.toContain('?');
        expect(pdf.inked).toBeGreaterThan(0.005);
        expect(pdf.red).toBeGreaterThan(0);
      }
    }
    expect(regione.errors).toEqual([]);
  });

  it('the statistics of October per hour: charts and every figure in a table', async () => {
    const page = regione.page;
    await page.getByRole('link', { name: 'Statistiche' }).click();
    await page.getByRole('heading', { name: 'Statistiche', level: 1 }).waitFor();
    await page.getByLabel('al', { exact: true }).fill('2026-10-31');
    await page.getByLabel('Dal').fill('2026-10-01');
    const table = page.getByTestId('distribution');
    await expect
      .poll(async () => Promise.all((await table.locator('tbody tr').all()).map((r) => r.getAttribute('data-key'))))
      .toEqual(['09', '10', '11']);
    expect(await table.locator('tbody tr[data-key="09"] th').textContent()).toBe('09–10');
    expect(await table.locator('tfoot').textContent()).toMatch(/^Totale3/);
    expect(await page.locator('.kpi-chart canvas').count()).toBeGreaterThan(0);
    await page.getByLabel('Raggruppa per').selectOption('weekday');
    await expect.poll(() => table.locator('tbody tr th').allTextContents()).toEqual(['martedì']);
    await screenshot(page, 'kpi-statistics');
    expect(regione.errors).toEqual([]);
  });

  it('the stored October report opens with its frozen table; the supervisor publishes it after confirming', async () => {
    await new Kpis(app.db, () => new Date(Date.now() + offset)).produceDue('2026-06-01');
    const supervisor = await signedIn(browser, app, 'e2e.kpi.supervisore', ['supervisor']);
    const page = supervisor.page;
    await page.goto('/report?kind=monthly&line=cup');
    await page.getByRole('heading', { name: 'Report dei livelli di servizio' }).waitFor();
    await page.getByTestId('reports').getByRole('link', { name: 'ottobre 2026' }).click();
    await page.getByRole('heading', { name: 'Report mensile CUP, ottobre 2026' }).waitFor();
    expect(await page.locator('tr[data-sla="answered-within-20s"] [data-cell="reached"]').textContent()).toBe('33,33%');
    expect(await page.getByTestId('definitions-version').textContent()).toBe('contratto-2026.1');
    const csv = await page.getByRole('link', { name: 'Scarica CSV' }).getAttribute('href');
    expect((await supervisor.context.request.get(csv ?? '')).status()).toBe(200);

    await page.getByRole('button', { name: 'Pubblica' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pubblicare il report?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Pubblica' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/Report pubblicato il/);
    await expect.poll(() => page.getByRole('button', { name: 'Pubblica' }).count()).toBe(0);
    expect(await page.getByTestId('report-facts').textContent()).toMatch(/Pubblicato il .* da e2e\.kpi\.supervisore/);
    await screenshot(page, 'kpi-report');

    // The Regione reads it, and may not publish.
    await regione.page.goto(page.url());
    await regione.page.getByRole('heading', { name: 'Report mensile CUP, ottobre 2026' }).waitFor();
    expect(await regione.page.getByRole('button', { name: 'Pubblica' }).count()).toBe(0);
    expect(supervisor.errors).toEqual([]);
    expect(regione.errors).toEqual([]);
    await supervisor.context.close();
  });
});
