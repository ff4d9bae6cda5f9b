import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp } from '../integration/support/test-app.js';
import { openTaskOf, startBooking, waitForConfirmation } from '../integration/support/booking.js';
import { apiFromPage, launchChromium, screenshot, signedIn, type Person } from './support/browser.js';

describe('operators and back office work their tasks in the browser', () => {
  let app: RunningApp;
  let browser: Browser;
  let first: Person;
  let second: Person;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchChromium();
    first = await signedIn(browser, app, 'e2e.operatore.a', ['operator']);
    second = await signedIn(browser, app, 'e2e.operatore.b', ['operator']);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('an operator claims and completes a booking through its form; a second browser sees it arrive, get claimed and disappear, live', async () => {
    await first.page.goto('/compiti?process=cup-booking');
    await second.page.goto('/compiti?process=cup-booking');
    await first.page.getByRole('heading', { name: 'Compiti' }).waitFor();
    await second.page.getByRole('heading', { name: 'Compiti' }).waitFor();

    const started = await startBooking(apiAs(app, 'e2e.centralino', ['operator']));
    const task = await openTaskOf(apiAs(app, 'e2e.centralino', ['operator']), started.processInstanceKey);
    const rowIn = (p: Person) => p.page.locator(`tr[data-task-key="${task.key}"]`);
    // Both lists show the new task without a reload.
    await rowIn(first).waitFor();
    await rowIn(second).waitFor();
    await screenshot(first.page, 'tasklist');

    // The first operator takes it with the keyboard.
    await rowIn(first)
      .getByRole('button', { name: /Prendi in carico/ })
      .focus();
    await first.page.keyboard.press('Enter');
    await first.page.waitForURL(`**/compiti/${task.key}`);
    // The task page, like every page, puts the keyboard on its heading once it has loaded.
    await first.page.getByRole('heading', { name: 'Scegli lo slot con il paziente' }).waitFor();
    await expect
      .poll(() =>
        first.page
          .locator('main h1:focus')
          .textContent({ timeout: 1000 })
          .catch(() => null),
      )
      .toBe('Scegli lo slot con il paziente');
    // The second sees it taken, with no way to claim it.
    await expect.poll(() => rowIn(second).locator('td').nth(7).textContent()).toBe('e2e.operatore.a');
    expect(
      await rowIn(second)
        .getByRole('button', { name: /Prendi in carico/ })
        .count(),
    ).toBe(0);
    expect(await apiFromPage(second.page, 'POST', `/api/tasks/${task.key}/claim`)).toBe(409);

    // Completing without choosing a slot shows the form's validation message.
    const page = first.page;
    await page.getByRole('button', { name: 'Completa il compito' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/Il modulo contiene errori/);
    expect(await page.locator('.task-form').textContent()).toMatch(/Campo obbligatorio\./);
    await screenshot(page, 'task-form-validation');
    // Choose the first proposed slot in the form-js select, then complete.
    await page.locator('.task-form .fjs-form-field-select .fjs-input-group').click();
    await page.locator('.task-form .fjs-dropdownlist-item').first().click();
    await page.getByLabel("Nota dell'operatore (facoltativa)").fill('Concordato al telefono');
    await screenshot(page, 'task-form');
    await page.getByRole('button', { name: 'Completa il compito' }).click();
    // The booking's outcome, to read to the patient.
    await page.waitForURL(`**/prenotazioni/${task.processInstanceKey}`);
    await page.getByTestId('booking-code').waitFor();

    // Gone from the second operator's list, and the booking is made.
    await expect.poll(() => rowIn(second).count(), { timeout: 15_000 }).toBe(0);
    await waitForConfirmation(app, started.processInstanceKey);
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it('the Regione sees open tasks but cannot claim them: no button, and the API refuses', async () => {
    const started = await startBooking(apiAs(app, 'e2e.centralino', ['operator']));
    const task = await openTaskOf(apiAs(app, 'e2e.centralino', ['operator']), started.processInstanceKey);
    const regione = await signedIn(browser, app, 'e2e.regione', ['regione']);
    await regione.page.goto('/compiti?process=cup-booking');
    const row = regione.page.locator(`tr[data-task-key="${task.key}"]`);
    await row.waitFor();
    expect(await row.getByRole('button', { name: /Prendi in carico/ }).count()).toBe(0);
    expect(await apiFromPage(regione.page, 'POST', `/api/tasks/${task.key}/claim`)).toBe(403);
    // Personal data stay masked for the Regione on the task page.
    await row.getByRole('link').click();
    await regione.page.getByRole('heading', { name: 'Scegli lo slot con il paziente' }).waitFor();
    expect(await regione.page.getByRole('button', { name: 'Prendi in carico' }).count()).toBe(0);
    await screenshot(regione.page, 'task-regione-read-only');
    await regione.context.close();
  });

  it('the back office sees escalations with their reason and how long they have waited', async () => {
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ('pat-e2e-bad-cf', 'RSSMRA80A01G942X', 'Prova', 'Controllo', '1980-01-01', '+393330000098') ON CONFLICT DO NOTHING`,
    );
    const started = await startBooking(apiAs(app, 'e2e.centralino', ['operator']), { patientId: 'pat-e2e-bad-cf' });
    const task = await openTaskOf(
      apiAs(app, 'e2e.bo', ['back-office-1']),
      started.processInstanceKey,
      'handle-escalation',
    );
    const backOffice = await signedIn(browser, app, 'e2e.backoffice', ['back-office-1']);
    await backOffice.page.getByRole('link', { name: 'Escalation' }).click();
    const row = backOffice.page.locator(`tr[data-task-key="${task.key}"]`);
    await row.waitFor();
    expect(await row.textContent()).toMatch(/codice fiscale/);
    expect(await row.textContent()).toMatch(/\d+ min/);
    await screenshot(backOffice.page, 'escalations');
    await backOffice.context.close();
  });
});
