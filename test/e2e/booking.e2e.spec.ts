import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { startTestApp, waitFor } from '../integration/support/test-app.js';
import { launchChromium, screenshot, signedIn } from './support/browser.js';

describe('an operator books a visit entirely in the browser, with the keyboard', () => {
  let app: RunningApp;
  let browser: Browser;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('starts the booking from the prescription, chooses a slot in the form, and the patient gets the SMS', async () => {
    const operator = await signedIn(browser, app, 'e2e.operatore.k', ['operator']);
    const page = operator.page;
    await page.getByRole('link', { name: 'Nuovo contatto' }).click();
    await page.getByRole('heading', { name: 'Nuovo contatto' }).waitFor();
    // Keyboard only: the fields are in reading order.
    await page.getByLabel('Numero di ricetta elettronica (NRE)').focus();
    await page.keyboard.type('170a10123456789');
    await page.keyboard.press('Tab');
    await page.keyboard.type('95.02');
    await page.keyboard.press('Tab');
    await page.keyboard.type('bnclra75m45f052g');
    await page.keyboard.press('Tab'); // priority: P by default
    await page.keyboard.press('Tab');
    await page.keyboard.type('333 000 0002');
    await screenshot(page, 'new-booking');
    await page.keyboard.press('Enter');

    // The slot choice opens, already taken by this operator.
    // (The engine's own task: its id is a UUID.)
    await page.waitForURL(/\/compiti\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await page.getByRole('heading', { name: 'Scegli lo slot con il paziente' }).waitFor();
    await expect.poll(() => page.getByTestId('assignee').textContent()).toBe('e2e.operatore.k');
    await page.locator('.task-form .fjs-form-field-select .fjs-input-group').waitFor();
    // The form-js select works with the keyboard: focus opens the list, arrows move, Enter picks.
    // The choice shows in the select's own display (the open list has times in it too). A key
    // pressed while the list is still opening is lost, so the person presses again.
    const chosen = page.locator('.task-form .fjs-select-display');
    for (let attempt = 0; attempt < 3 && !/\d{2}:\d{2}/.test((await chosen.textContent()) ?? ''); attempt++) {
      await page.locator('.task-form input.fjs-select-hidden-input').focus();
      await page.locator('.task-form .fjs-dropdownlist').waitFor();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await expect
        .poll(async () => /\d{2}:\d{2}/.test((await chosen.textContent()) ?? ''), { timeout: 2000 })
        .toBe(true)
        .catch(() => undefined);
    }
    expect(await chosen.textContent()).toMatch(/\d{2}:\d{2}/);
    await page.getByRole('button', { name: 'Completa il compito' }).focus();
    await page.keyboard.press('Enter');
    // What to read to the patient: the booking code, day, time and structure.
    await page.waitForURL(/\/prenotazioni\/[0-9a-f-]{36}$/);
    await page.getByTestId('booking-code').waitFor();
    const shown = (await page.getByTestId('booking-outcome').textContent()) ?? '';
    const code = (await page.getByTestId('booking-code').textContent()) ?? '';
    expect(code).toMatch(/^BAS-/);
    expect(shown).toMatch(/\d{2}:\d{2}/);
    await screenshot(page, 'booking-outcome');

    const sms = await waitFor(async () => {
      const rows: { body: string }[] = await app.db.query(
        `SELECT body FROM sms_messages WHERE to_number = '+393330000002' ORDER BY created_at DESC LIMIT 1`,
      );
      return rows[0];
    }, 'the confirmation SMS');
    expect(sms.body).toMatch(/^CUP Basilicata: prenotazione BAS-/);
    // The code the operator reads out is the one in the patient's SMS.
    expect(sms.body).toContain(code);
    expect(operator.errors).toEqual([]);
  });

  it('refuses a wrong prescription number with the reason, and starts nothing', async () => {
    const operator = await signedIn(browser, app, 'e2e.operatore.k', ['operator']);
    const page = operator.page;
    await page.goto('/contatti/nuovo');
    await page.getByLabel('Numero di ricetta elettronica (NRE)').fill('123');
    await page.getByLabel('Prestazione (codice)').fill('95.02');
    await page.getByLabel('Codice fiscale del paziente').fill('RSSMRA80A01G942K');
    await page.getByRole('button', { name: 'Avvia la prenotazione' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/ricetta/i);
    await screenshot(page, 'new-booking-refused');
  });
});
