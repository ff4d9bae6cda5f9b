import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import type { SimulatedCall, VoiceSimulator } from '../../stand-ins/twilio/voice.js';
import { VOICE_STATUS_WEBHOOK, VOICE_WEBHOOKS } from '../../domain/voice/ivr.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';

const CUP = '+39848821821';
const CSB = '+39800292020';
const SECOND_LEVEL = '+390971999000';
const HOSPITAL = '+390971612111';
/** Tuesday 1 December 2026, 10:00 in Rome (a working day, the CUP open). */
const TUESDAY_10 = Date.parse('2026-12-01T09:00:00Z');

let callerSeq = 0;
/** A new caller each time: the contact records of one test do not meet another's. */
const caller = () => `+39333${String(Date.now() % 100_000).padStart(5, '0')}${String(++callerSeq).padStart(2, '0')}`;

describe('the telephone: IVR in BPMN, queues, operators and contact records (V1–V8)', () => {
  let app: RunningApp;
  let sim: VoiceSimulator;
  /** The app's clock: real time shifted to a chosen moment, so offers still lapse as time passes. */
  let offset = 0;
  const at = (iso: string | number) => {
    offset = (typeof iso === 'number' ? iso : Date.parse(iso)) - Date.now();
  };
  let op1: ApiClient;
  let op2: ApiClient;

  beforeAll(async () => {
    app = await startTestApp(
      {
        VOICE_HOLD_SECONDS: '1',
        // Every waiting caller is offered a call-back, whatever the estimated wait.
        VOICE_CALLBACK_OFFER_SECONDS: '0',
        VOICE_OFFER_SECONDS: '20',
        VOICE_RETIRED_ON: '2026-11-01',
        VOICE_SECOND_LEVEL_NUMBER: SECOND_LEVEL,
        VOICE_SECOND_LEVEL_ALLOW: HOSPITAL,
      },
      { now: () => new Date(Date.now() + offset), voiceTimeScale: 0.01 },
    );
    if (!app.voice?.simulator) throw new Error('the local call simulator did not start');
    sim = app.voice.simulator;
    op1 = apiAs(app, 'voce.uno', ['operator']);
    op2 = apiAs(app, 'voce.due', ['operator']);
  });
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(async () => {
    at(TUESDAY_10);
    // Nobody available unless a test says so; nothing left waiting from another test.
    await app.db.query(`UPDATE voice_operators SET presence = 'assente', offer_call = NULL, current_call = NULL`);
    await app.db.query(`UPDATE voice_queue_entries SET state = 'abandoned' WHERE state IN ('waiting', 'offered')`);
  });

  const record = async (sid: string) => {
    const r = await app.voice?.service.records.get(sid, { personal: true });
    if (!r) throw new Error(`no contact record for ${sid}`);
    return r;
  };
  const until = async <T>(what: () => Promise<T | undefined | false>, label: string, ms = 10_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await what();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const me = async (op: ApiClient) => (await op.get('/api/voice/me')).body as Record<string, unknown>;
  const offerFor = (op: ApiClient, sid: string) =>
    until(async () => ((await me(op)).offer as { callSid?: string } | null)?.callSid === sid, `an offer of ${sid}`);
  const available = async (op: ApiClient) => {
    const res = await op.put('/api/voice/me/presence', { presence: 'disponibile' });
    expect(res.status).toBe(200);
  };
  /** A CUP call through the menu into the queue with `digits`. */
  const queuedCall = async (digits: string, from = caller()): Promise<SimulatedCall> => {
    const call = await sim.call({ from, to: CUP });
    await call.waitForGather();
    await call.press(digits);
    await call.waitFor((e) => e.kind === 'enqueue');
    return call;
  };
  const contactTask = (sid: string) =>
    until(async () => {
      const tasks = await app.engine.tasks({ processInstanceBusinessKey: sid });
      return tasks[0];
    }, `the contact task of ${sid}`);

  it('takes a booking call from the menu to an operator, who hears it after the code and closes it with an outcome', async () => {
    await available(op1);
    const from = caller();
    // The caller is a patient of the CUP: the operator sees who is calling.
    const patients: { id: string }[] = await app.db.query(`SELECT id FROM cup_patients ORDER BY id LIMIT 1`);
    const patient = patients[0];
    if (!patient) throw new Error('no patient in the local CUP');
    await app.workerDeps.cup.updatePatientMobile(patient.id, from);
    const call = await sim.call({ from, to: CUP });
    await call.waitForGather();
    expect(call.heard()).toMatch(/Per prenotare una visita o un esame, prema 1/);
    await call.press('1');
    await call.waitFor((e) => e.kind === 'enqueue' && e.queue === 'cup');
    await offerFor(op1, call.sid);

    const accepted = await op1.post(`/api/voice/offers/${call.sid}/accept`, {});
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ queue: 'cup', requestType: 'booking' });
    await call.waitFor((e) => e.kind === 'bridged');
    // V5: the code is heard on the caller's leg before the bridge.
    const code = String((await me(op1)).code);
    const kinds = call.events.map((e) => (e.kind === 'say' ? `say:${e.text}` : e.kind));
    const codeAt = kinds.findIndex((k) => k.startsWith('say:Le risponde') && k.includes(code));
    expect(codeAt).toBeGreaterThan(-1);
    expect(codeAt).toBeLessThan(kinds.indexOf('bridged'));
    expect(call.events).toContainEqual({ kind: 'dial', target: 'client:voce_uno' });

    const task = await contactTask(call.sid);
    expect(task.assignee).toBe('voce.uno');
    const seen = await me(op1);
    expect(seen.callerPatients).toEqual([expect.objectContaining({ id: patient.id })]);
    const audited: unknown[] = await app.db.query(
      `SELECT 1 FROM audit_events WHERE actor = 'voce.uno' AND subject_type = 'patient' AND subject_id = $1`,
      [patient.id],
    );
    expect(audited.length).toBeGreaterThan(0);
    expect((await me(op1)).presence).toBe('in-conversazione');
    await call.hangUp();
    await until(async () => (await me(op1)).presence === 'post-chiamata', 'after-call work');
    const done = await op1.post(`/api/tasks/${task.id}/complete`, { variables: { callOutcome: 'resolved' } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    await until(async () => (await record(call.sid)).wrapUpEndedAt, 'the wrap-up in the record');
    expect((await me(op1)).presence).toBe('disponibile');

    const r = await record(call.sid);
    expect(r).toMatchObject({
      line: 'cup',
      channel: 'voice',
      direction: 'inbound',
      caller: from,
      requestType: 'booking',
      priority: 10,
      queue: 'cup',
      operator: 'voce.uno',
      offers: 1,
      refusals: 0,
      outcome: 'resolved',
      abandonedAt: null,
      status: 'completed',
    });
    for (const k of [
      'arrivedAt',
      'ivrEnteredAt',
      'ivrLeftAt',
      'offeredAt',
      'firstOfferedToOperatorAt',
      'answeredAt',
      'endedAt',
      'wrapUpEndedAt',
    ] as const) {
      expect(r[k], k).not.toBeNull();
    }
    expect(Date.parse(r.ivrEnteredAt ?? '')).toBeLessThanOrEqual(Date.parse(r.offeredAt ?? ''));
    expect(Date.parse(r.answeredAt ?? '')).toBeLessThanOrEqual(Date.parse(r.endedAt ?? ''));
    // Without personal-data rights the number is masked.
    expect((await app.voice?.service.records.get(call.sid))?.caller).not.toBe(from);
  });

  it('understands Italian speech, repeats an invalid choice once, then sends the caller to the default queue', async () => {
    const spoken = await sim.call({ from: caller(), to: CUP });
    await spoken.waitForGather();
    await spoken.speak('vorrei disdire una prenotazione');
    await spoken.waitFor((e) => e.kind === 'enqueue');
    expect((await app.voice?.service.acd.entry(spoken.sid))?.requestType).toBe('cancellation');

    const confused = await sim.call({ from: caller(), to: CUP });
    await confused.waitForGather();
    await confused.press('9');
    await until(
      () => Promise.resolve(confused.events.filter((e) => e.kind === 'gather').length === 2),
      'the menu again',
    );
    expect(confused.heard()).toMatch(/Non abbiamo capito la sua scelta/);
    await confused.silence();
    await confused.waitFor((e) => e.kind === 'enqueue');
    expect(confused.heard()).toMatch(/Non avendo ricevuto una scelta/);
    expect(await app.voice?.service.acd.entry(confused.sid)).toMatchObject({ queue: 'cup', requestType: 'unknown' });
    await spoken.hangUp();
    await confused.hangUp();
  });

  it('routes the Contact Center line through its own menu', async () => {
    const call = await sim.call({ from: caller(), to: CSB });
    await call.waitForGather();
    expect(call.heard()).toMatch(/Contact Center della Regione Basilicata/);
    await call.press('2');
    await call.waitFor((e) => e.kind === 'enqueue' && e.queue === 'csb');
    expect((await app.voice?.service.acd.entry(call.sid))?.requestType).toBe('pec');
    await call.hangUp();
  });

  it('answers out of hours and on holidays with the recorded message, decided by the model', async () => {
    at('2026-12-06T10:00:00Z'); // Sunday
    const sunday = await sim.call({ from: caller(), to: CUP });
    await sunday.ended;
    expect(sunday.heard()).toMatch(/dal lunedì al venerdì dalle 8 alle 20/);
    at('2026-12-05T13:30:00Z'); // Saturday 14:30
    const saturday = await sim.call({ from: caller(), to: CUP });
    await saturday.ended;
    expect(saturday.heard()).toMatch(/dalle 8 alle 20/);
    at('2026-12-08T09:00:00Z'); // Immacolata
    const holiday = await sim.call({ from: caller(), to: CUP });
    await holiday.ended;
    expect(holiday.heard()).toMatch(/chiuso per festività/);
    for (const c of [sunday, saturday, holiday]) {
      await until(async () => (await record(c.sid)).endedAt, 'the end of the call');
      expect(await record(c.sid)).toMatchObject({ outcome: 'out-of-hours', offeredAt: null, abandonedAt: null });
    }
  });

  it('plays the retired number’s message for four months, then the number is not in service', async () => {
    at('2027-02-15T09:00:00Z');
    const within = await sim.call({ from: caller(), to: '+390971471373' });
    await within.ended;
    expect(within.heard()).toMatch(/Questo numero non è più attivo.*848 821 821/);
    await until(async () => (await record(within.sid)).outcome === 'retired-number', 'the outcome');
    at('2027-03-02T09:00:00Z');
    const after = await sim.call({ from: caller(), to: '+390971471373' });
    await after.ended;
    expect(after.heard()).toMatch(/Il numero chiamato non è attivo/);
    expect(await app.voice?.service.records.get(after.sid)).toBeUndefined();
  });

  it('lets only allow-listed structures through the second-level line, and answers busy beyond its channels', async () => {
    const stranger = await sim.call({ from: caller(), to: SECOND_LEVEL });
    await stranger.ended;
    expect(stranger.heard()).toMatch(/riservato alle strutture sanitarie/);
    await until(async () => (await record(stranger.sid)).outcome === 'not-allowed', 'not allowed');

    // The second-level line has two channels: the third call at once is refused as busy.
    const first = await sim.call({ from: HOSPITAL, to: SECOND_LEVEL });
    const second = await sim.call({ from: HOSPITAL, to: SECOND_LEVEL });
    await first.waitFor((e) => e.kind === 'enqueue' && e.queue === 'cup-second-level');
    await second.waitFor((e) => e.kind === 'enqueue');
    const third = await sim.call({ from: HOSPITAL, to: SECOND_LEVEL });
    await third.ended;
    expect(third.events).toContainEqual({ kind: 'reject', reason: 'busy' });
    expect(third.status).toBe('busy');
    await until(async () => (await record(third.sid)).outcome === 'busy', 'busy counted');
    await first.hangUp();
    await second.hangUp();
  });

  it('offers booking calls before earlier information calls, to the longest idle operator', async () => {
    const information = await queuedCall('4');
    const booking = await queuedCall('1');
    await available(op2);
    await offerFor(op2, booking.sid);
    await available(op1);
    await offerFor(op1, information.sid);
    await information.hangUp();
    await booking.hangUp();
  });

  it('moves a lapsed offer to the next operator, counted as refused, and pauses the one who let it lapse', async () => {
    await available(op1);
    await new Promise((r) => setTimeout(r, 20));
    await available(op2);
    const call = await queuedCall('3');
    await offerFor(op1, call.sid);
    at(Date.now() + offset + 21_000);
    await offerFor(op2, call.sid);
    expect((await me(op1)).presence).toBe('pausa');
    const late = await op1.post(`/api/voice/offers/${call.sid}/accept`, {});
    expect(late.status).toBe(409);
    expect(await record(call.sid)).toMatchObject({ offers: 2, refusals: 1 });
    await call.hangUp();
  });

  it('records a caller who hangs up in the queue as abandoned, and withdraws the call', async () => {
    const call = await queuedCall('4');
    await call.hangUp();
    await until(async () => (await record(call.sid)).abandonedAt, 'the abandon');
    expect(await record(call.sid)).toMatchObject({
      outcome: 'abandoned',
      answeredAt: null,
      disconnectReason: 'caller',
    });
    expect((await app.voice?.service.acd.entry(call.sid))?.state).toBe('abandoned');
    const rows: { process_instance_id: string }[] = await app.db.query(
      `SELECT process_instance_id FROM call_records WHERE call_sid = $1`,
      [call.sid],
    );
    const row = rows[0];
    await until(
      async () => !(await app.engine.processVariables(row?.process_instance_id ?? '')),
      'the instance to end',
    );
    await available(op1);
    await new Promise((r) => setTimeout(r, 300));
    expect((await me(op1)).offer).toBeNull();
  });

  it('keeps the place of a caller who asks to be called back, and dials them back from the line when an operator is free', async () => {
    const from = caller();
    const waiting = await queuedCall('4', from);
    await waiting.waitFor((e, all) => e.kind === 'gather' && all.some((x) => x.kind === 'enqueue'));
    expect(waiting.heard()).toMatch(/Se preferisce essere richiamato senza perdere il suo turno, prema 1/);
    await waiting.press('1');
    await waiting.waitForSay(/La richiameremo a questo numero/);
    await waiting.ended;
    const later = await queuedCall('4');
    await available(op1);
    // The call-back comes before the call that arrived after it.
    await offerFor(op1, waiting.sid);
    const accepted = await op1.post(`/api/voice/offers/${waiting.sid}/accept`, {});
    expect(accepted.body).toMatchObject({ callback: true });
    const back = await until(() => Promise.resolve(sim.outbound().find((c) => c.to === from)), 'the call-back');
    expect(back).toMatchObject({ to: from, from: CUP });
    await back.waitFor((e) => e.kind === 'bridged');
    expect(back.heard()).toMatch(/Le risponde l'operatore con codice/);
    const r = await record(waiting.sid);
    expect(r).toMatchObject({ outcome: 'callback-requested', abandonedAt: null, operator: 'voce.uno' });
    expect(r.callbackRequestedAt).not.toBeNull();
    await back.hangUp();
    await until(async () => (await me(op1)).presence === 'post-chiamata', 'after-call work');
    // Had the leg's status callback been lost, the operator would still be talking a minute
    // later: the sweep asks Twilio about the leg and frees them.
    await app.db.query(
      `UPDATE voice_operators SET presence = 'in-conversazione', current_call = $1 WHERE username = 'voce.uno'`,
      [waiting.sid],
    );
    await app.db.query(
      `UPDATE voice_queue_entries SET state = 'connected', updated_at = $2, provider_checked_at = NULL WHERE call_sid = $1`,
      [waiting.sid, new Date(Date.now() + offset - 120_000)],
    );
    // (The app's own sweep, every ten seconds, may come first.)
    await app.voice?.service.reconcile();
    await until(async () => (await me(op1)).presence === 'post-chiamata', 'the operator freed by the sweep');
    await later.hangUp();
  });

  /** A call's first webhook as Twilio posts it. */
  const firstWebhook = (sid: string) => ({
    url: `${app.url}/webhooks/twilio/voice`,
    params: {
      CallSid: sid,
      AccountSid: `AC${'a'.repeat(32)}`,
      From: caller(),
      To: CUP,
      CallStatus: 'ringing',
      Direction: 'inbound',
    },
  });

  it('answers a forged webhook 403 and writes nothing', async () => {
    const sid = `CA${'f'.repeat(32)}`;
    const { url, params } = firstWebhook(sid);
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature('not-the-token', url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(forged.status).toBe(403);
    expect(await app.voice?.service.records.get(sid)).toBeUndefined();
    expect(await app.engine.processInstanceByBusinessKey('inbound-call', sid)).toBeUndefined();
  });

  it('starts one instance however often, and however concurrently, the first webhook comes', async () => {
    const sid = `CA${Date.now().toString(16).padStart(32, '0')}`;
    const { url, params } = firstWebhook(sid);
    const signature = twilio.getExpectedTwilioSignature(app.voice?.webhook.authToken ?? '', url, params);
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(params).toString(),
        }).then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    // One starts the instance and hears the menu; one arriving meanwhile holds and asks again.
    const menu = /<Gather[^>]*action="http:\/\/[^"]+\/webhooks\/twilio\/voice\/step\?seq=1"/;
    const hold = /<Pause length="1"\/><Redirect method="POST">http:\/\/[^<]+\/webhooks\/twilio\/voice<\/Redirect>/;
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body).toMatch(new RegExp(`${menu.source}|${hold.source}`));
    }
    expect(answers.some((a) => menu.test(a.body))).toBe(true);
    const instances = await app.engine.historicProcessInstances({ processInstanceBusinessKey: sid });
    expect(instances).toHaveLength(1);
    expect(await app.voice?.service.records.events(sid)).toHaveLength(2); // arrived, ivr-entered
  });

  it('keeps the record right through a storm of repeated and reordered status callbacks', async () => {
    await available(op1);
    const call = await queuedCall('2');
    await offerFor(op1, call.sid);
    await op1.post(`/api/voice/offers/${call.sid}/accept`, {});
    await call.waitFor((e) => e.kind === 'bridged');
    await call.hangUp();
    await until(async () => (await record(call.sid)).endedAt, 'the end');
    const before = await record(call.sid);
    const n = call.statusCallbacks.length;
    expect(n).toBeGreaterThanOrEqual(3);
    const answers = await sim.replayStatusCallbacks(call.sid, [...Array(n).keys()].reverse());
    expect(answers.every((a) => a === 204)).toBe(true);
    expect(await record(call.sid)).toEqual(before);
    // The caller hung up during the talk (Twilio posts the Dial action then too).
    expect(before).toMatchObject({ status: 'completed', abandonedAt: null, disconnectReason: 'caller' });
    expect(before.answeredAt).not.toBeNull();
    const task = await contactTask(call.sid);
    await op1.post(`/api/tasks/${task.id}/complete`, { variables: { callOutcome: 'out-of-scope' } });
    await until(async () => (await record(call.sid)).outcome === 'out-of-scope', 'the outcome');
  });

  it('lets a supervisor set the queues an operator answers, and routes by them', async () => {
    const supervisor = apiAs(app, 'voce.supervisore', ['supervisor']);
    expect((await op1.put('/api/voice/operators/voce.due/skills', { skills: ['csb'] })).status).toBe(403);
    expect((await supervisor.put('/api/voice/operators/voce.due/skills', { skills: ['nessuna'] })).status).toBe(400);
    const set = await supervisor.put('/api/voice/operators/voce.due/skills', { skills: ['csb'] });
    expect(set.body).toMatchObject({ skills: ['csb'] });
    try {
      await available(op2);
      const cup = await queuedCall('4');
      const csb = await sim.call({ from: caller(), to: CSB });
      await csb.waitForGather();
      await csb.press('3');
      await offerFor(op2, csb.sid);
      expect((await app.voice?.service.acd.entry(cup.sid))?.state).toBe('waiting');
      await cup.hangUp();
      await csb.hangUp();
    } finally {
      await supervisor.put('/api/voice/operators/voce.due/skills', { skills: ['cup', 'cup-second-level'] });
    }
  });

  it('ends the call when the operator closes the contact while still talking, before offering another', async () => {
    await available(op1);
    const call = await queuedCall('4');
    await offerFor(op1, call.sid);
    await op1.post(`/api/voice/offers/${call.sid}/accept`, {});
    await call.waitFor((e) => e.kind === 'bridged');
    const next = await queuedCall('4');
    const task = await contactTask(call.sid);
    expect((await op1.post(`/api/tasks/${task.id}/complete`, { variables: { callOutcome: 'resolved' } })).status).toBe(
      200,
    );
    await call.ended;
    expect(call.events).toContainEqual({ kind: 'hangup', by: 'api' });
    await until(async () => (await record(call.sid)).wrapUpEndedAt, 'the wrap-up');
    expect(await record(call.sid)).toMatchObject({ disconnectReason: 'operator', outcome: 'resolved' });
    // Only now is the operator offered the next call.
    await offerFor(op1, next.sid);
    await next.hangUp();
  });

  it('ends a call whose status callbacks were all lost, from what Twilio says of it, even when its start died mid-way', async () => {
    const service = app.voice?.service;
    if (!service) throw new Error('no voice service');
    // Every status callback of this call goes nowhere (the app was down when Twilio sent them;
    // Twilio does not send them again).
    sim.setVoiceUrls(`${app.url}${VOICE_WEBHOOKS}`, 'http://127.0.0.1:9/lost');
    let call: SimulatedCall;
    try {
      call = await queuedCall('1');
    } finally {
      sim.setVoiceUrls(`${app.url}${VOICE_WEBHOOKS}`, `${app.url}${VOICE_STATUS_WEBHOOK}`);
    }
    const pi = (await app.engine.processInstanceByBusinessKey('inbound-call', call.sid)) ?? '';
    // And the process that started the instance died before noting it on the record.
    await app.db.query(
      `UPDATE call_records SET process_instance_id = 'starting', start_claimed_at = $2 WHERE call_sid = $1`,
      [call.sid, new Date(Date.now() + offset - 20_000)],
    );
    await call.hangUp();
    await call.ended;
    expect(call.statusCallbacks.length).toBeGreaterThan(0);
    expect(call.statusCallbacks.every((c) => c.status < 200 || c.status > 299)).toBe(true);
    expect((await record(call.sid)).endedAt).toBeNull();
    // Not asked about within its first minute; then Twilio's call resource says it is over.
    expect(await service.reconcile()).toBe(0);
    expect(await app.engine.processVariables(pi)).toBeDefined();
    at(Date.now() + offset + 61_000);
    // (The app's own sweep, every ten seconds, may come first: either way the call ends once.)
    await service.reconcile();
    await until(async () => !(await app.engine.processVariables(pi)), 'the instance to end');
    const r = await record(call.sid);
    expect(r).toMatchObject({ status: 'completed', outcome: 'abandoned', disconnectReason: 'caller' });
    expect(r.endedAt).not.toBeNull();
    const events = await service.records.events(call.sid);
    expect(events.filter((e) => e.type === 'status').map((e) => e.data)).toEqual([
      { status: 'completed', sequence: 1_000_000, durationSeconds: expect.any(Number) as unknown, reconciled: true },
    ]);
    expect(events.filter((e) => e.type === 'end-delivered')).toHaveLength(1);
    const rows: { process_instance_id: string; state: string }[] = await app.db.query(
      `SELECT r.process_instance_id, q.state FROM call_records r JOIN voice_queue_entries q USING (call_sid)
        WHERE r.call_sid = $1`,
      [call.sid],
    );
    expect(rows).toEqual([{ process_instance_id: pi, state: 'abandoned' }]);
    // A later sweep asks nothing more about it.
    at(Date.now() + offset + 61_000);
    expect(await service.reconcile()).toBe(0);
  });

  it('tells an instance its call ended when the end came while it could not hear it (the sweeper)', async () => {
    const call = await sim.call({ from: caller(), to: CUP });
    await call.waitForGather();
    // The end recorded, but never delivered to the instance (it was starting, the engine was busy).
    const service = app.voice?.service;
    if (!service) throw new Error('no voice service');
    await service.records.record({
      callSid: call.sid,
      at: new Date(Date.now() + offset),
      type: 'status',
      status: 'completed',
      sequence: 99,
      durationSeconds: 3,
    });
    const pi = (await app.engine.processInstanceByBusinessKey('inbound-call', call.sid)) ?? '';
    expect(await app.engine.processVariables(pi)).toBeDefined();
    at(Date.now() + offset + 10_000);
    // (The app's own sweep, every ten seconds, may come first: either way the instance ends.)
    await service.sweepEnds();
    await until(async () => !(await app.engine.processVariables(pi)), 'the instance to end');
    expect((await service.records.events(call.sid)).filter((e) => e.type === 'end-delivered')).toHaveLength(1);
    await call.hangUp();
  });
});
