import { randomBytes } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import twilio from 'twilio';

/**
 * A Twilio Voice call simulator: toward the app it behaves like Twilio on the wire
 * (docs/research/twilio-voice.md). It places calls to the app's Voice URL with Twilio's
 * parameters, signs every request with `X-Twilio-Signature` over the exact URL it fetches and
 * the posted parameters, follows the TwiML it gets back (Say, Play, Pause, Gather, Redirect,
 * Hangup, Reject, Enqueue with its waitUrl loop, Leave, Dial with Client, Number and Queue),
 * posts status callbacks with a rising `SequenceNumber`, and serves the Calls and Queues REST
 * resources the app uses (through `server.ts`). A script plays the caller: press keys, speak,
 * stay silent, hang up; the other party of a bridge can hang up too.
 *
 * It is also a load generator: nothing sleeps for Say or Play, Pause and the waitUrl loop are
 * scaled by `timeScale`, and every call is a handful of promises.
 *
 * Where Twilio's behaviour was not known for certain, this is what it does:
 * - `<Reject reason="busy">` ends the call `busy`, `reason="rejected"` (the default) `no-answer`.
 * - A caller or the REST API hanging up a call that was never answered ends it `canceled`.
 * - A `<Gather>` waits for the script (press, speak, silence): its `timeout` never fires by itself.
 * - A REST dequeue (or a REST redirect) of a queued call posts the Enqueue `action` with
 *   `QueueResult=redirected` (its answer ignored), then fetches the new Url.
 * - A caller hanging up during a `<Dial>` gets the Dial `action` posted too (answer ignored).
 * - Durations (`QueueTime`, `CallDuration`, `DialCallDuration`) are real seconds, not scaled.
 * - `ended` resolves once the final status callback has been answered.
 */

export type CalleeBehaviour = 'answer' | 'no-answer' | 'busy';

export interface VoiceSimulatorOptions {
  accountSid: string;
  authToken: string;
  /** The app's Voice URL for every inbound call, e.g. http://127.0.0.1:PORT/webhooks/twilio/voice */
  voiceUrl: string;
  /** The number's status callback URL (app's /webhooks/twilio/voice-status); events initiated, ringing, answered(in-progress), completed */
  statusCallbackUrl?: string | undefined;
  /** Scale for <Pause length> and for the gap between waitUrl re-requests (default 0.01: 1 s of pause = 10 ms). */
  timeScale?: number | undefined;
  /** How an outbound callee (Calls API) behaves unless the test attaches first: 'answer' (default) | 'no-answer' | 'busy'. */
  defaultCallee?: CalleeBehaviour | undefined;
  /** Per-number behaviour of outbound callees (Calls API `To`), before `defaultCallee`. */
  callees?: Map<string, CalleeBehaviour> | undefined;
  /** Per-client identity (`<Dial><Client>`) behaviour: default 'answer'. The map is read at each Dial. */
  clients?: Map<string, 'answer' | 'no-answer'> | undefined;
}

export type CallEvent =
  | { kind: 'say'; text: string; voice?: string; language?: string }
  | { kind: 'play'; url: string }
  | { kind: 'pause'; seconds: number }
  | { kind: 'gather'; action: string }
  | { kind: 'enqueue'; queue: string }
  | { kind: 'leave' }
  | { kind: 'dequeued'; url: string }
  | { kind: 'dial'; target: string }
  | { kind: 'bridged'; target: string }
  | { kind: 'hangup'; by: 'caller' | 'twiml' | 'api' }
  | { kind: 'reject'; reason: string }
  | { kind: 'error'; message: string };

export interface WebhookRequest {
  url: string;
  params: Record<string, string>;
  status: number;
  ms: number;
}

export interface StatusCallbackRecord {
  url: string;
  params: Record<string, string>;
  status: number;
}

