import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, waitFor } from '../integration/support/test-app.js';
import {
  openTaskOf,
  outcomesOf,
  slotOptions,
  startBooking,
  waitForConfirmation,
} from '../integration/support/booking.js';
import { launchChromium, screenshot, signedIn } from './support/browser.js';

/** The steps of cup-booking that a booking with a valid prescription, slots in time and a free slot never takes. */
const NOT_TAKEN = [
  'prescription-invalid',
  'to-escalation',
  'handle-escalation',
  'escalation-outcome',
  'closed-by-back-office',
  'no-free-slot',
  'no-availability',
  'slot-taken',
];

describe('process instances in the browser', () => {
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

  it('an incident is found in the instance list, shown with its message on the diagram, and retried from the instance page', async () => {
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ('pat-e2e-bad-mobile', 'TSTBDM80A01G942S', 'Prova', 'Numero', '1980-01-01', '+39 0971 123')
       ON CONFLICT (id) DO UPDATE SET mobile = '+39 0971 123'`,
    );
    const operator = apiAs(app, 'e2e.operatore.i', ['operator']);
    const supervisor = apiAs(app, 'e2e.supervisore.i', ['supervisor']);
    const started = await startBooking(operator, { patientId: 'pat-e2e-bad-mobile' });
    const task = await openTaskOf(operator, started.processInstanceKey);
    await operator.post(`/api/tasks/${task.key}/claim`);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });
    await waitFor(
      async () => (await outcomesOf(app, started.processInstanceKey)).some((o) => o.outcome === 'incident'),
      'the incident',
    );

    const backOffice = await signedIn(browser, app, 'e2e.backoffice2', ['back-office-2']);
    const page = backOffice.page;
    await page.getByRole('link', { name: 'Istanze' }).click();
    await page.getByLabel('Stato').selectOption({ label: 'Con incidente' });
    const link = page.getByRole('link', { name: started.processInstanceKey });
    await link.waitFor();
    await screenshot(page, 'instances');
    await link.click();
    await page.getByRole('heading', { name: 'Incidenti aperti' }).waitFor();
    expect(await page.locator('.incidents').textContent()).toMatch(/non è un numero mobile italiano valido/);
    expect(await page.getByTestId('instance-state').textContent()).toBe('Con incidente');
    // The diagram marks the step in error and only the path taken: the escalation branch did not run.
    // The person's data stay visible to this role and the read is audited.
    await page.locator('.djs-element.marker-incident[data-element-id="send-confirmation"]').waitFor();
    /** The ids of the diagram's elements with a marker of this kind. */
    const marked = async (kind: string): Promise<string[]> => {
      const elements = await page.locator(`.djs-element.marker-${kind}`).all();
      return (await Promise.all(elements.map(async (e) => (await e.getAttribute('data-element-id')) ?? ''))).sort();
    };
    expect(await marked('incident')).toEqual(['send-confirmation']);
    const doneAtIncident = await marked('done');
    expect(doneAtIncident).toEqual(
      expect.arrayContaining(['booking-requested', 'check-prescription', 'propose-slots', 'choose-slot', 'book-slot']),
    );
    for (const untaken of [...NOT_TAKEN, 'send-confirmation', 'booking-confirmed'])
      expect(doneAtIncident).not.toContain(untaken);
    await screenshot(page, 'instance-incident');

    // The cause is fixed in the CUP's registry, then the back office retries that incident.
    const incidents = await waitFor(async () => {
      const detail = await supervisor.get<{ incidents: { id: string; elementId: string }[] }>(
        `/api/process-instances/${started.processInstanceKey}`,
      );
      return detail.body.incidents.length > 0 ? detail.body.incidents : undefined;
    }, 'the open incident in the engine');
    expect(incidents.map((i) => i.elementId)).toEqual(['send-confirmation']);
    await app.db.query(`UPDATE cup_patients SET mobile = '+393330000066' WHERE id = 'pat-e2e-bad-mobile'`);
    await page
      .locator(`.incidents li[data-incident-id="${incidents[0]?.id}"]`)
      .getByRole('button', { name: 'Riprova il passo send-confirmation' })
      .click();
    await waitForConfirmation(app, started.processInstanceKey);
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId('instance-state').textContent();
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe('Completato');
    expect(await page.getByRole('heading', { name: 'Incidenti aperti' }).count()).toBe(0);
    // Now the whole booking path is done, and still nothing of the escalation.
    await page.locator('.djs-element.marker-done[data-element-id="booking-confirmed"]').waitFor();
    expect(await marked('incident')).toEqual([]);
    const doneAtEnd = await marked('done');
    expect(doneAtEnd).toEqual(expect.arrayContaining([...doneAtIncident, 'send-confirmation', 'booking-confirmed']));
    for (const untaken of NOT_TAKEN) expect(doneAtEnd).not.toContain(untaken);
    await screenshot(page, 'instance-completed');
    const audit: { action: string }[] = await app.db.query(
      `SELECT action FROM audit_events WHERE actor = 'e2e.backoffice2' AND subject_id = $1`,
      [started.processInstanceKey],
    );
    expect(audit.map((a) => a.action)).toContain('personal-data.read');
    expect(backOffice.errors).toEqual([]);
  });
});
