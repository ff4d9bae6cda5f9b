import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request } from 'express';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callStatus, gatherResult, queueWait } from '../../adapters/voice/twilio-voice-params.js';
import { twiml } from '../../adapters/voice/twiml.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import type { SimulatedCall } from '../../stand-ins/twilio/voice.js';

/** What the app received: path, the query and the posted parameters merged. */
interface Hit {
  method: string;
  path: string;
  params: Record<string, string>;
}
type Answer = string | { status: number; body?: string; type?: string };
type Route = (p: Record<string, string>, req: Request) => Answer;

const TWILIO_API = 'https://api.twilio.com';
const from = '+393331112223';
const line = '+390971000000';
const xml = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;

describe('the Twilio Voice call simulator, against a signature-checking TwiML app', () => {
  let standIn: TwilioStandIn;
  let server: Server;
  let base = '';
  let client: twilio.Twilio;
  const hits: Hit[] = [];
  const badSignatures: string[] = [];
  const badParams: string[] = [];
  let routes = new Map<string, Route>();
  const clients = new Map<string, 'answer' | 'no-answer'>([['lbianchi', 'no-answer']]);
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  const hitsOf = (path: string) => hits.filter((h) => h.path === path);
  const sim = () => standIn.voice;

  beforeAll(async () => {
    process.on('warning', onWarning);
    standIn = await startTwilioStandIn(0, { clients });
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    app.use((req, res) => {
      const body = (req.body ?? {}) as Record<string, string>;
      const url = `${base}${req.originalUrl}`;
      if (!twilio.validateRequest(standIn.authToken, req.header('x-twilio-signature') ?? '', url, body)) {
        badSignatures.push(`${req.method} ${url}`);
      }
      const params = { ...(req.query as Record<string, string>), ...body };
      // Every request must pass the schemas the app validates with.
      const schema = req.path === '/status' ? callStatus : req.path === '/wait' ? queueWait : gatherResult;
      const parsed = schema.safeParse(params);
      if (!parsed.success) badParams.push(`${req.path}: ${parsed.error.message}`);
      hits.push({ method: req.method, path: req.path, params });
      const route = routes.get(req.path);
      const answer: Answer = route ? route(params, req) : { status: 404 };
      if (typeof answer === 'string') res.type('text/xml').send(answer);
      else
        res
          .status(answer.status)
          .type(answer.type ?? 'text/xml')
          .send(answer.body ?? '');
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    standIn.voice.setVoiceUrls(`${base}/ivr/voice`, `${base}/status`);

    class RebasedRequestClient extends twilio.RequestClient {
      override request<TData>(
        opts: Parameters<twilio.RequestClient['request']>[0] & { data?: TData },
      ): Promise<Awaited<ReturnType<twilio.RequestClient['request']>> & { body: TData }> {
        return super.request<TData>({ ...opts, uri: opts.uri.replace(TWILIO_API, standIn.url) });
      }
    }
    client = twilio(standIn.accountSid, standIn.authToken, { httpClient: new RebasedRequestClient() });
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    await standIn.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    routes = new Map<string, Route>([['/status', () => ({ status: 204 })]]);
  });

  it('answers a menu with a key: Digits to the relative action, the next document replaces the menu', async () => {
    routes.set('/ivr/voice', () => twiml.menu('Benvenuto. Premi 1 per prenotare.', { action: 'menu?step=2' }));
    routes.set('/ivr/menu', (p) => xml(`<Say language="it-IT">Hai scelto ${p.Digits}</Say><Hangup/>`));
    const call = await sim().call({ from, to: line });
    expect(call.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.events).toEqual([
      { kind: 'say', text: 'Benvenuto. Premi 1 per prenotare.', voice: 'Polly.Bianca-Neural', language: 'it-IT' },
      { kind: 'gather', action: `${base}/ivr/menu?step=2` },
    ]);
    await call.press('1');
    expect(call.heard()).toBe('Benvenuto. Premi 1 per prenotare.\nHai scelto 1');
    await call.ended;
    expect(call.status).toBe('completed');
    expect(call.events.at(-1)).toEqual({ kind: 'hangup', by: 'twiml' });

    const [first, menu] = call.requests;
    expect(first?.url).toBe(`${base}/ivr/voice`);
    expect(first?.params).toMatchObject({
      CallSid: call.sid,
      AccountSid: standIn.accountSid,
      From: from,
      To: line,
      Caller: from,
      Called: line,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    });
    expect(menu).toMatchObject({ url: `${base}/ivr/menu?step=2`, status: 200 });
    expect(menu?.params).toMatchObject({ Digits: '1', FinishedOnKey: '', CallStatus: 'in-progress' });
    expect(hitsOf('/ivr/menu').at(-1)?.params.step).toBe('2');
  });

  it('reports a trailing # as FinishedOnKey, speech as SpeechResult and Confidence', async () => {
    routes.set('/ivr/voice', () =>
      xml('<Gather input="dtmf speech" action="/ivr/code"><Say>Il codice, poi cancelletto.</Say></Gather>'),
    );
    routes.set('/ivr/code', (p) =>
      p.SpeechResult
        ? xml(`<Say>Hai detto ${p.SpeechResult}</Say>`)
        : xml('<Gather input="speech" action="/ivr/code"><Say>Ora a voce.</Say></Gather>'),
    );
    const call = await sim().call({ from, to: line, forwardedFrom: '+390835000000' });
    await call.press('1234#');
    expect(call.requests[1]?.params).toMatchObject({
      Digits: '1234',
      FinishedOnKey: '#',
      ForwardedFrom: '+390835000000',
    });
    await expect(call.press('5')).rejects.toThrow(/input="speech"/);
    await call.speak('prenotare una visita', 0.82);
    await call.ended;
    expect(call.requests[2]?.params).toMatchObject({ SpeechResult: 'prenotare una visita', Confidence: '0.82' });
    expect(call.requests[2]?.params.Digits).toBeUndefined();
    expect(call.heard()).toMatch(/Hai detto prenotare una visita$/);
    await expect(call.press('1')).rejects.toThrow(/not in a <Gather>/);
  });

  it('silence: actionOnEmptyResult posts the action without input, otherwise the next verb runs', async () => {
    routes.set('/ivr/voice', () => twiml.menu('Scelga.', { action: '/ivr/empty' }));
    routes.set('/ivr/empty', (p) =>
      xml(
        `<Say>Vuoto ${p.Digits === undefined && p.SpeechResult === undefined}</Say>` +
          '<Gather action="/ivr/never"><Say>Ancora.</Say></Gather><Say>Nessuna scelta.</Say>',
      ),
    );
    const call = await sim().call({ from, to: line });
    await call.silence();
    await call.waitForGather();
    await call.silence();
    await call.ended;
    expect(call.heard()).toBe('Scelga.\nVuoto true\nAncora.\nNessuna scelta.');
    expect(hitsOf('/ivr/never')).toHaveLength(0);
  });

  it('resolves relative URLs against their document and signs GET requests over the URL with the query', async () => {
    routes.set('/ivr/voice', () => xml('<Redirect method="GET">next/step?a=1&amp;b=x y</Redirect>'));
    routes.set('/ivr/next/step', () => xml('<Pause length="2"/><Play>../tone.mp3</Play><Redirect>/ivr/bye</Redirect>'));
    routes.set('/ivr/bye', () => xml('<Say>Ciao <say-as interpret-as="digits">42</say-as> e basta.</Say>'));
    const call = await sim().call({ from, to: line });
    await call.ended;
    const get = hitsOf('/ivr/next/step').at(-1);
    expect(get?.method).toBe('GET');
    expect(get?.params).toMatchObject({ a: '1', b: 'x y', CallSid: call.sid, CallStatus: 'in-progress' });
    expect(call.requests[1]?.url).toMatch(new RegExp(`^${base}/ivr/next/step\\?a=1&b=x\\+y&AccountSid=`));
    expect(call.events).toEqual([
      { kind: 'pause', seconds: 2 },
      { kind: 'play', url: `${base}/ivr/tone.mp3` },
      { kind: 'say', text: 'Ciao 42 e basta.' },
      { kind: 'hangup', by: 'twiml' },
    ]);
  });

  it('loops the waitUrl with the queue parameters, then <Leave> posts the Enqueue action with QueueResult=leave', async () => {
    routes.set('/ivr/voice', () => xml('<Say>Attenda.</Say><Enqueue action="/ivr/left" waitUrl="/wait">cup</Enqueue>'));
    routes.set('/wait', (p) =>
      hitsOf('/wait').length >= 3
        ? xml('<Leave/>')
        : xml(`<Say>Lei è in posizione ${p.QueuePosition}.</Say><Pause length="1"/>`),
    );
    routes.set('/ivr/left', (p) => xml(`<Say>Uscito: ${p.QueueResult}</Say><Hangup/>`));
    const before = hitsOf('/wait').length;
    const call = await sim().call({ from, to: line });
    await call.ended;
    const waits = hitsOf('/wait').slice(before);
    expect(waits.length).toBeGreaterThanOrEqual(3);
    for (const w of waits) {
      expect(w.params).toMatchObject({ QueuePosition: '1', CurrentQueueSize: '1', CallSid: call.sid });
      expect(w.params.QueueSid).toMatch(/^QU[0-9a-f]{32}$/);
      expect(Number(w.params.QueueTime)).toBeGreaterThanOrEqual(0);
      expect(Number(w.params.AvgQueueTime)).toBeGreaterThanOrEqual(0);
    }
    const left = hitsOf('/ivr/left').at(-1);
    expect(left?.params).toMatchObject({ QueueResult: 'leave', QueueSid: waits[0]?.params.QueueSid });
    expect(call.events.filter((e) => e.kind === 'say' && /posizione 1/.test(e.text)).length).toBeGreaterThanOrEqual(2);
    expect(call.events).toContainEqual({ kind: 'enqueue', queue: 'cup' });
    expect(call.events).toContainEqual({ kind: 'leave' });
    expect(call.heard()).toMatch(/Uscito: leave$/);
    expect(
      sim()
        .queues()
        .find((q) => q.name === 'cup')?.members,
    ).toEqual([]);
  });

  it('a REST member dequeue makes the queued call say the operator code and dial the client; the operator hangs up', async () => {
    routes.set('/ivr/voice', () => xml('<Enqueue action="/ivr/queue-done" waitUrl="/wait">cup</Enqueue>'));
    routes.set('/wait', () => xml('<Say>Attendere prego.</Say>'));
    routes.set('/ivr/queue-done', () => xml('<Say>ignorato</Say>'));
    routes.set('/ivr/connect', (p) =>
      twiml
        .operatorCode('Le risponde l’operatore', p.op ?? '')
        .replace('</Response>', '<Dial action="/ivr/dial-done" timeout="20"><Client>mrossi</Client></Dial></Response>'),
    );
    routes.set('/ivr/dial-done', (p) => xml(`<Say>Esito ${p.DialCallStatus}</Say><Hangup/>`));
    const call = await sim().call({ from, to: line });
    await call.waitForSay(/Attendere/);

    const queues = await client.queues.list();
    const cup = queues.find((q) => q.friendlyName === 'cup');
    expect(cup?.currentSize).toBe(1);
    expect(cup?.sid).toMatch(/^QU/);
    const member = await client
      .queues(cup?.sid ?? '')
      .members(call.sid)
      .update({ url: `${base}/ivr/connect?op=427`, method: 'POST' });
    expect(member).toMatchObject({ callSid: call.sid, queueSid: cup?.sid, position: 1 });
    await expect(
      client
        .queues(cup?.sid ?? '')
        .members(call.sid)
        .fetch(),
    ).rejects.toMatchObject({ status: 404 });

    await call.waitFor((e) => e.kind === 'bridged');
    expect(call.events.slice(-4)).toEqual([
      { kind: 'dequeued', url: `${base}/ivr/connect?op=427` },
      { kind: 'say', text: 'Le risponde l’operatore427', voice: 'Polly.Bianca-Neural', language: 'it-IT' },
      { kind: 'dial', target: 'client:mrossi' },
      { kind: 'bridged', target: 'client:mrossi' },
    ]);
    expect(hitsOf('/ivr/queue-done').at(-1)?.params.QueueResult).toBe('redirected');
    expect(
      sim()
        .queues()
        .find((q) => q.name === 'cup')?.members,
    ).toEqual([]);

    await call.operatorHangsUp();
    await call.ended;
    const done = hitsOf('/ivr/dial-done').at(-1)?.params;
    expect(done).toMatchObject({ DialCallStatus: 'completed', CallSid: call.sid });
    expect(done?.DialCallSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(Number(done?.DialCallDuration)).toBeGreaterThanOrEqual(0);
    expect(call.heard()).toMatch(/Esito completed$/);
  });

  it('<Dial><Queue url> bridges the operator with the front member, who hears the announcement first', async () => {
    routes.set('/ivr/voice', (p) =>
      (p.From ?? '').startsWith('client:')
        ? xml('<Dial action="/ivr/op-done"><Queue url="/ivr/announce?op=427">cup</Queue></Dial>')
        : xml('<Enqueue action="/ivr/member-done" waitUrl="/wait">cup</Enqueue>'),
    );
    routes.set('/wait', () => xml('<Play>http://example.invalid/music.mp3</Play><Pause length="3"/>'));
    routes.set('/ivr/announce', (p) => twiml.operatorCode('Operatore ', p.op ?? ''));
    routes.set('/ivr/member-done', (p) => xml(`<Say>Fine ${p.QueueResult}</Say>`));
    routes.set('/ivr/op-done', (p) => xml(`<Say>Operatore: ${p.DialCallStatus}</Say>`));
    const first = await sim().call({ from, to: line });
    const second = await sim().call({ from: '+393334445556', to: line });
    expect(
      sim()
        .queues()
        .find((q) => q.name === 'cup')?.members,
    ).toEqual([first.sid, second.sid]);
    expect(
      hitsOf('/wait')
        .filter((h) => h.params.CallSid === second.sid)
        .at(-1)?.params,
    ).toMatchObject({
      QueuePosition: '2',
      CurrentQueueSize: '2',
    });

    const operator = await sim().call({ from: 'client:mrossi', to: line });
    expect(operator.events.at(-1)).toEqual({ kind: 'bridged', target: from });
    expect(first.events.slice(-3)).toEqual([
      { kind: 'dequeued', url: `${base}/ivr/announce?op=427` },
      { kind: 'say', text: 'Operatore 427', voice: 'Polly.Bianca-Neural', language: 'it-IT' },
      { kind: 'bridged', target: 'client:mrossi' },
    ]);
    const announce = hitsOf('/ivr/announce').at(-1)?.params;
    expect(announce).toMatchObject({ CallSid: first.sid, DequeingCallSid: operator.sid });
    expect(
      sim()
        .queues()
        .find((q) => q.name === 'cup')?.members,
    ).toEqual([second.sid]);

    // The member's "other party" is the operator's call: it hangs up, the member goes on.
    await first.operatorHangsUp();
    await operator.ended;
    await first.ended;
    expect(hitsOf('/ivr/member-done').at(-1)?.params).toMatchObject({ CallSid: first.sid, QueueResult: 'bridged' });
    expect(first.heard()).toMatch(/Fine bridged$/);
    expect(operator.events).toContainEqual({ kind: 'hangup', by: 'caller' });
    await second.hangUp();
  });

  it('<Dial><Client> unanswered ends no-answer after the scaled timeout; hanging up while bridged posts the Dial action', async () => {
    routes.set('/ivr/voice', () =>
      xml('<Dial action="/ivr/dialed" timeout="10"><Client><Identity>lbianchi</Identity></Client></Dial>'),
    );
    routes.set('/ivr/dialed', (p) =>
      p.DialCallStatus === 'no-answer'
        ? xml('<Dial action="/ivr/dialed"><Number>+390971111111</Number></Dial>')
        : xml('<Say>ignorato</Say>'),
    );
    const started = Date.now();
    const call = await sim().call({ from, to: line });
    expect(call.events).toEqual([{ kind: 'dial', target: 'client:lbianchi' }]);
    await call.waitFor((e) => e.kind === 'bridged');
    expect(Date.now() - started).toBeGreaterThanOrEqual(90); // 10 s × 0.01
    expect(call.events.slice(1)).toEqual([
      { kind: 'dial', target: '+390971111111' },
      { kind: 'bridged', target: '+390971111111' },
    ]);
    await call.hangUp();
    const dialed = call.requests.filter((r) => r.url.endsWith('/ivr/dialed')).map((r) => r.params);
    expect(dialed.map((p) => [p.DialCallStatus, p.CallStatus])).toEqual([
      ['no-answer', 'in-progress'],
      ['completed', 'completed'],
    ]);
    expect(call.heard()).toBe('');
    expect(call.statusCallbacks.at(-1)?.params.CallStatus).toBe('completed');
  });

  it('a caller hanging up while queued: Enqueue action QueueResult=hangup, then status callbacks up to completed', async () => {
    routes.set('/ivr/voice', () => xml('<Enqueue action="/ivr/queue-done" waitUrl="/wait">help</Enqueue>'));
    routes.set('/wait', () => xml('<Say>Attendere.</Say>'));
    routes.set('/ivr/queue-done', () => xml('<Say>ignorato</Say>'));
    const call = await sim().call({ from, to: line });
    await call.waitFor((_, all) => all.filter((e) => e.kind === 'say').length >= 2);
    await call.hangUp();
    expect(call.status).toBe('completed');
    expect(call.events.at(-1)).toEqual({ kind: 'hangup', by: 'caller' });
    expect(hitsOf('/ivr/queue-done').at(-1)?.params).toMatchObject({
      CallSid: call.sid,
      QueueResult: 'hangup',
      CallStatus: 'completed',
    });
    expect(call.heard()).not.toMatch(/ignorato/);
    const cbs = call.statusCallbacks.map((c) => c.params);
    expect(cbs.map((p) => [p.CallStatus, p.SequenceNumber])).toEqual([
      ['initiated', '0'],
      ['ringing', '1'],
      ['in-progress', '2'],
      ['completed', '3'],
    ]);
    expect(cbs[3]).toMatchObject({ CallbackSource: 'call-progress-events', CallSid: call.sid });
    expect(Number(cbs[3]?.CallDuration)).toBeGreaterThanOrEqual(0);
    expect(cbs[0]?.CallDuration).toBeUndefined();
    expect(new Date(cbs[3]?.Timestamp ?? '').getTime()).toBeGreaterThan(0);
    expect(call.statusCallbacks.every((c) => c.status === 204)).toBe(true);
  });

  it('<Reject reason="busy"> ends the call busy, never answered', async () => {
    routes.set('/ivr/voice', () => twiml.busy());
    const call = await sim().call({ from, to: line });
    await call.ended;
    expect(call.status).toBe('busy');
    expect(call.events).toEqual([{ kind: 'reject', reason: 'busy' }]);
    expect(call.statusCallbacks.map((c) => c.params.CallStatus)).toEqual(['initiated', 'ringing', 'busy']);
    expect(call.statusCallbacks.at(-1)?.params.CallDuration).toBe('0');
  });

  it('a non-2xx answer or a document that is not TwiML is an application error that ends the call', async () => {
    routes.set('/ivr/voice', () => ({ status: 500, body: 'boom', type: 'text/plain' }));
    const failed = await sim().call({ from, to: line });
    await failed.ended;
    expect(failed.status).toBe('failed');
    expect(failed.events).toEqual([{ kind: 'error', message: expect.stringMatching(/HTTP 500/) as string }]);

    routes.set('/ivr/voice', () => twiml.menu('Menu.', { action: '/ivr/broken' }));
    routes.set('/ivr/broken', () => '<Response><Say>non chiuso</Response>');
    const broken = await sim().call({ from, to: line });
    await broken.press('3');
    await broken.ended;
    expect(broken.status).toBe('completed');
    expect(broken.events.at(-1)).toMatchObject({ kind: 'error', message: expect.stringMatching(/12100/) as string });
  });

  it('creates an outbound call through the real twilio client: it rings, is answered, and the test presses keys', async () => {
    routes.set('/ivr/outbound', () => twiml.menu('Promemoria: prema 1 per confermare.', { action: '/ivr/confirm' }));
    routes.set('/ivr/confirm', (p) => xml(`<Say>Confermato ${p.Digits}</Say><Hangup/>`));
    const next = sim().nextOutbound();
    const created = await client.calls.create({
      to: from,
      from: line,
      url: `${base}/ivr/outbound`,
      statusCallback: `${base}/status`,
      statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
    expect(created.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(created.status).toBe('queued');
    const call = await next;
    expect(call.sid).toBe(created.sid);
    expect(call.direction).toBe('outbound-api');
    await call.waitForGather();
    expect(call.requests[0]?.params).toMatchObject({
      Direction: 'outbound-api',
      CallStatus: 'in-progress',
      From: line,
      To: from,
    });
    expect((await client.calls(call.sid).fetch()).status).toBe('in-progress');
    await call.press('1');
    await call.ended;
    expect(call.heard()).toMatch(/Confermato 1$/);
    expect(call.statusCallbacks.map((c) => c.params.CallStatus)).toEqual([
      'initiated',
      'ringing',
      'in-progress',
      'completed',
    ]);
    expect(sim().outbound().at(-1)).toBe(call);
    const fetched = await client.calls(call.sid).fetch();
    expect(fetched).toMatchObject({ status: 'completed', direction: 'outbound-api', to: from, from: line });

    await expect(client.calls.create({ to: from, from: line })).rejects.toMatchObject({ code: 21205 });
    await expect(client.calls('CA00000000000000000000000000000000').fetch()).rejects.toMatchObject({ code: 20404 });
  });

  it('outbound callees that are busy or do not answer; REST redirect and REST hang-up of a live call', async () => {
    const busyNext = sim().nextOutbound();
    await client.calls.create({ to: '+393330000001', from: line, url: `${base}/ivr/outbound` });
    const busy = await busyNext;
    busy.setCallee('busy');
    await busy.ended;
    expect(busy.status).toBe('busy');
    expect(busy.requests).toHaveLength(0);

    const silentNext = sim().nextOutbound();
    await client.calls.create({
      to: '+393330000002',
      from: line,
      twiml: xml('<Say>mai</Say>'),
      timeout: 5,
      statusCallback: `${base}/status`,
    });
    const silent = await silentNext;
    silent.setCallee('no-answer');
    await silent.ended;
    expect(silent.status).toBe('no-answer');
    expect(silent.statusCallbacks.map((c) => c.params.CallStatus)).toEqual(['no-answer']);

    routes.set('/ivr/voice', () => xml('<Gather action="/ivr/x"><Say>Attesa.</Say></Gather>'));
    routes.set('/ivr/moved', () => xml('<Say>Spostata.</Say><Gather action="/ivr/x"/>'));
    const live = await sim().call({ from, to: line });
    await client.calls(live.sid).update({ url: `${base}/ivr/moved` });
    await live.waitForSay(/Spostata/);
    await client.calls(live.sid).update({ twiml: xml('<Say>Inline.</Say><Pause length="100"/>') });
    await live.waitForSay(/Inline/);
    const done = await client.calls(live.sid).update({ status: 'completed' });
    expect(done.sid).toBe(live.sid);
    await live.ended;
    expect(live.status).toBe('completed');
    expect(live.events.at(-1)).toEqual({ kind: 'hangup', by: 'api' });
  });

  it('replays status callbacks as a storm of signed duplicates', async () => {
    routes.set('/ivr/voice', () => xml('<Say>Breve.</Say>'));
    const call = await sim().call({ from, to: line });
    await call.ended;
    expect(call.statusCallbacks).toHaveLength(4);
    const before = hitsOf('/status').length;
    const answers = await sim().replayStatusCallbacks(call.sid, [3, 0, 2]);
    expect(answers).toEqual([204, 204, 204, 204, 204, 204]);
    const replayed = hitsOf('/status').slice(before);
    expect(replayed.map((h) => h.params.SequenceNumber)).toEqual(['3', '3', '0', '0', '2', '2']);
  });

  it('handles many concurrent calls without sleeping', async () => {
    routes.set('/ivr/voice', () => twiml.menu('Menu.', { action: '/ivr/pick' }));
    routes.set('/ivr/pick', (p) => xml(`<Say>Scelta ${p.Digits}</Say><Hangup/>`));
    const started = Date.now();
    const calls: SimulatedCall[] = await Promise.all(
      Array.from({ length: 50 }, (_, i) => sim().call({ from: `+3933300${String(i).padStart(5, '0')}`, to: line })),
    );
    await Promise.all(calls.map((c, i) => c.press(String(i % 10))));
    await Promise.all(calls.map((c) => c.ended));
    expect(calls.every((c, i) => c.heard().endsWith(`Scelta ${i % 10}`))).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('signed every request with a valid X-Twilio-Signature and parameters the app accepts', () => {
    expect(hits.length).toBeGreaterThan(50);
    expect(badSignatures).toEqual([]);
    expect(badParams).toEqual([]);
    expect(warnings).toEqual([]);
  });
});