export interface SimulatedCall {
  readonly sid: string;
  readonly from: string;
  readonly to: string;
  readonly direction: 'inbound' | 'outbound-api';
  /** Twilio CallStatus. */
  readonly status: string;
  /** Everything in order. */
  readonly events: CallEvent[];
  /** The text heard so far (all say events joined by '\n'). */
  heard(): string;
  /** Resolves when the predicate over events becomes true (checked on every event, the past ones first); rejects after timeoutMs (default 10 s), or when the call ends without it, listing the events. */
  waitFor(pred: (e: CallEvent, all: CallEvent[]) => boolean, timeoutMs?: number): Promise<CallEvent>;
  /** Wait until a say event's text matches (a past one counts). */
  waitForSay(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Wait until the call is in a <Gather> waiting for input. */
  waitForGather(timeoutMs?: number): Promise<void>;
  /** Answers the current Gather with keys (a trailing finishOnKey is reported as FinishedOnKey); resolves when the call waits again or ended. Throws if not gathering. */
  press(digits: string): Promise<void>;
  /** Answers the current Gather with speech: SpeechResult + Confidence (default 0.9). */
  speak(text: string, confidence?: number): Promise<void>;
  /** Gather timeout: with actionOnEmptyResult="true" POST action with no Digits/SpeechResult; otherwise continue with the next verb after Gather. */
  silence(): Promise<void>;
  /** The caller hangs up at any point (also while queued or bridged); resolves when the call has ended. */
  hangUp(): Promise<void>;
  /** The other party of the current bridge hangs up (a `<Dial>`ed client or number, or the other simulated call of a queue bridge); resolves when this call waits again or ended. */
  operatorHangsUp(): Promise<void>;
  /** For an outbound call still ringing: how its callee behaves (overrides the defaults). */
  setCallee(behaviour: CalleeBehaviour): void;
  /** Resolves when the call is completed/busy/failed/no-answer/canceled (after its final status callback). */
  readonly ended: Promise<void>;
  /** Every webhook the simulator sent for this call (not the status callbacks), with the app's answer status and latency. */
  readonly requests: WebhookRequest[];
  /** Status callbacks sent: params and the app's HTTP answer. */
  readonly statusCallbacks: StatusCallbackRecord[];
}

export interface QueueSummary {
  sid: string;
  name: string;
  members: string[];
}

export interface VoiceSimulator {
  /** An inbound call from `from` to `to` (E.164). Resolves once the first webhook has been answered and executed up to the first wait. */
  call(opts: { from: string; to: string; forwardedFrom?: string }): Promise<SimulatedCall>;
  /** All, inbound and outbound. */
  calls(): SimulatedCall[];
  find(sid: string): SimulatedCall | undefined;
  /** Outbound calls created through the REST API, in creation order. */
  outbound(): SimulatedCall[];
  /** Waits for the next outbound call created via REST (resolves with it when it is created). */
  nextOutbound(timeoutMs?: number): Promise<SimulatedCall>;
  queues(): QueueSummary[];
  /** Re-post a call's status callbacks as a storm: each twice at once, in the given order (indices into statusCallbacks, default all in order), signed. Returns the answers. */
  replayStatusCallbacks(sid: string, order?: number[]): Promise<number[]>;
  /** Sets the Voice URL (and the number's status callback URL) for the calls placed from now on. */
  setVoiceUrls(voiceUrl: string, statusCallbackUrl?: string): void;
  /** REST handler used by server.ts: `undefined` when the path is not a voice resource. */
  handleRest(
    method: string,
    pathname: string,
    form: URLSearchParams,
  ): Promise<{ status: number; body: unknown } | undefined>;
  /** Hangs up every live call, stops timers. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// TwiML documents

interface XNode {
  tag: string;
  attrs: Record<string, string>;
  children: XNode[];
  text?: string;
}

interface Doc {
  url: string;
  verbs: XNode[];
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  htmlEntities: true,
});

function toNodes(list: unknown): XNode[] {
  const out: XNode[] = [];
  if (!Array.isArray(list)) return out;
  for (const item of list as Record<string, unknown>[]) {
    const rawAttrs = (item[':@'] ?? {}) as Record<string, unknown>;
    const attrs = Object.fromEntries(Object.entries(rawAttrs).map(([k, v]) => [k, String(v)]));
    for (const [k, v] of Object.entries(item)) {
      if (k === ':@') continue;
      if (k === '#text') out.push({ tag: '#text', attrs: {}, children: [], text: String(v) });
      else out.push({ tag: k, attrs, children: toNodes(v) });
    }
  }
  return out;
}

/** Parses a TwiML document; a string is the reason it is not one. */
function parseTwiml(xml: string, url: string): Doc | string {
  if (!xml.trim()) return 'empty document (12100)';
  if (xml.length > 64 * 1024) return 'document larger than 64 kB (11750)';
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return `document parse failure (12100): ${valid.err.msg}`;
  const roots = toNodes(parser.parse(xml)).filter((n) => n.tag !== '#text' || n.text?.trim());
  const root = roots[0];
  if (roots.length !== 1 || root?.tag !== 'Response') return 'the root element is not <Response> (12100)';
  return { url, verbs: elements(root) };
}

const elements = (n: XNode) => n.children.filter((c) => c.tag !== '#text');
const textOf = (n: XNode): string => (n.tag === '#text' ? (n.text ?? '') : n.children.map(textOf).join(''));
const spoken = (n: XNode) => textOf(n).replace(/\s+/g, ' ').trim();

// ---------------------------------------------------------------------------------------------
// Helpers

const API_VERSION = '2010-04-01';
const WEBHOOK_TIMEOUT_MS = 15_000;
/** The base of relative URLs in a `Twiml` parameter (Twilio has none either). */
const INLINE_URL = 'http://twiml.invalid/';
const newSid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');
const seconds = (fromMs: number, toMs = Date.now()) => Math.max(0, Math.floor((toMs - fromMs) / 1000));
const httpMethod = (m: string | undefined): 'GET' | 'POST' => (m?.toUpperCase() === 'GET' ? 'GET' : 'POST');

/** Thrown through the running TwiML when something outside it moved the call (see `Interrupt`). */
class Interrupted extends Error {
  constructor() {
    super('interrupted');
  }
}

type Interrupt =
  /** The call is over (status already set): caller, API, `<Hangup>`, `<Reject>` or an application error. */
  | { kind: 'hangup'; queueResult: 'hangup' | 'error' }
  /** Follow another document: REST redirect (`Url`) or member dequeue. */
  | { kind: 'redirect'; url: string; method: 'GET' | 'POST'; dequeued: boolean }
  | { kind: 'twiml'; doc: Doc }
  /** A `<Dial><Queue>` takes this queued call. */
  | { kind: 'bridge'; bridge: Bridge; url: string | undefined; method: 'GET' | 'POST'; queue: QueueState };

const PRIORITY: Record<Interrupt['kind'], number> = { hangup: 3, bridge: 2, redirect: 1, twiml: 1 };

type Ctx = { kind: 'main' } | { kind: 'wait'; queue: QueueState } | { kind: 'announce' };
const MAIN: Ctx = { kind: 'main' };
const ANNOUNCE: Ctx = { kind: 'announce' };
const ALLOWED: Record<Ctx['kind'], Set<string> | undefined> = {
  main: undefined,
  wait: new Set(['Say', 'Play', 'Pause', 'Gather', 'Redirect', 'Leave', 'Hangup']),
  announce: new Set(['Say', 'Play', 'Pause', 'Redirect']),
};

/** What a verb asks of the document: go on (undefined), follow another document, or leave the queue. */
type Step = undefined | { doc: Doc } | 'leave';

type GatherInput = { digits: string } | { speech: string; confidence: number } | { silence: true };

interface Gathering {
  input: string[];
  resolve(i: GatherInput): void;
}

/** Two legs connected: a `<Dial>`ing call and a virtual client/number, or a queued call. */
class Bridge {
  connectedAt: number | undefined;
  isEnded = false;
  readonly ended: Promise<void>;
  /** Resolves when connected, or when ended before. */
  readonly settled: Promise<void>;
  private endNow!: () => void;
  private settleNow!: () => void;
  constructor(
    readonly dialer: CallImpl,
    readonly member: CallImpl | undefined,
    readonly target: string,
    readonly legSid: string,
  ) {
    this.ended = new Promise((r) => (this.endNow = r));
    this.settled = new Promise((r) => (this.settleNow = r));
  }
  connect(): void {
    if (this.isEnded) return;
    this.connectedAt = Date.now();
    this.settleNow();
  }
  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.endNow();
    this.settleNow();
  }
  duration(): number {
    return this.connectedAt === undefined ? 0 : seconds(this.connectedAt);
  }
}

class QueueState {
  readonly sid = newSid('QU');
  readonly members: CallImpl[] = [];
  readonly createdAt = new Date();
  private joinWaiters = new Set<() => void>();
  constructor(
    readonly name: string,
    public maxSize = 1000,
  ) {}
  add(c: CallImpl): void {
    this.members.push(c);
    for (const w of [...this.joinWaiters]) w();
  }
  remove(c: CallImpl): boolean {
    const i = this.members.indexOf(c);
    if (i < 0) return false;
    this.members.splice(i, 1);
    return true;
  }
  position(c: CallImpl): number {
    return this.members.indexOf(c) + 1;
  }
  averageWait(): number {
    if (!this.members.length) return 0;
    const now = Date.now();
    return Math.floor(this.members.reduce((s, c) => s + seconds(c.enqueuedAt ?? now, now), 0) / this.members.length);
  }
  /** Resolves on the next join (or never: the caller races it with a timer). */
  onJoin(): { promise: Promise<void>; cancel(): void } {
    let done!: () => void;
    const promise = new Promise<void>((r) => (done = r));
    const w = () => {
      this.joinWaiters.delete(w);
      done();
    };
    this.joinWaiters.add(w);
    return { promise, cancel: () => this.joinWaiters.delete(w) };
  }
}

/** What a call needs of its simulator. */
interface Core {
  accountSid: string;
  authToken: string;
  timeScale: number;
  clients: Map<string, 'answer' | 'no-answer'>;
  queue(name: string, create: boolean): QueueState | undefined;
  legs: Map<string, Bridge>;
}

interface CallSetup {
  from: string;
  to: string;
  direction: 'inbound' | 'outbound-api';
  forwardedFrom?: string | undefined;
  statusCallback?: { url: string; method: 'GET' | 'POST'; events: Set<string> } | undefined;
}

// ---------------------------------------------------------------------------------------------
// A call

class CallImpl implements SimulatedCall {
  readonly sid = newSid('CA');
  readonly from: string;
  readonly to: string;
  readonly direction: 'inbound' | 'outbound-api';
  readonly forwardedFrom: string | undefined;
  readonly events: CallEvent[] = [];
  readonly requests: WebhookRequest[] = [];
  readonly statusCallbacks: StatusCallbackRecord[] = [];
  readonly ended: Promise<void>;
  readonly createdAt = new Date();
  status = 'queued';
  answeredAt: number | undefined;
  endedAt: number | undefined;
  enqueuedAt: number | undefined;
  queue: QueueState | undefined;
  bridge: Bridge | undefined;
  callee: CalleeBehaviour | undefined;
  /** For an outbound call not yet answered: what to fetch when it is (a REST update may change it). */
  pendingStart: { url: string; method: 'GET' | 'POST' } | { twiml: string } | undefined;
  finished = false;

