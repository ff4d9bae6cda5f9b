import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { FhirCup } from '../../adapters/cup/fhir-cup.js';
import { apiAs, startTestApp } from './support/test-app.js';
import { openTaskOf, slotOptions, VALID_NRE, waitForConfirmation } from './support/booking.js';

/**
 * The booking flow with the CUP reached over FHIR R4 (`CUP_FHIR_BASE_URL`): one app serves
 * the FHIR endpoints of its local CUP and runs no workers; the other runs the workers
 * against it through `FhirCup`.
 */
const TOKEN = 'flow-fhir-token-0123456789abcdef';

describe('the booking flow against a FHIR R4 CUP', () => {
  let cupServer: RunningApp;
  let app: RunningApp;

  beforeAll(async () => {
    cupServer = await startTestApp({ APP_MODE: 'api', FHIR_WRITE_TOKEN: TOKEN });
    app = await startTestApp({ CUP_FHIR_BASE_URL: `${cupServer.url}/fhir`, CUP_FHIR_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await app?.stop();
    await cupServer?.stop();
  });

  it('serves the local CUP’s FHIR stand-in only where the local CUP is in use', async () => {
    const metadata = (url: string | undefined) =>
      fetch(`${url}/fhir/metadata`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect((await metadata(cupServer.url)).status).toBe(200);
    // With CUP_FHIR_BASE_URL the region's CUP answers FHIR; the app has no CUP of its own to serve.
    expect((await metadata(app.url)).status).toBe(404);
  });

  it('finds who is calling by phone number through the FHIR Patient search', async () => {
    const cup = app.workerDeps.cup;
    const number = `+39347${String(Date.now() % 10_000_000).padStart(7, '0')}`;
    await cup.updatePatientMobile('pat-0007', number);
    expect((await cup.findPatientsByPhone(number)).map((p) => p.id)).toEqual(['pat-0007']);
    expect(await cup.findPatientsByPhone('+39347000000')).toEqual([]);
  });

  it('proposes, books and confirms through the FHIR endpoints', async () => {
    expect(app.workerDeps.cup).toBeInstanceOf(FhirCup);
    const api = apiAs(app);
    // The patient is found by fiscal code through the FHIR Patient search.
    const res = await api.post<{ processInstanceKey: string }>('/api/cup/bookings', {
      prescriptionNre: VALID_NRE,
      serviceCode: '89.7A.7',
      fiscalCode: 'CSTLCU01P10A091M',
      mobile: '+39 347 000 0066',
    });
    expect(res.status).toBe(201);
    const started = res.body;
    const task = await openTaskOf(api, started.processInstanceKey);
    const slotId = slotOptions(task).at(-1)?.value ?? '';
    await api.post(`/api/tasks/${task.key}/claim`);
    expect((await api.post(`/api/tasks/${task.key}/complete`, { variables: { slotId } })).status).toBe(200);
    await waitForConfirmation(app, started.processInstanceKey);

    const booked: { patient_id: string; service_code: string }[] = await cupServer.db.query(
      `SELECT patient_id, service_code FROM cup_appointments WHERE slot_id = $1 AND status = 'booked'`,
      [slotId],
    );
    expect(booked).toEqual([{ patient_id: 'pat-0006', service_code: '89.7A.7' }]);
    const sms: { body: string }[] = await app.db.query(
      `SELECT body FROM sms_messages WHERE purpose = 'cup-booking-confirmation' AND to_number = '+393470000066' ORDER BY id DESC LIMIT 1`,
    );
    expect(sms[0]?.body).toMatch(/Prima visita dermatologica/);
    // The confirmed mobile reached the CUP through a FHIR Patient PATCH.
    const patient: { mobile: string }[] = await cupServer.db.query(
      `SELECT mobile FROM cup_patients WHERE id = 'pat-0006'`,
    );
    expect(patient).toEqual([{ mobile: '+393470000066' }]);
    await cupServer.db.query(`UPDATE cup_patients SET mobile = '+393330000006' WHERE id = 'pat-0006'`);
  });
});
