import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { Appointment } from '../../adapters/cup/cup.js';
import type { UserTask } from '../../domain/tasks/inbox.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { apiAs, startTestApp, twilioVia, waitFor, type ApiClient } from './support/test-app.js';
import { testEngine } from './support/clock.js';
import {
  openTaskOf,
  outcomesOf,
  slotOptions,
  startBooking,
  VALID_NRE,
  waitForConfirmation,
} from './support/booking.js';

describe('cup-booking flow on a real engine and PostgreSQL', () => {
  let twilio: TwilioStandIn;
  let app: RunningApp;
  let operator: ApiClient;

  beforeAll(async () => {
    twilio = await startTwilioStandIn();
    app = await startTestApp({}, { sms: twilioVia(twilio) });
    operator = apiAs(app, 'operatore.uno', ['operator']);
  });

  afterAll(async () => {
    await app?.stop();
    await twilio?.close();
  });

  it('deploys the repository processes and is ready', async () => {
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { engine: true, database: true } });
    const deployed: { resource_name: string }[] = await app.db.query(
      `SELECT resource_name FROM resource_deployments WHERE status = 'deployed'`,
    );
    expect(deployed.map((d) => d.resource_name)).toEqual(
      expect.arrayContaining(['cup-booking.bpmn', 'cup-choose-slot.form']),
    );
  });

  it('when an operator chooses a proposed slot, it is booked and the patient gets one confirmation SMS', async () => {
    const started = await startBooking(operator);
    const task = await openTaskOf(operator, started.processInstanceKey);
    expect(task.name).toBe('Scegli lo slot con il paziente');
    expect(task.candidateGroups).toEqual(['cup-operators']);
    expect(task.businessKey).toBe(started.businessKey);
    expect((task.form as { id: string }).id).toBe('cup-choose-slot');
    const options = slotOptions(task);
    expect(options.length).toBeGreaterThan(0);
    const chosen = options[0]?.value ?? '';

    expect((await operator.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    const done = await operator.post<UserTask>(`/api/tasks/${task.key}/complete`, { variables: { slotId: chosen } });
    expect(done.status).toBe(200);
    expect(done.body.state).toBe('COMPLETED');

    await waitForConfirmation(app, started.processInstanceKey);
    const bookedRows: { id: string }[] = await app.db.query(`SELECT id FROM cup_appointments WHERE request_key = $1`, [
      `pi:${started.processInstanceKey}:slot:${chosen}`,
    ]);
    const booked = bookedRows[0];
    const appointment = (await operator.get<Appointment>(`/api/cup/appointments/${booked?.id}`)).body;
    expect(appointment).toMatchObject({
      status: 'booked',
      slotId: chosen,
      patientId: 'pat-0001',
      serviceCode: '89.7A.3',
    });
    expect(appointment).toMatchObject({ priorityClass: 'P', beyondPriorityLimit: false });

    const sent = twilio.messages.filter((m) => m.body.includes(appointment.bookingCode));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.to).toBe('+393330000001');
    expect(sent[0]?.body).toContain('Prima visita cardiologica');
    const recorded = await operator.get<{ items: { provider: string; status: string }[] }>(
      `/api/sms/messages?reference=${appointment.id}`,
    );
    expect(recorded.body.items).toEqual([expect.objectContaining({ provider: 'twilio', status: 'queued' })]);
    // The task does not come back once completed.
    const open = await operator.get<{ items: UserTask[] }>('/api/tasks?process=cup-booking&limit=500');
    expect(open.body.items.find((t) => t.key === task.key)).toBeUndefined();
  });

  it('exposes job counts and handler latency by job type at /metrics', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/cc_jobs_handled_total\{type="book-slot",outcome="completed"\} [1-9]/);
    expect(text).toMatch(/cc_job_handler_duration_seconds_count\{type="send-sms"\} [1-9]/);
    expect(text).toMatch(/cc_jobs_handled_total\{type="send-sms",outcome="completed"\} [1-9]/);
  });

  it('rejects an invalid prescription number with a clear message and starts nothing', async () => {
    const before: { n: string }[] = await app.db.query('SELECT count(*) AS n FROM process_instances');
    const res = await operator.post<{ detail: string; errors: { field: string }[] }>('/api/cup/bookings', {
      prescriptionNre: '120A10123456789',
      serviceCode: '89.7A.3',
      patientId: 'pat-0001',
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/170/);
    expect(res.body.errors[0]?.field).toBe('prescriptionNre');
    const after: { n: string }[] = await app.db.query('SELECT count(*) AS n FROM process_instances');
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('refuses a service outside the catalogue or an unknown structure, and starts nothing', async () => {
    const before: { n: string }[] = await app.db.query('SELECT count(*) AS n FROM process_instances');
    for (const [body, field, reason] of [
      [{ serviceCode: '99.99' }, 'serviceCode', /non è nel catalogo/],
      [{ serviceCode: '<script>' }, 'serviceCode', /non è nel catalogo/],
      [{ serviceCode: '89.7A.3', structureId: 'nope' }, 'structureId', /non esiste sul CUP/],
    ] as const) {
      const res = await operator.post<{ detail: string; errors: { field: string; label: string }[] }>(
        '/api/cup/bookings',
        { prescriptionNre: '170A10123456789', patientId: 'pat-0001', ...body },
      );
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.detail).toMatch(reason);
      expect(res.body.errors[0]?.field).toBe(field);
    }
    const after: { n: string }[] = await app.db.query('SELECT count(*) AS n FROM process_instances');
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('says what is wrong in Italian and names each field by its label', async () => {
    const res = await operator.post<{ errors: { field: string; label: string; message: string }[] }>(
      '/api/cup/bookings',
      { prescriptionNre: '170A10123456789', serviceCode: '89.7A.3', patientId: 'pat-0001', priorityClass: 'Z' },
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e) => [e.field, e.label])).toEqual([['priorityClass', 'Classe di priorità']]);
    expect(res.body.errors[0]?.message).toMatch(/^Opzione non valida/);
    const tooLong = await operator.post<{ errors: { label: string; message: string }[] }>('/api/cup/cancellations', {
      appointmentId: 'x',
      cancellationNote: 'n'.repeat(501),
    });
    expect(tooLong.body.errors[0]?.label).toBe('Nota della disdetta');
    expect(tooLong.body.errors[0]?.message).toMatch(/^Troppo grande/);
  });

  it('finds the patient by fiscal code, and refuses a wrong or unknown one with a clear message', async () => {
    const before: { n: string }[] = await app.db.query('SELECT count(*) AS n FROM process_instances');
    const wrong = await operator.post<{ detail: string; errors: { field: string }[] }>('/api/cup/bookings', {
      prescriptionNre: VALID_NRE,
      serviceCode: '89.7A.3',
      fiscalCode: 'RSSMRA80A01G942X',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.detail).toMatch(/carattere di controllo del codice fiscale/);
    const unknown = await operator.post<{ detail: string }>('/api/cup/bookings', {
      prescriptionNre: VALID_NRE,
      serviceCode: '89.7A.3',
      fiscalCode: 'MNTLNZ85B15F052Z',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toBe('Nessun paziente con questo codice fiscale sul CUP.');
    const after: { n: string }[] = await app.db.query('SELECT count(*) AS n FROM process_instances');
    expect(after[0]?.n).toBe(before[0]?.n);

    const started = await operator.post<{ processInstanceKey: string }>('/api/cup/bookings', {
      prescriptionNre: VALID_NRE,
      serviceCode: '89.7A.3',
      fiscalCode: 'rssmra80a01g942k',
    });
    expect(started.status).toBe(201);
    const task = await openTaskOf(operator, started.body.processInstanceKey);
    expect(task.variables['patientId']).toBe('pat-0001');
    expect(task.variables).not.toHaveProperty('fiscalCode');
  });

  it('refuses a phone that is not an Italian mobile and changes nothing; a confirmed mobile is recorded and used for the SMS', async () => {
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ('pat-it-phone', 'MNTLNZ85B15F052Z', 'Lorenzo', 'Monti', '1985-02-15', '+393330000050') ON CONFLICT DO NOTHING`,
    );
    const landline = await operator.post<{ detail: string; errors: { field: string }[] }>('/api/cup/bookings', {
      prescriptionNre: VALID_NRE,
      serviceCode: '89.7A.3',
      patientId: 'pat-it-phone',
      mobile: '0971 123456',
    });
    expect(landline.status).toBe(400);
    expect(landline.body.detail).toBe('Per gli SMS serve un numero di cellulare italiano.');
    expect(landline.body.errors[0]?.field).toBe('mobile');
    expect((await app.workerDeps.cup.getPatient('pat-it-phone'))?.mobile).toBe('+393330000050');

    const started = await operator.post<{ processInstanceKey: string }>('/api/cup/bookings', {
      prescriptionNre: VALID_NRE,
      serviceCode: '89.7A.3',
      patientId: 'pat-it-phone',
      mobile: '347 000 0051',
    });
    expect(started.status).toBe(201);
    expect((await app.workerDeps.cup.getPatient('pat-it-phone'))?.mobile).toBe('+393470000051');
    const task = await openTaskOf(operator, started.body.processInstanceKey);
    expect(JSON.stringify(task.variables)).not.toContain('3470000051');
    await operator.post(`/api/tasks/${task.key}/claim`);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task).at(-1)?.value } });
    await waitForConfirmation(app, started.body.processInstanceKey);
    expect(twilio.messages.filter((m) => m.to === '+393470000051')).toHaveLength(1);
  });

  it('validates the completion against the form: required, options, unknown fields', async () => {
    const started = await startBooking(operator);
    const task = await openTaskOf(operator, started.processInstanceKey);
    await operator.post(`/api/tasks/${task.key}/claim`);

    const missing = await operator.post<{ errors: { field: string; message: string }[] }>(
      `/api/tasks/${task.key}/complete`,
      {
        variables: {},
      },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.errors.find((e) => e.field === 'slotId')?.message).toMatch(/obbligatorio/);

    const notOffered = await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: '999999999' } });
    expect(notOffered.status).toBe(400);

    const extra = await operator.post<{ errors: { field: string }[] }>(`/api/tasks/${task.key}/complete`, {
      variables: { slotId: slotOptions(task)[0]?.value, patientId: 'pat-0002' },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.errors).toContainEqual(expect.objectContaining({ field: 'patientId' }));

    const stillOpen = await operator.get<UserTask>(`/api/tasks/${task.key}`);
    expect(stillOpen.body.state).toBe('CREATED');
  });

  it('lets only candidates claim, and one of them at a time', async () => {
    const started = await startBooking(operator);
    const task = await openTaskOf(operator, started.processInstanceKey);
    const outsider = apiAs(app, 'backoffice.esterno', ['back-office-1']);
    expect((await outsider.post(`/api/tasks/${task.key}/claim`)).status).toBe(403);

    const colleague = apiAs(app, 'operatore.due', ['operator']);
    expect((await operator.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    expect((await colleague.post(`/api/tasks/${task.key}/claim`)).status).toBe(409);
    expect(
      (await colleague.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } }))
        .status,
    ).toBe(409);

    expect((await operator.post(`/api/tasks/${task.key}/unclaim`)).status).toBe(200);
    expect((await colleague.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
    const mine = await colleague.get<{ items: UserTask[] }>('/api/tasks?assignee=operatore.due');
    expect(mine.body.items.map((t) => t.key)).toContain(task.key);
  });

  it('when two operators choose the same slot, the second booking ends in SLOT_TAKEN and new slots are proposed', async () => {
    const a = await startBooking(operator, { patientId: 'pat-0002' });
    const b = await startBooking(operator, { patientId: 'pat-0003' });
    const taskA = await openTaskOf(operator, a.processInstanceKey);
    const taskB = await openTaskOf(operator, b.processInstanceKey);
    const shared = slotOptions(taskA).find((o) => slotOptions(taskB).some((x) => x.value === o.value))?.value;
    expect(shared).toBeDefined();

    await operator.post(`/api/tasks/${taskA.key}/claim`);
    await operator.post(`/api/tasks/${taskB.key}/claim`);
    expect((await operator.post(`/api/tasks/${taskA.key}/complete`, { variables: { slotId: shared } })).status).toBe(
      200,
    );
    await waitForConfirmation(app, a.processInstanceKey);
    expect((await operator.post(`/api/tasks/${taskB.key}/complete`, { variables: { slotId: shared } })).status).toBe(
      200,
    );

    // B's booking is caught by the model's boundary event and goes back to the operator.
    const again = await waitFor(async () => {
      const t = await openTaskOf(operator, b.processInstanceKey);
      return t.key !== taskB.key ? t : undefined;
    }, 'a new choose-slot task after SLOT_TAKEN');
    expect(slotOptions(again).map((o) => o.value)).not.toContain(shared);
    const outcomes = await outcomesOf(app, b.processInstanceKey);
    expect(outcomes).toContainEqual(
      expect.objectContaining({ task_type: 'book-slot', outcome: 'bpmn_error', error_code: 'SLOT_TAKEN' }),
    );
    const holders: { patient_id: string }[] = await app.db.query(
      `SELECT patient_id FROM cup_appointments WHERE slot_id = $1 AND status = 'booked'`,
      [shared],
    );
    expect(holders).toEqual([{ patient_id: 'pat-0002' }]);
  });

  it('when two operators complete at the same moment with the same slot, one books it and the other is offered new slots', async () => {
    const a = await startBooking(operator, { patientId: 'pat-0006' });
    const b = await startBooking(operator, { patientId: 'pat-0007' });
    const taskA = await openTaskOf(operator, a.processInstanceKey);
    const taskB = await openTaskOf(operator, b.processInstanceKey);
    const shared = slotOptions(taskA).find((o) => slotOptions(taskB).some((x) => x.value === o.value))?.value;
    expect(shared).toBeDefined();
    const colleague = apiAs(app, 'operatore.due', ['operator']);
    await operator.post(`/api/tasks/${taskA.key}/claim`);
    await colleague.post(`/api/tasks/${taskB.key}/claim`);

    const [doneA, doneB] = await Promise.all([
      operator.post(`/api/tasks/${taskA.key}/complete`, { variables: { slotId: shared } }),
      colleague.post(`/api/tasks/${taskB.key}/complete`, { variables: { slotId: shared } }),
    ]);
    expect([doneA.status, doneB.status]).toEqual([200, 200]);

    const holders = await waitFor(async () => {
      const rows: { patient_id: string }[] = await app.db.query(
        `SELECT patient_id FROM cup_appointments WHERE slot_id = $1 AND status = 'booked'`,
        [shared],
      );
      return rows.length > 0 ? rows : undefined;
    }, 'the winner of the slot');
    expect(holders).toHaveLength(1);
    const loser = holders[0]?.patient_id === 'pat-0006' ? b : a;
    const again = await waitFor(async () => {
      const t = await openTaskOf(operator, loser.processInstanceKey);
      return t.key !== taskA.key && t.key !== taskB.key ? t : undefined;
    }, 'new slots for the operator who lost the race');
    expect(slotOptions(again).map((o) => o.value)).not.toContain(shared);
    const rows: { n: string }[] = await app.db.query(
      `SELECT count(*) AS n FROM cup_appointments WHERE slot_id = $1 AND status = 'booked'`,
      [shared],
    );
    expect(rows[0]?.n).toBe('1');
  });

  it('when Twilio answers 503, the SMS job is retried with backoff and the patient still gets exactly one SMS', async () => {
    const started = await startBooking(operator, { patientId: 'pat-0004' });
    const task = await openTaskOf(operator, started.processInstanceKey);
    await operator.post(`/api/tasks/${task.key}/claim`);
    const requestsBefore = twilio.requests;
    twilio.failNext(503, 1);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });

    const failed = await waitFor(
      async () => (await outcomesOf(app, started.processInstanceKey)).find((o) => o.outcome === 'retry'),
      'the failed attempt',
    );
    expect(failed.task_type).toBe('send-sms');
    // The engine counts the failed attempt down on its external task.
    await waitFor(async () => {
      const [t] = await testEngine().request<{ retries: number | null }[]>('GET', '/external-task', {
        query: { processInstanceId: started.processInstanceKey, topicName: 'send-sms' },
      });
      return t?.retries === 2;
    }, 'the retries of the SMS task counted down');
    await waitForConfirmation(app, started.processInstanceKey);
    const sms: { outcome: string; message: string | null; retries_left: number; at: Date }[] = await app.db.query(
      `SELECT outcome, message, retries_left, created_at AS at FROM job_outcomes
        WHERE process_instance_key = $1 AND task_type = 'send-sms' ORDER BY id`,
      [started.processInstanceKey],
    );
    expect(sms.map((o) => o.outcome)).toEqual(['retry', 'completed']);
    expect(sms[0]?.message).toMatch(/503/);
    expect(sms.map((o) => o.retries_left)).toEqual([2, 2]);
    // The second attempt came only after the backoff.
    expect((sms[1]?.at.getTime() ?? 0) - (sms[0]?.at.getTime() ?? 0)).toBeGreaterThanOrEqual(1900);
    expect(twilio.requests - requestsBefore).toBe(2);
    expect(twilio.messages.filter((m) => m.to === '+393330000004')).toHaveLength(1);
  });

  it('when the patient has no valid mobile number, the SMS job raises an incident with an actionable message', async () => {
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date, mobile)
       VALUES ('pat-cup-bad-mobile', 'TSTCBM80A01G942M', 'Prova', 'Numero', '1980-01-01', '+39 0971 123')
       ON CONFLICT (id) DO NOTHING`,
    );
    const requestsBefore = twilio.requests;
    const started = await startBooking(operator, { patientId: 'pat-cup-bad-mobile' });
    const task = await openTaskOf(operator, started.processInstanceKey);
    await operator.post(`/api/tasks/${task.key}/claim`);
    await operator.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: slotOptions(task)[0]?.value } });

    const incident = await waitFor(
      async () => (await outcomesOf(app, started.processInstanceKey)).find((o) => o.outcome === 'incident'),
      'the incident',
    );
    expect(incident.task_type).toBe('send-sms');
    expect(incident.message).toMatch(/non è un numero mobile italiano valido: correggere l'anagrafica e riprovare/);
    expect(twilio.requests).toBe(requestsBefore);
    const backOffice = apiAs(app, 'backoffice.secondo', ['back-office-2']);
    type Instance = {
      jobs: { outcome: string; message: string | null }[];
      instance: { state: string };
      markers: { done: string[]; current: string[]; incident: string[] };
      incidents: { id: string; elementId: string; type: string; message: string | null }[];
    };
    // The engine holds the incident, with the worker's message, on the SMS task.
    const instance = await waitFor(async () => {
      const r = await backOffice.get<Instance>(`/api/process-instances/${started.processInstanceKey}`);
      return r.body.incidents.length > 0 ? r.body : undefined;
    }, 'the incident in the engine');
    expect(instance.jobs.map((j) => j.outcome)).toEqual(['completed', 'completed', 'completed', 'incident']);
    expect(instance.instance.state).toBe('INCIDENT');
    expect(instance.incidents).toHaveLength(1);
    const engineIncident = instance.incidents[0];
    expect(engineIncident).toMatchObject({ type: 'failedExternalTask' });
    expect(engineIncident?.message).toMatch(/non è un numero mobile italiano valido/);
    expect(instance.markers.incident).toEqual([engineIncident?.elementId]);
    expect(await testEngine().incidents({ processInstanceId: started.processInstanceKey })).toEqual([
      expect.objectContaining({ id: engineIncident?.id, incidentType: 'failedExternalTask' }),
    ]);

    // The back office corrects the number and retries: the task runs again and the SMS goes out once.
    await app.db.query(`UPDATE cup_patients SET mobile = '+393330000077' WHERE id = 'pat-cup-bad-mobile'`);
    // Front-office operators may not retry incidents; second-level back office may.
    expect((await operator.post(`/api/incidents/${engineIncident?.id}/retry`)).status).toBe(403);
    const retry = await backOffice.post(`/api/incidents/${engineIncident?.id}/retry`);
    expect(retry.status).toBe(202);
    await waitForConfirmation(app, started.processInstanceKey);
    expect(twilio.messages.filter((m) => m.to === '+393330000077')).toHaveLength(1);
    // The incident is resolved: a second retry is refused.
    expect((await backOffice.post(`/api/incidents/${engineIncident?.id}/retry`)).status).toBe(409);
    const after = await waitFor(async () => {
      const r = await backOffice.get<Instance>(`/api/process-instances/${started.processInstanceKey}`);
      return r.body.instance.state === 'COMPLETED' ? r.body : undefined;
    }, 'the instance completed');
    expect(after.jobs.map((j) => j.outcome)).toEqual([
      'completed',
      'completed',
      'completed',
      'incident',
      'retried',
      'completed',
    ]);
    expect(after.jobs[4]?.message).toBe('Nuovo tentativo richiesto da backoffice.secondo');
    expect(after.incidents).toEqual([]);
    expect(after.markers.incident).toEqual([]);
    expect(after.markers.done).toContain(engineIncident?.elementId);
    expect(await testEngine().incidents({ processInstanceId: started.processInstanceKey })).toEqual([]);
    const audit: { actor: string }[] = await app.db.query(
      `SELECT actor FROM audit_events WHERE action = 'incident.retried' AND subject_id = $1`,
      [engineIncident?.id],
    );
    expect(audit).toEqual([{ actor: 'backoffice.secondo' }]);
  });
});