  private resolveEnded!: () => void;
  private ctl = new AbortController();
  private pending: Interrupt | undefined;
  private gathering: Gathering | undefined;
  private listeners = new Set<() => void>();
  private settleWaiters: (() => void)[] = [];
  private sequence = 0;
  private callbacks: Promise<void> = Promise.resolve();

  constructor(
    private readonly core: Core,
    private readonly setup: CallSetup,
  ) {
    this.from = setup.from;
    this.to = setup.to;
    this.direction = setup.direction;
    this.forwardedFrom = setup.forwardedFrom;
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  // --- the script's side ---------------------------------------------------------------------

  heard(): string {
    return this.events
      .filter((e): e is Extract<CallEvent, { kind: 'say' }> => e.kind === 'say')
      .map((e) => e.text)
      .join('\n');
  }

  private describe(): string {
    return `call ${this.sid} (${this.status}); events: ${JSON.stringify(this.events)}`;
  }

  waitFor(pred: (e: CallEvent, all: CallEvent[]) => boolean, timeoutMs = 10_000): Promise<CallEvent> {
    return new Promise((resolve, reject) => {
      let checked = 0;
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        while (checked < this.events.length) {
          const e = this.events[checked++] as CallEvent;
          if (pred(e, this.events.slice(0, checked))) {
            done();
            return resolve(e);
          }
        }
        if (this.finished) {
          done();
          reject(new Error(`the awaited event never came: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no awaited event within ${timeoutMs} ms: ${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  async waitForSay(re: RegExp, timeoutMs?: number): Promise<string> {
    const e = await this.waitFor((x) => x.kind === 'say' && re.test(x.text), timeoutMs);
    return (e as Extract<CallEvent, { kind: 'say' }>).text;
  }

  waitForGather(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      const check = () => {
        if (this.gathering) {
          done();
          resolve();
        } else if (this.finished) {
          done();
          reject(new Error(`the call ended without a <Gather>: ${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no <Gather> within ${timeoutMs} ms: ${this.describe()}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  private answerGather(kind: 'dtmf' | 'speech' | undefined, input: GatherInput): Promise<void> {
    const g = this.gathering;
    if (!g) return Promise.reject(new Error(`not in a <Gather>: ${this.describe()}`));
    if (kind && !g.input.includes(kind)) {
      return Promise.reject(new Error(`this <Gather> takes input="${g.input.join(' ')}", not ${kind}`));
    }
    const settled = this.nextSettle();
    this.gathering = undefined;
    g.resolve(input);
    return settled;
  }

  press(digits: string): Promise<void> {
    if (!/^[0-9*#]+$/.test(digits)) return Promise.reject(new Error(`not keys of a phone: ${digits}`));
    return this.answerGather('dtmf', { digits });
  }

  speak(text: string, confidence = 0.9): Promise<void> {
    return this.answerGather('speech', { speech: text, confidence });
  }

  silence(): Promise<void> {
    return this.answerGather(undefined, { silence: true });
  }

  hangUp(): Promise<void> {
    this.hangUpBy('caller');
    return this.ended;
  }

  hangUpBy(by: 'caller' | 'api', status?: string): void {
    if (this.isOver()) return;
    this.emit({ kind: 'hangup', by });
    this.terminate(status ?? (this.answeredAt === undefined ? 'canceled' : 'completed'));
  }

  async operatorHangsUp(): Promise<void> {
    const b = this.bridge;
    if (!b?.connectedAt) throw new Error(`not bridged: ${this.describe()}`);
    const settled = this.nextSettle();
    const other = b.dialer === this ? b.member : b.dialer;
    if (other) other.hangUpBy('caller');
    else b.end();
    await settled;
  }

  setCallee(behaviour: CalleeBehaviour): void {
    this.callee = behaviour;
  }

  // --- state, events, interrupts ------------------------------------------------------------

  emit(e: CallEvent): void {
    this.events.push(e);
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves the next time the call waits for something outside it (input, queue, bridge) or ends. */
  nextSettle(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((r) => this.settleWaiters.push(r));
  }

  private settle(): void {
    const waiters = this.settleWaiters;
    this.settleWaiters = [];
    for (const w of waiters) w();
  }

  isOver(): boolean {
    return this.finished || this.pending?.kind === 'hangup';
  }

  interrupt(i: Interrupt): boolean {
    if (this.isOver()) return false;
    if (this.pending && PRIORITY[this.pending.kind] > PRIORITY[i.kind]) return false;
    this.pending = i;
    this.ctl.abort();
    return true;
  }

  /** Ends the call with `status`; the running TwiML unwinds (cleanup posts) and the call finalises. */
  private terminate(status: string, queueResult: 'hangup' | 'error' = 'hangup'): Interrupted {
    if (!this.isOver()) {
      this.status = status;
      this.endedAt = Date.now();
      this.pending = { kind: 'hangup', queueResult };
      this.ctl.abort();
    }
    return new Interrupted();
  }

  /** An application error: Twilio says "an application error has occurred" and hangs up. */
  private fail(message: string): Interrupted {
    if (this.isOver()) return new Interrupted();
    this.emit({ kind: 'error', message });
    return this.terminate(this.answeredAt === undefined ? 'failed' : 'completed', 'error');
  }

  private take(): Interrupt | undefined {
    const i = this.pending;
    if (i?.kind === 'hangup') return i;
    this.pending = undefined;
    this.ctl = new AbortController();
    return i;
  }

  /** Races `p` with the call being moved (hang-up, redirect, dequeue). */
  private guard<T>(p: Promise<T>): Promise<T> {
    const signal = this.ctl.signal;
    if (signal.aborted) {
      p.catch(() => undefined);
      return Promise.reject(new Interrupted());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new Interrupted());
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private delay(ms: number): Promise<void> {
    const signal = this.ctl.signal;
    return this.guard(
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const stop = () => clearTimeout(t);
        const t = setTimeout(() => {
          signal.removeEventListener('abort', stop);
          resolve();
        }, ms);
        signal.addEventListener('abort', stop, { once: true });
      }),
    );
  }

  /** Waits until the call is moved by something else. */
  private forever(): Promise<never> {
    return this.guard(new Promise<never>(() => undefined));
  }

  /** A URL of a document, resolved against the document's own URL (as Twilio does). */
  private resolve(ref: string, base: string): string {
    try {
      return new URL(ref, base).href;
    } catch {
      throw this.fail(`not a URL: ${ref}`);
    }
  }

  private scaled(secs: number): number {
    return Math.max(0, secs * 1000 * this.core.timeScale);
  }

  private markAnswered(): void {
    if (this.answeredAt !== undefined) return;
    this.answeredAt = Date.now();
    this.status = 'in-progress';
    this.statusEvent('answered');
  }

  // --- HTTP toward the app ------------------------------------------------------------------

  standardParams(): Record<string, string> {
    return {
      AccountSid: this.core.accountSid,
      ApiVersion: API_VERSION,
      CallSid: this.sid,
      CallStatus: this.status,
      Called: this.to,
      Caller: this.from,
      Direction: this.direction,
      From: this.from,
      To: this.to,
      ...(this.forwardedFrom ? { ForwardedFrom: this.forwardedFrom } : {}),
    };
  }

  /** One signed request, as Twilio makes it; status 0 when it failed or timed out. */
  private async send(
    rawUrl: string,
    method: 'GET' | 'POST',
    params: Record<string, string>,
  ): Promise<{ url: string; status: number; text: string; contentType: string; ms: number }> {
    let u: URL;
    try {
      u = new URL(rawUrl);
    } catch {
      return { url: rawUrl, status: 0, text: `not a URL: ${rawUrl}`, contentType: '', ms: 0 };
    }
    u.hash = '';
    if (method === 'GET') for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
    const url = u.href;
    const signature = twilio.getExpectedTwilioSignature(this.core.authToken, url, method === 'GET' ? {} : params);
    const started = performance.now();
    let status = 0;
    let text = '';
    let contentType = '';
    try {
      const res = await fetch(url, {
        method,
        headers: {
          'x-twilio-signature': signature,
          'user-agent': 'TwilioProxy/1.1',
          ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {}),
        },
        ...(method === 'POST' ? { body: new URLSearchParams(params).toString() } : {}),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      text = await res.text();
      status = res.status;
      contentType = res.headers.get('content-type') ?? '';
    } catch (e) {
      status = 0;
      text = e instanceof Error ? e.message : String(e);
    }
    return { url, status, text, contentType, ms: Math.round((performance.now() - started) * 100) / 100 };
  }

  /** A webhook whose answer is ignored (an action after hang-up). */
  private async post(url: string, method: 'GET' | 'POST', extra: Record<string, string>): Promise<number> {
    const params = { ...this.standardParams(), ...extra };
    const r = await this.send(url, method, params);
    this.requests.push({ url: r.url, params, status: r.status, ms: r.ms });
    return r.status;
  }

  /** A webhook answered with TwiML; any failure is an application error that ends the call. */
  private async fetchDoc(url: string, method: 'GET' | 'POST', extra: Record<string, string>): Promise<Doc> {
    const params = { ...this.standardParams(), ...extra };
    const r = await this.guard(
      this.send(url, method, params).then((x) => {
        this.requests.push({ url: x.url, params, status: x.status, ms: x.ms });
        return x;
      }),
    );
    if (r.status === 0) throw this.fail(`no answer from ${r.url} (11205): ${r.text}`);
    if (r.status < 200 || r.status > 299) throw this.fail(`HTTP ${r.status} from ${r.url} (11200)`);
    if (!/xml|html/i.test(r.contentType)) {
      throw this.fail(`Content-Type "${r.contentType}" from ${r.url} is not TwiML (12300)`);
    }
    const doc = parseTwiml(r.text, url);
    if (typeof doc === 'string') throw this.fail(`${doc} from ${r.url}`);
    return doc;
  }

  private parseInline(twiml: string): Doc {
    const doc = parseTwiml(twiml, INLINE_URL);
    if (typeof doc === 'string') throw this.fail(`${doc} in the Twiml parameter`);
    return doc;
  }

  replayStatusCallback(cb: StatusCallbackRecord): Promise<number> {
    const method = this.setup.statusCallback?.method ?? 'POST';
    return this.send(cb.url, method, cb.params).then((r) => r.status);
  }

  statusEvent(event: 'initiated' | 'ringing' | 'answered' | 'completed'): void {
    const cb = this.setup.statusCallback;
    if (!cb || !cb.events.has(event)) return;
    const final = event === 'completed';
    const params: Record<string, string> = {
      ...this.standardParams(),
      CallbackSource: 'call-progress-events',
      SequenceNumber: String(this.sequence++),
      Timestamp: rfc2822(new Date()),
      ...(final
        ? {
            CallDuration: String(this.answeredAt === undefined ? 0 : seconds(this.answeredAt, this.endedAt)),
          }
        : {}),
    };
    this.callbacks = this.callbacks
      .then(async () => {
        const r = await this.send(cb.url, cb.method, params);
        this.statusCallbacks.push({ url: cb.url, params, status: r.status });
      })
      .catch(() => undefined);
  }

  // --- running the call ----------------------------------------------------------------------

  /** Runs the call from its first document to its end. */
  async run(first: () => Promise<Doc>): Promise<void> {
    let next: (() => Promise<Doc>) | undefined = first;
    while (next) {
      const load: () => Promise<Doc> = next;
      next = undefined;
      try {
        const doc = await load();
        await this.execDoc(doc, MAIN);
        // Twilio hangs up when the document runs out of verbs.
        this.emit({ kind: 'hangup', by: 'twiml' });
        this.terminate('completed');
      } catch (e) {
        if (!(e instanceof Interrupted)) {
          this.fail(`simulator: ${e instanceof Error ? e.message : String(e)}`);
          break;
        }
        const i = this.take();
        if (!i || i.kind === 'hangup') break;
        if (i.kind === 'redirect') next = () => this.fetchDoc(i.url, i.method, {});
        else if (i.kind === 'twiml') next = () => Promise.resolve(i.doc);
        else {
          // A bridge reaches only queued calls; anything else is a bug of the simulator.
          i.bridge.end();
          this.fail('simulator: bridged outside a queue');
          break;
        }
      }
    }
    await this.finalize();
  }

  private async finalize(): Promise<void> {
    if (!this.isOver()) this.terminate(this.answeredAt === undefined ? 'failed' : 'completed');
    this.gathering = undefined;
    this.bridge?.end();
    this.bridge = undefined;
    this.queue?.remove(this);
    this.queue = undefined;
    this.statusEvent('completed');
    await this.callbacks;
    this.finished = true;
    this.resolveEnded();
    this.settle();
    this.notify();
  }

  /** Inbound: ringing at the first webhook. */
  startInbound(voiceUrl: string): void {
    this.status = 'initiated';
    this.statusEvent('initiated');
    this.status = 'ringing';
    this.statusEvent('ringing');
    void this.run(() => this.fetchDoc(voiceUrl, 'POST', {}));
  }

  /** Outbound (Calls API): rings, then the callee answers, does not, or is busy. */
  startOutbound(timeoutSecs: number, defaults: (to: string) => CalleeBehaviour): void {
    void this.run(async () => {
      if (this.isOver()) throw new Interrupted(); // hung up (or the simulator closed) before it started
      this.status = 'initiated';
      this.statusEvent('initiated');
      await this.delay(Math.max(1, this.scaled(0.5)));
      this.status = 'ringing';
      this.statusEvent('ringing');
      await this.delay(Math.max(1, this.scaled(1)));
      const behaviour = this.callee ?? defaults(this.to);
      if (behaviour === 'busy') throw this.terminate('busy');
      if (behaviour === 'no-answer') {
        await this.delay(Math.max(1, this.scaled(Math.max(0, timeoutSecs - 1))));
        throw this.terminate('no-answer');
      }
      this.markAnswered();
      const start = this.pendingStart;
      this.pendingStart = undefined;
      if (!start) throw this.fail('no Url or Twiml');
      return 'twiml' in start ? this.parseInline(start.twiml) : this.fetchDoc(start.url, start.method, {});
    });
  }

  /** Executes a document (and those it hands over to) in a context; 'leave' only in a queue's wait. */
  private async execDoc(first: Doc, ctx: Ctx): Promise<'done' | 'leave'> {
    let doc = first;
    for (;;) {
      let replaced: Doc | undefined;
      for (const verb of doc.verbs) {
        const step = await this.exec(verb, doc, ctx);
        if (step === 'leave') return 'leave';
        if (step) {
          replaced = step.doc;
          break;
        }
      }
      if (!replaced) return 'done';
      doc = replaced;
    }
  }

  private ctxParams(ctx: Ctx): Record<string, string> {
    return ctx.kind === 'wait' ? this.queueParams(ctx.queue) : {};
  }

  private queueParams(q: QueueState): Record<string, string> {
    return {
      AvgQueueTime: String(q.averageWait()),
      CurrentQueueSize: String(q.members.length),
      QueuePosition: String(Math.max(1, q.position(this))),
      QueueSid: q.sid,
      QueueTime: String(seconds(this.enqueuedAt ?? Date.now())),
    };
  }

  private async exec(verb: XNode, doc: Doc, ctx: Ctx): Promise<Step> {
    const allowed = ALLOWED[ctx.kind];
    if (allowed && !allowed.has(verb.tag)) {
      throw this.fail(`<${verb.tag}> is not allowed in a ${ctx.kind === 'wait' ? 'waitUrl' : 'Queue url'} document`);
    }
    if (ctx.kind === 'main' && verb.tag !== 'Reject') this.markAnswered();
    const a = verb.attrs;
    switch (verb.tag) {
      case 'Say':
      case 'Play': {
        const loop = Number.isFinite(Number(a.loop ?? 1)) ? Math.max(0, Math.trunc(Number(a.loop ?? 1))) : 1;
        const e: CallEvent =
          verb.tag === 'Say'
            ? {
                kind: 'say',
                text: spoken(verb),
                ...(a.voice ? { voice: a.voice } : {}),
                ...(a.language ? { language: a.language } : {}),
              }
            : { kind: 'play', url: a.digits ? `digits:${a.digits}` : this.resolve(textOf(verb).trim(), doc.url) };
        for (let n = 0; n < Math.min(Math.max(loop, 1), 100); n++) this.emit(e);
        if (loop === 0) {
          // loop="0": repeated until something moves the call.
          this.settle();
          await this.forever();
        }
        return undefined;
      }
      case 'Pause': {
        const length = Number(a.length ?? 1);
        this.emit({ kind: 'pause', seconds: length });
        await this.delay(this.scaled(length));
        return undefined;
      }
      case 'Gather':
        return this.gather(verb, doc, ctx);
      case 'Redirect': {
        const target = textOf(verb).trim();
        if (!target) throw this.fail('<Redirect> without a URL');
        return { doc: await this.fetchDoc(this.resolve(target, doc.url), httpMethod(a.method), this.ctxParams(ctx)) };
      }
      case 'Hangup':
        this.emit({ kind: 'hangup', by: 'twiml' });
        throw this.terminate('completed');
      case 'Reject': {
        const reason = a.reason ?? 'rejected';
        this.emit({ kind: 'reject', reason });
        if (this.answeredAt !== undefined) throw this.terminate('completed');
        throw this.terminate(reason === 'busy' ? 'busy' : 'no-answer');
      }
      case 'Leave':
        if (ctx.kind !== 'wait') return undefined; // not in a queue: nothing to leave
        this.emit({ kind: 'leave' });
        return 'leave';
      case 'Enqueue':
        return this.enqueue(verb, doc);
      case 'Dial':
        return this.dial(verb, doc);
      default:
        throw this.fail(`unsupported verb <${verb.tag}>`);
    }
  }

  private async gather(verb: XNode, doc: Doc, ctx: Ctx): Promise<Step> {
    const a = verb.attrs;
    const action = this.resolve(a.action ?? doc.url, doc.url);
    const input = (a.input ?? 'dtmf').split(/[\s,]+/).filter(Boolean);
    for (const child of elements(verb)) {
      if (!['Say', 'Play', 'Pause'].includes(child.tag)) throw this.fail(`<${child.tag}> cannot be nested in <Gather>`);
      await this.exec(child, doc, ctx);
    }
    const answer = new Promise<GatherInput>((resolve) => (this.gathering = { input, resolve }));
    this.emit({ kind: 'gather', action });
    this.settle();
    let got: GatherInput;
    try {
      got = await this.guard(answer);
    } finally {
      this.gathering = undefined;
    }
    const params: Record<string, string> = { ...this.ctxParams(ctx) };
    if ('digits' in got) {
      const finishOnKey = a.finishOnKey ?? '#';
      let digits = got.digits;
      let finishedOnKey = '';
      const at = finishOnKey ? digits.indexOf(finishOnKey) : -1;
      if (at >= 0) {
        finishedOnKey = finishOnKey;
        digits = digits.slice(0, at);
      }
      const numDigits = Number(a.numDigits ?? 0);
      if (numDigits > 0) digits = digits.slice(0, numDigits);
      if (!digits && !finishedOnKey && a.actionOnEmptyResult !== 'true') return undefined;
      params.Digits = digits;
      params.FinishedOnKey = finishedOnKey;
    } else if ('speech' in got) {
      params.SpeechResult = got.speech;
      params.Confidence = String(got.confidence);
    } else if (a.actionOnEmptyResult !== 'true') {
      return undefined; // nothing came: the next verb
    }
    return { doc: await this.fetchDoc(action, httpMethod(a.method), params) };
  }

  private async enqueue(verb: XNode, doc: Doc): Promise<Step> {
    const a = verb.attrs;
    const name = spoken(verb);
    if (!name) throw this.fail('<Enqueue> without a queue name');
    const action = a.action ? this.resolve(a.action, doc.url) : undefined;
    const method = httpMethod(a.method);
    const waitUrl = a.waitUrl ? this.resolve(a.waitUrl, doc.url) : undefined;
    const waitMethod = httpMethod(a.waitUrlMethod);
    const q = this.core.queue(name, true) as QueueState;
    if (a.maxQueueSize && q.members.length === 0) q.maxSize = Number(a.maxQueueSize) || q.maxSize;
    if (q.members.length >= q.maxSize) {
      if (!action) return undefined;
      return {
        doc: await this.fetchDoc(action, method, { QueueResult: 'queue-full', QueueSid: q.sid, QueueTime: '0' }),
      };
    }
    this.enqueuedAt = Date.now();
    this.queue = q;
    q.add(this);
    this.emit({ kind: 'enqueue', queue: name });
    const leftAfter = () => {
      const t = String(seconds(this.enqueuedAt ?? Date.now()));
      q.remove(this);
      this.queue = undefined;
      return t;
    };
    try {
      if (!waitUrl) {
        this.settle();
        await this.forever();
      }
      for (;;) {
        const wait = await this.fetchDoc(waitUrl as string, waitMethod, this.queueParams(q));
        if ((await this.execDoc(wait, { kind: 'wait', queue: q })) === 'leave') break;
        this.settle();
        await this.delay(Math.max(5, this.scaled(0.5)));
      }
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      const queueTime = leftAfter();
      const i = this.pending;
      if (i?.kind === 'bridge') {
        this.take();
        return this.bridgedFromQueue(i, action, method, queueTime);
      }
      if (i?.kind === 'redirect' && i.dequeued) this.emit({ kind: 'dequeued', url: i.url });
      if (action) {
        const queueResult = i?.kind === 'hangup' ? i.queueResult : 'redirected';
        await this.post(action, method, { QueueResult: queueResult, QueueSid: q.sid, QueueTime: queueTime });
      }
      throw e;
    }
    const queueTime = leftAfter();
    if (!action) return undefined;
    return {
      doc: await this.fetchDoc(action, method, { QueueResult: 'leave', QueueSid: q.sid, QueueTime: queueTime }),
    };
  }

  /** This queued call was taken by a `<Dial><Queue>`: the announcement on its leg, then the bridge. */
  private async bridgedFromQueue(
    i: Extract<Interrupt, { kind: 'bridge' }>,
    action: string | undefined,
    method: 'GET' | 'POST',
    queueTime: string,
  ): Promise<Step> {
    const { bridge } = i;
    const queueParams = { QueueSid: i.queue.sid, QueueTime: queueTime };
    try {
      if (i.url) {
        this.emit({ kind: 'dequeued', url: i.url });
        const announce = await this.fetchDoc(i.url, i.method, { ...queueParams, DequeingCallSid: bridge.dialer.sid });
        await this.execDoc(announce, ANNOUNCE);
      }
      if (!bridge.isEnded) {
        bridge.connect();
        this.emit({ kind: 'bridged', target: bridge.dialer.from });
        bridge.dialer.emit({ kind: 'bridged', target: this.from });
        this.settle();
      }
      await this.guard(bridge.ended);
    } catch (e) {
      bridge.end();
      this.bridge = undefined;
      if (e instanceof Interrupted && this.pending?.kind === 'hangup' && action) {
        const queueResult = bridge.connectedAt !== undefined ? 'bridged' : this.pending.queueResult;
        await this.post(action, method, { QueueResult: queueResult, ...queueParams });
      }
      throw e;
    }
    this.bridge = undefined;
    if (!action) return undefined;
    const queueResult = bridge.connectedAt !== undefined ? 'bridged' : 'error';
    return { doc: await this.fetchDoc(action, method, { QueueResult: queueResult, ...queueParams }) };
  }

  private async dial(verb: XNode, doc: Doc): Promise<Step> {
    const a = verb.attrs;
    const action = a.action ? this.resolve(a.action, doc.url) : undefined;
    const method = httpMethod(a.method);
    const timeoutMs = this.scaled(Number(a.timeout ?? 30) || 30);
    const nouns = elements(verb);
    const bare = spoken(verb);
    const targets: { kind: 'client' | 'number' | 'queue'; name: string; node: XNode }[] = [];
    for (const n of nouns) {
      if (n.tag === 'Client') {
        const identity = elements(n).find((c) => c.tag === 'Identity');
        targets.push({ kind: 'client', name: spoken(identity ?? n), node: n });
      } else if (n.tag === 'Number' || n.tag === 'Sip') targets.push({ kind: 'number', name: spoken(n), node: n });
      else if (n.tag === 'Queue') targets.push({ kind: 'queue', name: spoken(n), node: n });
      else throw this.fail(`<Dial><${n.tag}> is not supported by the simulator`);
    }
    if (!nouns.length && bare) targets.push({ kind: 'number', name: bare, node: verb });
    if (!targets.length) throw this.fail('<Dial> without anyone to dial');
    for (const t of targets) {
      this.emit({ kind: 'dial', target: t.kind === 'number' ? t.name : `${t.kind}:${t.name}` });
    }
    let dialSid = '';
    try {
      let outcome: { status: string; duration: number };
      const queueTarget = targets.find((t) => t.kind === 'queue');
      if (queueTarget) {
        const r = await this.dialQueue(queueTarget.name, queueTarget.node, doc, timeoutMs);
        dialSid = r.sid;
        outcome = r;
      } else {
        dialSid = newSid('CA');
        outcome = await this.dialParties(targets, dialSid, timeoutMs);
      }
      if (!action) return undefined;
      return {
        doc: await this.fetchDoc(action, method, {
          DialCallStatus: outcome.status,
          DialCallSid: dialSid,
          ...(outcome.status === 'completed' ? { DialCallDuration: String(outcome.duration) } : {}),
          DialBridged: String(outcome.status === 'completed'),
        }),
      };
    } catch (e) {
      const b = this.bridge;
      this.bridge = undefined;
      b?.end();
      if (b) this.core.legs.delete(b.legSid);
      if (e instanceof Interrupted && this.pending?.kind === 'hangup' && action) {
        const connected = b?.connectedAt !== undefined;
        await this.post(action, method, {
          DialCallStatus: connected ? 'completed' : 'canceled',
          DialCallSid: dialSid || (b?.legSid ?? ''),
          ...(connected ? { DialCallDuration: String(b.duration()) } : {}),
          DialBridged: String(connected),
        });
      }
      throw e;
    }
  }

  /** `<Client>`/`<Number>`: the first that answers is bridged until one side hangs up. */
  private async dialParties(
    targets: { kind: string; name: string }[],
    legSid: string,
    timeoutMs: number,
  ): Promise<{ status: string; duration: number }> {
    const answering = targets.find(
      (t) => t.kind !== 'client' || (this.core.clients.get(t.name) ?? 'answer') === 'answer',
    );
    if (!answering) {
      this.settle();
      await this.delay(timeoutMs);
      return { status: 'no-answer', duration: 0 };
    }
    await this.delay(Math.max(1, this.scaled(1)));
    const target = answering.kind === 'client' ? `client:${answering.name}` : answering.name;
    const bridge = new Bridge(this, undefined, target, legSid);
    this.bridge = bridge;
    this.core.legs.set(legSid, bridge);
    bridge.connect();
    this.emit({ kind: 'bridged', target });
    this.settle();
    await this.guard(bridge.ended);
    this.bridge = undefined;
    this.core.legs.delete(legSid);
    return { status: 'completed', duration: bridge.duration() };
  }

  /** `<Dial><Queue>`: takes the front member (waiting for one up to the Dial timeout). */
  private async dialQueue(
    name: string,
    node: XNode,
    doc: Doc,
    timeoutMs: number,
  ): Promise<{ status: string; duration: number; sid: string }> {
    const deadline = Date.now() + timeoutMs;
    let member: CallImpl | undefined;
    let settled = false;
    for (;;) {
      const q = this.core.queue(name, true) as QueueState;
      member = q.members.find((m) => !m.isOver());
      if (member) {
        q.remove(member);
        break;
      }
      if (Date.now() >= deadline) return { status: 'no-answer', duration: 0, sid: '' };
      if (!settled) {
        settled = true;
        this.settle();
      }
      const joined = q.onJoin();
      let timer: NodeJS.Timeout | undefined;
      const timeUp = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))));
      try {
        await this.guard(Promise.race([joined.promise, timeUp]));
      } finally {
        joined.cancel();
        clearTimeout(timer);
      }
    }
    const q = this.core.queue(name, false) as QueueState;
    const bridge = new Bridge(this, member, `queue:${name}`, member.sid);
    this.bridge = bridge;
    member.bridge = bridge;
    const url = node.attrs.url ? this.resolve(node.attrs.url, doc.url) : undefined;
    if (!member.interrupt({ kind: 'bridge', bridge, url, method: httpMethod(node.attrs.method), queue: q })) {
      bridge.end();
    }
    await this.guard(bridge.settled);
    if (bridge.connectedAt === undefined) {
      this.bridge = undefined;
      return { status: 'no-answer', duration: 0, sid: member.sid };
    }
    this.settle();
    await this.guard(bridge.ended);
    this.bridge = undefined;
    return { status: 'completed', duration: bridge.duration(), sid: member.sid };
  }

  // --- REST ---------------------------------------------------------------------------------

  resource(): Record<string, unknown> {
    const uri = `/2010-04-01/Accounts/${this.core.accountSid}/Calls/${this.sid}.json`;
    const over = this.finished || this.isOver();
    return {
      account_sid: this.core.accountSid,
      annotation: null,
      answered_by: null,
      api_version: API_VERSION,
      caller_name: null,
      date_created: rfc2822(this.createdAt),
      date_updated: rfc2822(new Date(this.endedAt ?? this.answeredAt ?? this.createdAt.getTime())),
      direction: this.direction,
      duration: over ? String(this.answeredAt === undefined ? 0 : seconds(this.answeredAt, this.endedAt)) : null,
      end_time: over && this.endedAt ? rfc2822(new Date(this.endedAt)) : null,
      forwarded_from: this.forwardedFrom ?? null,
      from: this.from,
      from_formatted: this.from,
      group_sid: null,
      parent_call_sid: null,
      phone_number_sid: null,
      price: null,
      price_unit: 'USD',
      queue_time: '0',
      sid: this.sid,
      start_time: this.answeredAt ? rfc2822(new Date(this.answeredAt)) : null,
      status: this.status,
      subresource_uris: {
        notifications: uri.replace('.json', '/Notifications.json'),
        recordings: uri.replace('.json', '/Recordings.json'),
      },
      to: this.to,
      to_formatted: this.to,
      trunk_sid: null,
      uri,
    };
  }

  /** REST `POST Calls/{sid}.json` with Url or Twiml: follow other TwiML. */
  redirect(target: { url: string; method: 'GET' | 'POST' } | { twiml: string }, dequeued = false): boolean {
    if (this.isOver()) return false;
    if (this.answeredAt === undefined && this.direction === 'outbound-api') {
      this.pendingStart = target;
      return true;
    }
    if ('twiml' in target) {
      const doc = parseTwiml(target.twiml, INLINE_URL);
      if (typeof doc === 'string') return false;
      return this.interrupt({ kind: 'twiml', doc });
    }
    return this.interrupt({ kind: 'redirect', url: target.url, method: target.method, dequeued });
  }
}

// ---------------------------------------------------------------------------------------------
// The simulator

function restError(status: number, code: number, message: string): { status: number; body: unknown } {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

function page<T>(key: string, base: string, all: T[], q: URLSearchParams): Record<string, unknown> {
  const pageSize = Math.min(1000, Math.max(1, Number(q.get('PageSize') ?? 50) || 50));
  const pageNo = Math.max(0, Number(q.get('Page') ?? 0) || 0);
  const slice = all.slice(pageNo * pageSize, (pageNo + 1) * pageSize);
  const uri = (p: number) => `${base}?PageSize=${pageSize}&Page=${p}`;
  return {
    [key]: slice,
    end: pageNo * pageSize + Math.max(0, slice.length - 1),
    first_page_uri: uri(0),
    next_page_uri: (pageNo + 1) * pageSize < all.length ? uri(pageNo + 1) : null,
    page: pageNo,
    page_size: pageSize,
    previous_page_uri: pageNo > 0 ? uri(pageNo - 1) : null,
    start: pageNo * pageSize,
    uri: uri(pageNo),
  };
}

const STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

export function createVoiceSimulator(opts: VoiceSimulatorOptions): VoiceSimulator {
  let voiceUrl = opts.voiceUrl;
  let statusCallbackUrl = opts.statusCallbackUrl;
  const all: CallImpl[] = [];
  const bySid = new Map<string, CallImpl>();
  const outboundCalls: CallImpl[] = [];
  const outboundWaiters: { take(c: CallImpl): void; cancel(): void }[] = [];
  const queuesByName = new Map<string, QueueState>();
  const queuesBySid = new Map<string, QueueState>();
  let closed = false;
  const core: Core = {
    accountSid: opts.accountSid,
    authToken: opts.authToken,
    timeScale: opts.timeScale ?? 0.01,
    clients: opts.clients ?? new Map<string, 'answer' | 'no-answer'>(),
    legs: new Map(),
    queue(name, create) {
      let q = queuesByName.get(name);
      if (!q && create) {
        q = new QueueState(name);
        queuesByName.set(name, q);
        queuesBySid.set(q.sid, q);
      }
      return q;
    },
  };
  const calleeFor = (to: string): CalleeBehaviour => opts.callees?.get(to) ?? opts.defaultCallee ?? 'answer';
  const register = (c: CallImpl) => {
    all.push(c);
    bySid.set(c.sid, c);
  };

  const base = `/2010-04-01/Accounts/${opts.accountSid}`;
  const queueResource = (q: QueueState) => ({
    account_sid: opts.accountSid,
    average_wait_time: q.averageWait(),
    current_size: q.members.length,
    date_created: rfc2822(q.createdAt),
    date_updated: rfc2822(q.createdAt),
    friendly_name: q.name,
    max_size: q.maxSize,
    sid: q.sid,
    subresource_uris: { members: `${base}/Queues/${q.sid}/Members.json` },
    uri: `${base}/Queues/${q.sid}.json`,
  });
  const memberResource = (q: QueueState, c: CallImpl, position: number) => ({
    call_sid: c.sid,
    date_enqueued: rfc2822(new Date(c.enqueuedAt ?? Date.now())),
    position,
    queue_sid: q.sid,
    uri: `${base}/Queues/${q.sid}/Members/${c.sid}.json`,
    wait_time: seconds(c.enqueuedAt ?? Date.now()),
  });
  const notFound = (pathname: string) => restError(404, 20404, `The requested resource ${pathname} was not found`);

  const createCall = (form: URLSearchParams) => {
    const to = form.get('To') ?? '';
    const from = form.get('From') ?? '';
    const url = form.get('Url') ?? '';
    const twiml = form.get('Twiml') ?? '';
    if (!to) return restError(400, 21201, "No 'To' number is specified");
    if (!from) return restError(400, 21213, "No 'From' number is specified");
    if (!url && !twiml) return restError(400, 21205, 'Url parameter is required.');
    if (url && !/^https?:\/\//.test(url)) return restError(400, 21205, `Url is not a valid URL: ${url}`);
    const callback = form.get('StatusCallback') ?? '';
    const events = form
      .getAll('StatusCallbackEvent')
      .flatMap((e) => e.split(/[\s,]+/))
      .filter(Boolean);
    const bad = events.find((e) => !STATUS_EVENTS.includes(e));
    if (bad) return restError(400, 21626, `Invalid StatusCallbackEvent: ${bad}`);
    const c = new CallImpl(core, {
      from,
      to,
      direction: 'outbound-api',
      statusCallback: callback
        ? {
            url: callback,
            method: httpMethod(form.get('StatusCallbackMethod') ?? undefined),
            events: new Set([...events, 'completed']),
          }
        : undefined,
    });
    c.pendingStart = twiml ? { twiml } : { url, method: httpMethod(form.get('Method') ?? undefined) };
    register(c);
    outboundCalls.push(c);
    outboundWaiters.shift()?.take(c);
    const timeout = Math.min(600, Math.max(1, Number(form.get('Timeout') ?? 60) || 60));
    setImmediate(() => c.startOutbound(timeout, calleeFor));
    return { status: 201, body: c.resource() };
  };

  const updateCall = (c: CallImpl, form: URLSearchParams) => {
    const status = form.get('Status');
    const url = form.get('Url');
    const twiml = form.get('Twiml');
    if (status) {
      if (status !== 'completed' && status !== 'canceled') {
        return restError(400, 21218, `Invalid Status: ${status}`);
      }
      if (status === 'canceled' && c.answeredAt !== undefined) return { status: 200, body: c.resource() };
      c.hangUpBy('api', c.answeredAt === undefined ? 'canceled' : 'completed');
      return { status: 200, body: c.resource() };
    }
    if (url || twiml) {
      if (url && !/^https?:\/\//.test(url)) return restError(400, 21205, `Url is not a valid URL: ${url}`);
      const ok = c.redirect(
        twiml ? { twiml } : { url: url as string, method: httpMethod(form.get('Method') ?? undefined) },
      );
      if (!ok) return restError(400, 21220, 'Call is not in-progress. Cannot redirect.');
      return { status: 200, body: c.resource() };
    }
    return restError(400, 20001, 'Nothing to update: Url, Twiml or Status is required');
  };

  const sim: VoiceSimulator = {
    async call({ from, to, forwardedFrom }) {
      if (!voiceUrl) throw new Error('the Voice URL is not set (setVoiceUrls)');
      if (closed) throw new Error('the simulator is closed');
      const c = new CallImpl(core, {
        from,
        to,
        direction: 'inbound',
        forwardedFrom,
        statusCallback: statusCallbackUrl
          ? { url: statusCallbackUrl, method: 'POST', events: new Set(STATUS_EVENTS) }
          : undefined,
      });
      register(c);
      const settled = c.nextSettle();
      c.startInbound(voiceUrl);
      await settled;
      return c;
    },
    calls: () => [...all],
    find: (sid) => bySid.get(sid),
    outbound: () => [...outboundCalls],
    nextOutbound(timeoutMs = 10_000) {
      if (closed) return Promise.reject(new Error('the simulator is closed'));
      return new Promise((resolve, reject) => {
        const stop = (err?: Error) => {
          clearTimeout(timer);
          const i = outboundWaiters.indexOf(waiter);
          if (i >= 0) outboundWaiters.splice(i, 1);
          if (err) reject(err);
        };
        const waiter = {
          take(c: CallImpl) {
            stop();
            resolve(c);
          },
          cancel: () => stop(new Error('the simulator was closed before an outbound call came')),
        };
        const timer = setTimeout(() => stop(new Error(`no outbound call created within ${timeoutMs} ms`)), timeoutMs);
        outboundWaiters.push(waiter);
      });
    },
    queues: () =>
      [...queuesByName.values()].map((q) => ({ sid: q.sid, name: q.name, members: q.members.map((m) => m.sid) })),
    async replayStatusCallbacks(sid, order) {
      const c = bySid.get(sid);
      if (!c) throw new Error(`unknown call ${sid}`);
      const indices = order ?? c.statusCallbacks.map((_, i) => i);
      const answers: number[] = [];
      for (const i of indices) {
        const cb = c.statusCallbacks[i];
        if (!cb) throw new Error(`call ${sid} has no status callback #${i}`);
        answers.push(...(await Promise.all([c.replayStatusCallback(cb), c.replayStatusCallback(cb)])));
      }
      return answers;
    },
    setVoiceUrls(url, callbackUrl) {
      voiceUrl = url;
      statusCallbackUrl = callbackUrl;
    },
    // eslint-disable-next-line @typescript-eslint/require-await
    async handleRest(method, pathname, form) {
      const m =
        /^\/2010-04-01\/Accounts\/([^/]+)\/(Calls|Queues)(?:\/([^/.]+))?(?:\/(Members)(?:\/([^/.]+))?)?\.json$/.exec(
          pathname,
        );
      if (!m) return undefined;
      const [, account, collection, id, members, memberId] = m;
      if (account !== opts.accountSid) return restError(401, 20003, 'Authenticate');
      const verb = method.toUpperCase();
      if (collection === 'Calls') {
        if (members) return undefined;
        if (!id) {
          if (verb === 'POST') return createCall(form);
          if (verb !== 'GET') return restError(405, 20004, 'Method not allowed');
          const status = form.get('Status');
          const to = form.get('To');
          const from = form.get('From');
          const list = [...all]
            .reverse()
            .filter((c) => (!status || c.status === status) && (!to || c.to === to) && (!from || c.from === from));
          return {
            status: 200,
            body: page(
              'calls',
              `${base}/Calls.json`,
              list.map((c) => c.resource()),
              form,
            ),
          };
        }
        const c = bySid.get(id);
        const leg = c ? undefined : core.legs.get(id);
        if (!c && !leg) return notFound(pathname);
        if (leg) {
          // A <Dial>ed client or number: only hanging it up is supported.
          if (verb === 'POST' && form.get('Status')) leg.end();
          return {
            status: 200,
            body: {
              sid: id,
              account_sid: opts.accountSid,
              api_version: API_VERSION,
              direction: 'outbound-dial',
              parent_call_sid: leg.dialer.sid,
              from: leg.dialer.from,
              to: leg.target,
              status: leg.isEnded ? 'completed' : 'in-progress',
              uri: `${base}/Calls/${id}.json`,
            },
          };
        }
        if (verb === 'GET') return { status: 200, body: (c as CallImpl).resource() };
        if (verb === 'POST') return updateCall(c as CallImpl, form);
        return restError(405, 20004, 'Method not allowed');
      }
      // Queues
      if (!id) {
        if (verb === 'GET') {
          return {
            status: 200,
            body: page('queues', `${base}/Queues.json`, [...queuesByName.values()].map(queueResource), form),
          };
        }
        if (verb === 'POST') {
          const name = form.get('FriendlyName') ?? '';
          if (!name || name.length > 64)
            return restError(400, 20001, 'FriendlyName is required (at most 64 characters)');
          if (queuesByName.has(name)) return restError(400, 22003, `A queue named ${name} already exists`);
          const q = core.queue(name, true) as QueueState;
          if (form.get('MaxSize')) q.maxSize = Math.min(5000, Math.max(1, Number(form.get('MaxSize')) || 1000));
          return { status: 201, body: queueResource(q) };
        }
        return restError(405, 20004, 'Method not allowed');
      }
      const q = queuesBySid.get(id);
      if (!q) return notFound(pathname);
      if (!members) {
        if (verb === 'GET') return { status: 200, body: queueResource(q) };
        return restError(405, 20004, 'Method not allowed');
      }
      if (!memberId) {
        if (verb !== 'GET') return restError(405, 20004, 'Method not allowed');
        const list = q.members.map((c, i) => memberResource(q, c, i + 1));
        return { status: 200, body: page('queue_members', `${base}/Queues/${q.sid}/Members.json`, list, form) };
      }
      const member = memberId === 'Front' ? q.members[0] : q.members.find((c) => c.sid === memberId);
      if (!member) return notFound(pathname);
      const resource = memberResource(q, member, q.position(member));
      if (verb === 'GET') return { status: 200, body: resource };
      if (verb !== 'POST') return restError(405, 20004, 'Method not allowed');
      const url = form.get('Url') ?? '';
      if (!/^https?:\/\//.test(url)) return restError(400, 21205, 'Url parameter is required.');
      q.remove(member);
      member.redirect({ url, method: httpMethod(form.get('Method') ?? undefined) }, true);
      return { status: 200, body: resource };
    },
    async close() {
      closed = true;
      for (const w of [...outboundWaiters]) w.cancel();
      const live = all.filter((c) => !c.finished);
      for (const c of live) c.hangUpBy('caller');
      await Promise.all(live.map((c) => c.ended));
    },
  };
  return sim;
}
