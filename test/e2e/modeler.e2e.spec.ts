import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from '../integration/support/test-app.js';
import { openTaskOf, slotOptions, startBooking, waitForConfirmation } from '../integration/support/booking.js';
import { apiFromPage, launchChromium, screenshot, signedIn, type Person } from './support/browser.js';

interface TaskRow {
  key: string;
  elementId: string;
  processVersion: number;
  processInstanceKey: string;
}

/** Opens a properties panel group by its title, if it is closed. */
async function openGroup(page: Page, title: string): Promise<void> {
  const header = page.locator('.bio-properties-panel-group-header', { hasText: new RegExp(`^${title}`) }).first();
  if (!(await header.getAttribute('class'))?.includes('open')) await header.click();
}

describe('an analyst changes a flow and its form in the browser and deploys them', () => {
  let app: RunningApp;
  let browser: Browser;
  let analyst: Person;
  /** Holds cup:contact, which cup-booking's workers need and the analyst lacks: approves the analyst's deploys. */
  let supervisor: Person;
  let operator: ApiClient;
  let backOffice: ApiClient;
  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchChromium();
    analyst = await signedIn(browser, app, 'e2e.analista', ['analyst']);
    supervisor = await signedIn(browser, app, 'e2e.supervisore', ['supervisor']);
    operator = apiAs(app, 'e2e.operatore.m', ['operator']);
    backOffice = apiAs(app, 'e2e.backoffice.m', ['back-office-1']);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('adds a user task to cup-booking, sees the lint errors, fixes them, deploys after a supervisor’s approval: new instances follow the new version, a running one stays on its own', async () => {
    // A booking already waiting for the operator, on the version deployed from the repository.
    const running = await startBooking(operator);
    const runningTask = await openTaskOf(operator, running.processInstanceKey);
    const before = runningTask.processVersion ?? 0;

    const page = analyst.page;
    await page.getByRole('link', { name: 'Modellatore' }).click();
    await page.getByLabel('Apri').selectOption({ label: `cup-booking (v${before})` });
    await expect.poll(() => page.locator('.toolbar .status').textContent()).toMatch(`cup-booking (v${before})`);
    await expect.poll(() => page.locator('#problems-title .count').textContent()).toMatch(/^0 errori/);

    // After the operator's choice, a new step for the back office.
    await page.locator('.djs-element[data-element-id="choose-slot"]').click();
    await page.locator('.djs-context-pad.open [data-action="append.append-task"]').click();
    await page.keyboard.press('Escape'); // leaves the label editor bpmn-js opens on a new task
    await page.locator('.djs-context-pad.open [data-action="replace"]').click();
    await page.locator('.djs-popup [data-id="replace-with-user-task"]').click();
    await openGroup(page, 'Generale');
    await page.locator('#bio-properties-panel-name').fill('Verifica a campione');
    const newId = await page.locator('#bio-properties-panel-id').inputValue();

    // The platform's rules show on the canvas and in the list; deploying is not offered.
    const problems = page.getByTestId('lint-problems');
    await expect.poll(() => problems.textContent()).toMatch(/non ha un modulo/);
    expect(await problems.textContent()).toMatch(/non ha un gruppo candidato/);
    await page.getByLabel(/Commento della versione/).fill('Verifica a campione del back office dopo la scelta');
    expect(await page.getByRole('button', { name: 'Distribuisci', exact: true }).isDisabled()).toBe(true);
    await screenshot(page, 'modeler-lint-errors');

    // Fix them in the properties panel: a linked Camunda Form, and the back office as candidates.
    await openGroup(page, 'Modulo');
    await page.locator('#bio-properties-panel-formType').selectOption({ label: 'Camunda Forms' });
    await page.locator('#bio-properties-panel-formRef').fill('cup-escalation');
    await openGroup(page, 'Assegnazione');
    await page.locator('#bio-properties-panel-candidateGroups').fill('cup-back-office');
    await page.locator('#bio-properties-panel-candidateGroups').press('Tab');
    await expect
      .poll(() => page.locator('#problems-title .count').textContent(), { timeout: 10_000 })
      .toMatch(/^0 errori/);
    await screenshot(page, 'modeler-clean');

    // cup-booking books on the CUP and sends SMS (cup:contact), which the analyst's role may not:
    // not deployed, the modeler says why, and a supervisor approves it.
    await page.getByRole('button', { name: 'Distribuisci', exact: true }).click();
    const pending = page.getByTestId('pending-approval');
    await expect.poll(() => pending.textContent()).toMatch(/non è stato distribuito: in attesa di approvazione/);
    const why = (await pending.textContent()) ?? '';
    expect(why).toMatch(/attività «book-slot»/);
    expect(why).toMatch(/attività «send-sms»/);
    expect(why).toMatch(/agire sul CUP per i cittadini.*\(cup:contact\)/);
    expect(why).toMatch(/Il tuo ruolo non ha questo permesso/);
    await screenshot(page, 'modeler-pending-approval');
    expect((await openTaskOf(operator, (await startBooking(operator)).processInstanceKey)).processVersion).toBe(before);

    const approver = supervisor.page;
    await approver.getByRole('link', { name: 'Approvazioni' }).click();
    const request = approver.locator('tr[data-approval]', { hasText: 'Verifica a campione del back office' });
    await request.waitFor();
    expect(await request.textContent()).toMatch(/e2e\.analista.*attività «book-slot».*cup:contact/);
    await request.getByRole('button', { name: /Confronta con la versione distribuita/ }).click();
    await expect
      .poll(() => approver.getByRole('table', { name: 'Elenco delle differenze' }).textContent())
      .toMatch(new RegExp(`${newId}aggiunto`));
    await screenshot(approver, 'model-approvals');
    await request.getByLabel('Nota della decisione').fill('Verificato con il back office');
    await request.getByRole('button', { name: /Approva e distribuisci/ }).click();
    await expect
      .poll(() => approver.getByRole('status').first().textContent())
      .toMatch(`cup-booking distribuito, versione ${before + 1}`);

    // The analyst's history shows the new version, by the analyst.
    await page.goto('/modellatore?processo=cup-booking');
    await page.locator(`tr[data-version="${before + 1}"]`).waitFor();
    expect(await page.locator(`tr[data-version="${before + 1}"]`).textContent()).toMatch(
      /e2e\.analista.*modellatore.*Verifica a campione del back office/,
    );

    // A new booking runs on the new version and reaches the new step after the operator's choice.
    const fresh = await startBooking(operator);
    const freshTask = await openTaskOf(operator, fresh.processInstanceKey);
    expect(freshTask.processVersion).toBe(before + 1);
    await operator.post(`/api/tasks/${freshTask.key}/claim`);
    await operator.post(`/api/tasks/${freshTask.key}/complete`, {
      variables: { slotId: slotOptions(freshTask)[0]?.value },
    });
    const added = await waitFor(async () => {
      const list = await backOffice.get<{ items: TaskRow[] }>('/api/tasks?process=cup-booking');
      return list.body.items.find((t) => t.processInstanceKey === fresh.processInstanceKey && t.elementId === newId);
    }, 'the new step of the new version');
    expect(added.processVersion).toBe(before + 1);

    // The booking that was already running stays on its version and ends without the new step.
    await operator.post(`/api/tasks/${runningTask.key}/claim`);
    // (Another slot than the new booking took, or this one would be offered new slots.)
    const done = await operator.post(`/api/tasks/${runningTask.key}/complete`, {
      variables: { slotId: slotOptions(runningTask).at(-1)?.value },
    });
    expect(done.status).toBe(200);
    await waitForConfirmation(app, running.processInstanceKey);
    // The engine's history of that instance: it went on to the booking, and never had the new step.
    const history = await backOffice.get<{ activities: { elementId: string }[]; tasks: { elementId: string }[] }>(
      `/api/process-instances/${running.processInstanceKey}`,
    );
    expect(history.status).toBe(200);
    const ran = history.body.activities.map((a) => a.elementId);
    expect(ran).toContain('book-slot');
    expect(ran).not.toContain(newId);
    expect(history.body.tasks.map((t) => t.elementId)).toEqual(['choose-slot']);

    // The visual diff shows the new step as added; a rollback brings the previous version back as a new one.
    await page
      .locator(`tr[data-version="${before}"]`)
      .getByRole('button', { name: /Confronta con l’ultima/ })
      .click();
    const diff = page.getByRole('table', { name: 'Elenco delle differenze' });
    await expect.poll(() => diff.textContent()).toMatch(new RegExp(`${newId}aggiunto`));
    await screenshot(page, 'modeler-diff');
    page.once('dialog', (d) => void d.accept('Torna al flusso precedente'));
    await page
      .locator(`tr[data-version="${before}"]`)
      .getByRole('button', { name: /Ripristina/ })
      .click();
    // A rollback is a deploy too: it waits for the supervisor.
    await expect.poll(() => pending.textContent()).toMatch(/in attesa di approvazione/);
    await approver.reload();
    const rollback = approver.locator('tr[data-approval]', { hasText: 'Torna al flusso precedente' });
    await rollback.getByRole('button', { name: /Approva e distribuisci/ }).click();
    await expect
      .poll(() => approver.getByRole('status').first().textContent())
      .toMatch(`cup-booking distribuito, versione ${before + 2}`);
    const restored = await startBooking(operator);
    expect((await openTaskOf(operator, restored.processInstanceKey)).processVersion).toBe(before + 2);
    expect(analyst.errors).toEqual([]);
    expect(supervisor.errors).toEqual([]);
  });

  it('changes a form in the form editor and deploys it as a new version', async () => {
    const page = analyst.page;
    await page.getByRole('link', { name: 'Moduli' }).click();
    await page.getByLabel('Apri').selectOption({ label: 'cup-escalation (v1)' });
    await page
      .locator('.fjs-editor-container .fjs-form-field[data-id="note"], .fjs-editor-container [data-id="note"]')
      .first()
      .click();
    await openGroup(page, 'General');
    const label = page.locator('.fjs-properties-container #bio-properties-panel-label');
    await label.fill('Nota del back office (motivo della decisione)');
    await label.press('Tab');
    await expect
      .poll(() => page.locator('.fjs-form-container [data-id="note"]').first().textContent())
      .toContain('motivo della decisione');
    await page.getByLabel('Commento della versione').fill('Etichetta della nota più chiara');
    await screenshot(page, 'form-editor');
    await page.getByRole('button', { name: 'Distribuisci', exact: true }).click();
    await expect
      .poll(() => page.getByRole('status').first().textContent())
      .toMatch(/Modulo cup-escalation distribuito, versione 2/);
    const rows: { content: string }[] = await app.db.query(
      `SELECT content FROM resource_deployments WHERE resource_id = 'cup-escalation' AND status = 'deployed' ORDER BY version DESC LIMIT 1`,
    );
    expect(rows[0]?.content).toContain('Nota del back office (motivo della decisione)');
    // Saved as a form for the engine the processes run on, whatever the repository's file said.
    expect(JSON.parse(rows[0]?.content ?? '{}')).toMatchObject({
      id: 'cup-escalation',
      executionPlatform: 'Camunda Platform',
      executionPlatformVersion: '7.23.0',
    });
  });

  it('the Regione can look at the models but not deploy: no button, and the API refuses', async () => {
    const regione = await signedIn(browser, app, 'e2e.regione.m', ['regione']);
    await regione.page.goto('/modellatore?processo=cup-booking');
    await regione.page.locator('.djs-element[data-element-id="choose-slot"]').waitFor();
    expect(await regione.page.getByRole('button', { name: 'Distribuisci', exact: true }).count()).toBe(0);
    // Nothing to draw with: no palette, and no context pad on a selected element.
    expect(await regione.page.locator('.djs-palette').isVisible()).toBe(false);
    await regione.page.locator('.djs-element[data-element-id="choose-slot"]').click();
    expect(await regione.page.locator('.djs-context-pad').isVisible()).toBe(false);
    const content: { content: string }[] = await app.db.query(
      `SELECT content FROM resource_deployments WHERE resource_id = 'cup-booking' AND status = 'deployed' ORDER BY version DESC LIMIT 1`,
    );
    expect(
      await apiFromPage(regione.page, 'POST', '/api/models/deploy', {
        name: 'cup-booking.bpmn',
        content: content[0]?.content,
        comment: 'tentativo',
        override: true,
      }),
    ).toBe(403);
    await regione.context.close();
  });
});
