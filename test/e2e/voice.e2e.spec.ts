import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { lineStateAt, romeClock } from '../../domain/voice/lines.js';
import { apiAs, startTestApp } from '../integration/support/test-app.js';
import { VALID_NRE } from '../integration/support/booking.js';
import { launchChromium, screenshot, signedIn, type Person } from './support/browser.js';

const CUP = '+39848821821';
const OPERATOR = 'e2e.voce.uno';

/**
 * How far to move the app's clock back so the CUP line is open (a working day, 09:00–18:30 in
 * Rome): nothing when it is open now, else the latest such hour before. The browser keeps the
 * real time, so an offer's countdown may then read «pochi istanti»; the server decides anyway.
 */
function shiftToOpenHours(): number {
  const now = Date.now();
  for (let h = 0; h < 24 * 14; h++) {
    const at = new Date(now - h * 3_600_000);
    const { weekday, time } = romeClock(at);
    if (weekday === 'sat' || weekday === 'sun' || time < '09:00' || time >= '18:30') continue;
    if (lineStateAt(CUP, at).kind === 'open') return -h * 3_600_000;
  }
  throw new Error('no open hour of the CUP line in the last two weeks');
}

describe('a call from the simulator reaches an operator in the browser, who closes it with an outcome', () => {
  let app: RunningApp;
  let browser: Browser;
  let operator: Person;
  let supervisor: Person;
  /** Instances the tests start and leave open: removed at the end, so other browser tests do not meet them. */
  const started: string[] = [];
  beforeAll(async () => {
    const shift = shiftToOpenHours();
    app = await startTestApp(
      // Announcements to a waiting caller every second (scaled to 10 ms), no call-back offer.
      { VOICE_HOLD_SECONDS: '1', VOICE_CALLBACK_OFFER_SECONDS: '100000' },
      { voiceTimeScale: 0.01, ...(shift ? { now: () => new Date(Date.now() + shift) } : {}) },
    );
    if (!app.voice?.simulator) throw new Error('the local call simulator did not start');
    browser = await launchChromium();
    operator = await signedIn(browser, app, OPERATOR, ['operator']);
    supervisor = await signedIn(browser, app, 'e2e.voce.supervisore', ['supervisor']);
  });
  afterAll(async () => {
    for (const id of started) await app?.engine.deleteProcessInstance(id, 'e2e cleanup').catch(() => undefined);
    await browser?.close();
    await app?.stop();
  });

  it('the operator goes available, accepts the CUP call, starts a booking for it, and after the hang-up closes the contact; the board shows the record', async () => {
    const op = operator.page;
    const sim = supervisor.page;

    // The operator opens the console and becomes available.
    await op.getByRole('link', { name: 'Telefono', exact: true }).click();
    await op.getByRole('heading', { name: 'Console telefonica' }).waitFor();
    await op.getByTestId('presence').waitFor();
    expect(await op.getByTestId('presence').textContent()).toMatch(/^Assente/);
    await op.getByRole('button', { name: 'Disponibile', exact: true }).click();
    await expect.poll(() => op.getByTestId('presence').textContent()).toMatch(/^Disponibile/);
    const code = ((await op.getByTestId('operator-code').textContent()) ?? '').trim();
    expect(code).toMatch(/^\d+$/);
    // On the local default the console points to the simulator, not to Twilio's softphone.
    await expect.poll(() => op.locator('main').textContent()).toMatch(/le chiamate arrivano dal Simulatore chiamate/);

    // A citizen calls the CUP from the simulator and presses 1 (booking).
    await sim.getByRole('link', { name: 'Simulatore', exact: true }).click();
    await sim.getByRole('heading', { name: 'Simulatore chiamate' }).waitFor();
    await sim.getByRole('button', { name: 'CUP 848 821 821' }).click();
    expect(await sim.getByLabel('Numero del chiamante').inputValue()).toBe('+393331234567');
    await sim.getByRole('button', { name: 'Chiama' }).click();
    const transcript = sim.getByTestId('transcript');
    await expect.poll(() => transcript.textContent()).toMatch(/Per prenotare una visita o un esame, prema 1/);
    const sid = ((await sim.getByTestId('sim-call-sid').textContent()) ?? '').trim();
    expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    await screenshot(sim, 'voice-simulator-menu');
    await sim.getByRole('group', { name: 'Tastiera' }).getByRole('button', { name: '1', exact: true }).click();
    await expect.poll(() => transcript.textContent()).toMatch(/In attesa in coda cup/);

    // The operator is offered the call: line and request in Italian; accepts it.
    const offer = op.getByTestId('offer');
    await offer.waitFor();
    expect(await op.getByTestId('offer-line').textContent()).toBe('CUP Basilicata');
    expect(await op.getByTestId('offer-request').textContent()).toBe('Prenotazione');
    await screenshot(op, 'voice-console-offer');
    await offer.getByRole('button', { name: 'Accetta' }).click();
    await expect.poll(() => op.getByTestId('presence').textContent()).toMatch(/^In conversazione/);

    // The caller hears the operator's code, then is connected.
    await expect
      .poll(() => transcript.textContent())
      .toMatch(new RegExp(`Collegato con client:${OPERATOR.replace(/[^A-Za-z0-9_]/g, '_')}`));
    const heard = await transcript.locator('li').allTextContents();
    const codeAt = heard.findIndex((t) => t.includes("Le risponde l'operatore con codice"));
    const bridgedAt = heard.findIndex((t) => t.startsWith('Collegato con'));
    expect(codeAt, heard.join('\n')).toBeGreaterThan(-1);
    expect(heard[codeAt]).toContain(code);
    expect(codeAt).toBeLessThan(bridgedAt);

    // The call on the console, and its contact task.
    const callCard = op.getByTestId('current-call');
    expect(await op.getByTestId('call-line').textContent()).toBe('CUP Basilicata');
    // The operator has personal-data rights: the caller's number in full.
    expect(await op.getByTestId('call-caller').textContent()).toBe('+39 333 123 4567');
    await callCard.getByRole('link', { name: 'Apri il contatto' }).click();
    await op.getByRole('heading', { name: 'Contatto telefonico' }).waitFor();
    await expect.poll(() => op.getByTestId('assignee').textContent()).toBe(OPERATOR);
    await op.goBack();
    await op.getByRole('heading', { name: 'Console telefonica' }).waitFor();
    await screenshot(op, 'voice-console-call');

    // A booking started from the console is linked to the call.
    await op.getByTestId('current-call').getByRole('link', { name: 'Prenotazione' }).click();
    await op.waitForURL(`**/contatti/nuovo?callSid=${sid}`);
    expect(await op.getByTestId('linked-call').textContent()).toContain(sid);
    await op.getByLabel('Numero di ricetta elettronica (NRE)').fill(VALID_NRE);
    await op.getByLabel('Prestazione (codice)').fill('95.02');
    await op.getByLabel('Codice fiscale del paziente').fill('BNCLRA75M45F052G');
    await op.getByRole('button', { name: 'Avvia la prenotazione' }).click();
    await op.waitForURL(/\/compiti\/[0-9a-f-]{36}$/);
    await op.getByRole('heading', { name: 'Scegli lo slot con il paziente' }).waitFor();
    const slotTask = await app.engine.task(new URL(op.url()).pathname.split('/').at(-1) ?? '');
    expect(slotTask).toBeDefined();
    started.push(slotTask?.processInstanceId ?? '');
    expect((await app.engine.processVariables(slotTask?.processInstanceId ?? ''))?.['callSid']).toBe(sid);

    // The caller hangs up: the operator is in after-call work.
    await sim.getByRole('button', { name: 'Riaggancia' }).click();
    await expect.poll(() => transcript.textContent()).toMatch(/Chiamata terminata dal chiamante/);
    await op.getByRole('link', { name: 'Telefono', exact: true }).click();
    await expect.poll(() => op.getByTestId('presence').textContent()).toMatch(/^Post-chiamata/);
    expect(await op.getByRole('button', { name: 'Disponibile', exact: true }).isDisabled()).toBe(true);

    // The contact closed with its outcome: available again.
    await op.getByTestId('current-call').getByRole('link', { name: 'Apri il contatto' }).click();
    await op.getByRole('heading', { name: 'Contatto telefonico' }).waitFor();
    await op.locator('.task-form').getByLabel('Risolto').check();
    await op.getByRole('button', { name: 'Completa il compito' }).click();
    // Back to the telephone at once, available again.
    await op.waitForURL('**/telefono');
    await expect.poll(() => op.getByTestId('presence').textContent(), { timeout: 15_000 }).toMatch(/^Disponibile/);
    await op.getByTestId('no-call').waitFor();

    // The supervisor's board: the operator available, and the call's record with every step.
    await sim.getByRole('link', { name: 'Code e operatori' }).click();
    await sim.getByRole('heading', { name: 'Code e operatori' }).waitFor();
    await expect
      .poll(() => sim.locator(`tr[data-operator="${OPERATOR}"]`).textContent(), { timeout: 10_000 })
      .toMatch(/Disponibile/);
    const row = sim.locator(`table.call-records tr[data-sid="${sid}"]`);
    await expect
      .poll(() => row.locator('[data-step="wrapUpEndedAt"]').textContent(), { timeout: 15_000 })
      .toMatch(/^\d{2}:\d{2}:\d{2}$/);
    for (const step of [
      'arrivedAt',
      'ivrEnteredAt',
      'offeredAt',
      'firstOfferedToOperatorAt',
      'answeredAt',
      'endedAt',
    ]) {
      expect(await row.locator(`[data-step="${step}"]`).textContent(), step).not.toBe('—');
    }
    expect(await row.locator('[data-step="abandonedAt"]').textContent()).toBe('—');
    expect(await row.locator('[data-step="outcome"]').textContent()).toMatch(/^Risolto/);
    expect(await row.textContent()).toContain(OPERATOR);
    await screenshot(sim, 'voice-board');

    expect(operator.errors).toEqual([]);
    expect(supervisor.errors).toEqual([]);
  });

  it('the flows started for a call carry its CallSid as a process variable; a malformed one is refused', async () => {
    const cup = apiAs(app, 'e2e.voce.cup', ['operator']);
    const helpDesk = apiAs(app, 'e2e.voce.hd', ['helpdesk-operator']);
    const sid = `CA${'0123456789abcdef'.repeat(2)}`;
    const starts = [
      [cup, '/api/cup/bookings', { prescriptionNre: VALID_NRE, serviceCode: '89.7A.3', patientId: 'pat-0001' }],
      [cup, '/api/cup/cancellations', { appointmentId: 'nessuna', cancellationNote: 'disdetta di prova' }],
      [cup, '/api/cup/information-contacts', { channel: 'telefono' }],
      [helpDesk, '/api/helpdesk/contacts', { subject: 'Richiesta dal telefono' }],
    ] as const;
    for (const [client, path, body] of starts) {
      const refused = await client.post(path, { ...body, callSid: 'CA1234' });
      expect(refused.status, path).toBe(400);
    }
    for (const [client, path, body] of [starts[0], starts[2], starts[3]]) {
      const linked = await client.post<{ processInstanceKey: string }>(path, { ...body, callSid: sid });
      expect(linked.status, `${path}: ${JSON.stringify(linked.body)}`).toBe(201);
      started.push(linked.body.processInstanceKey);
      expect((await app.engine.processVariables(linked.body.processInstanceKey))?.['callSid'], path).toBe(sid);
      const plain = await client.post<{ processInstanceKey: string }>(path, body);
      expect(plain.status, path).toBe(201);
      started.push(plain.body.processInstanceKey);
      expect((await app.engine.processVariables(plain.body.processInstanceKey))?.['callSid'], path).toBeUndefined();
    }
  });
});
