import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { startTestApp } from '../integration/support/test-app.js';
import { launchChromium, screenshot, signedIn } from './support/browser.js';

describe('the staffing page in the browser (issue 14)', () => {
  let app: RunningApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp();
    // Nobody on the phones now: the roster filled from presence is all zeros.
    await app.db.query(`UPDATE voice_operators SET presence = 'assente'`);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('the Regione plans the CUP month, sees the charts, prices a roster with nobody on the phones and exports the CSV', async () => {
    const regione = await signedIn(browser, app, 'e2e.turni.regione', ['regione']);
    const page = regione.page;
    await page.getByRole('link', { name: 'Dimensionamento' }).click();
    await page.getByRole('heading', { name: 'Dimensionamento', level: 1 }).waitFor();
    await page.getByLabel('Mese', { exact: true }).fill('2024-10');
    await page.getByLabel('Durata media di gestione (s)').fill('240');
    await page.getByLabel(/^Pazienza media/).fill('90');
    await page.getByLabel('Shrinkage (%)').fill('0');
    await page.getByLabel('Valore del servizio nel mese (€)').fill('100000');
    await page.getByRole('button', { name: 'Calcola il fabbisogno' }).click();
    // The same plan as the command's: 32 on the phones at Monday's 09:00 peak.
    const rows = page.getByTestId('staffing-half-hours').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(24);
    await expect
      .poll(async () => (await rows.filter({ hasText: '09:00' }).locator('td').nth(1).textContent())?.trim())
      .toBe('32');
    expect(
      Number((await page.getByTestId('expected-sl').textContent())?.replace(/[^\d,]/g, '').replace(',', '.')),
    ).toBeGreaterThanOrEqual(90);
    expect(await page.getByTestId('staffing-summary').textContent()).toMatch(/38,1 FTE di front end/);
    expect(await page.getByTestId('staffing-shifts').locator('li').count()).toBeGreaterThan(0);
    expect(await page.locator('.kpi-charts canvas').count()).toBeGreaterThanOrEqual(3);
    await page.getByRole('tab', { name: /^Sabato/ }).click();
    await expect.poll(() => rows.count()).toBe(12);
    await screenshot(page, 'staffing-plan');

    // A roster of nobody: every call lost, the penalty in €, the hours that would avoid it.
    await page.getByTestId('use-presence').click();
    expect(await page.getByLabel('Operatori al telefono alle 08:00').inputValue()).toBe('0');
    await page.getByTestId('evaluate-roster').click();
    await page.getByTestId('staffing-extra').waitFor();
    expect(await page.getByTestId('staffing-extra').textContent()).toMatch(
      /ore in più, pari a .*€, contro una penale attesa di .*€/,
    );
    const penalties = page.getByTestId('staffing-penalties');
    const within = penalties.locator('tbody tr').first().locator('td');
    // Points short of the 90 % threshold, and their share of the 100,000 € in euro.
    expect(Number((await within.nth(2).textContent())?.replace(',', '.'))).toBeGreaterThan(0);
    expect(await within.nth(3).textContent()).toMatch(/[1-9][\d.]*,\d\d\s€/);
    await screenshot(page, 'staffing-roster');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Esporta CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('dimensionamento-cup-2024-10.csv');
    expect(regione.errors).toEqual([]);
  });
});
