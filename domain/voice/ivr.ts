import type { DataSource } from 'typeorm';
import type {
  CallStatusUpdate,
  GatherResult,
  IncomingCall,
  QueueWait,
} from '../../adapters/voice/twilio-voice-params.js';
import { twiml, type VoiceSettings } from '../../adapters/voice/twiml.js';
import { VoiceProviderError, type TwilioVoice } from '../../adapters/voice/twilio-voice.js';
import { returning } from '../../platform/database/query.js';
import { EngineError, type EngineClient } from '../../platform/engine/operaton.js';
import type { Logger } from '../../platform/logger.js';
import type { Templates } from '../templates.js';
import { OfferGoneError, type Acd, type QueueEntry } from './acd.js';
import { clientIdentity } from './skills.js';
import { Surveys } from './surveys.js';
import { FINAL_STATUSES, type CallOutcome, type CallRecords } from './call-records.js';
import { hasChannel, lineStateAt, mayCall, romeClock, type Line, type LineId, type RetiredNumber } from './lines.js';

/** The process every call runs (processes/inbound-call.bpmn). */
export const INBOUND_CALL_PROCESS = 'inbound-call';

/**
 * The sequence given to an end read from Twilio's call resource: above any status callback's
 * `SequenceNumber`, so a late callback of the same call changes nothing more.
 */
const PROVIDER_RECORD_SEQUENCE = 1_000_000;
/** Calls asked of Twilio at once by the reconciliation, and how long one sweep may take. */
const RECONCILE_LANES = 4;
const RECONCILE_BUDGET_MS = 20_000;
/** A call Twilio does not know is taken as over only when it arrived this long ago. */
const UNKNOWN_CALL_AGE_MS = 6 * 3600_000;

/** Where Twilio reaches us; every TwiML URL is under it. */
export const VOICE_WEBHOOKS = '/webhooks/twilio/voice';
/** Where Twilio posts the calls' status callbacks. */
export const VOICE_STATUS_WEBHOOK = '/webhooks/twilio/voice-status';

export interface VoiceConfig {
  lines: readonly Line[];
  retired: readonly RetiredNumber[];
  /** The public URL Twilio calls (PUBLIC_BASE_URL), for the URLs given to Twilio's REST API. */
  publicBaseUrl: () => string;
  voice: VoiceSettings;
  /** From this estimated wait on, a waiting caller may ask to be called back. */
  callbackOfferSeconds: number;
  /** The pause between two announcements to a waiting caller. */
  holdSeconds: number;
  /** Channels per line beyond the contract's minimum (V7), when the carrier gives more. */
  channels?: Partial<Record<LineId, number>>;
}

/** The step the call's instance is at, as its IVR step events set it (ADR 0014). */
interface Step {
  ivrAction?: string;
  ivrPrompt?: string | null;
  ivrNotice?: string | null;
  ivrHints?: string | null;
  ivrQueue?: string;
  ivrPriority?: number;
  ivrOutcome?: CallOutcome;
  ivrSeq?: number;
  requestType?: string | null;
  line?: LineId;
  operator?: string;
  operatorCode?: string;
  [name: string]: unknown;
}

const SPACED = (n: string) => n.replace(/^\+39/, '').replace(/(\d{3})(?=\d)/g, '$1 ');

/**
 * The telephone's side of the platform: each call is an `inbound-call` instance and each
 * Twilio webhook moves it one step. The engine decides the path; this service only turns the
 * step the instance reached into TwiML (prompts from templates/voice/, escaped by the twilio
 * package), and keeps the contact record and the ACD in step with what Twilio reports.
 */
export class VoiceService {
  constructor(
    private readonly db: DataSource,
    private readonly engine: EngineClient,
    readonly records: CallRecords,
    readonly acd: Acd,
    private readonly provider: TwilioVoice | undefined,
    private readonly templates: Templates,
    private readonly cfg: VoiceConfig,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.surveys = new Surveys(db);
  }

  private readonly surveys: Surveys;

  // ----- webhooks --------------------------------------------------------------------

  /** The first webhook of a call (the number's Voice URL). */
  async incoming(call: IncomingCall): Promise<string> {
    const at = this.now();
    const state = lineStateAt(call.To, at, this.cfg.lines, this.cfg.retired);
    if (state.kind === 'unknown') {
      // Not one of our lines (a number given back to the carrier, a misconfiguration): no record, no process.
      return twiml.sayAndHangUp(this.say('number-not-in-service', {}), this.cfg.voice);
    }
    const line = state.line;
    const { fresh, channelAvailable } = await this.db.transaction(async (m) => {
      // One line at a time: the count of calls in progress and this call's arrival are one step.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`voice-line:${line.id}`]);
      const inProgress = await this.records.inProgress(line.id, at, m);
      const added = await this.records.record(
        {
          callSid: call.CallSid,
          at,
          type: 'arrived',
          line: line.id,
          direction: call.Direction,
          from: call.From,
          to: call.To,
        },
        m,
      );
      return { fresh: added, channelAvailable: hasChannel(line, inProgress, this.cfg.channels?.[line.id]) };
    });
    const clock = romeClock(at);
    const variables = {
      callSid: call.CallSid,
      // The tasklist shows and finds an instance by this variable.
      businessKey: call.CallSid,
      line: line.id,
      lineName: line.name,
      greenNumber: SPACED(line.numbers[0] ?? ''),
      lineState: state.kind === 'retired' ? 'retired' : state.kind === 'closed' ? `closed-${state.reason}` : 'open',
      weekday: clock.weekday,
      timeOfDay: clock.time,
      callerAllowed: mayCall(line, call.From),
      channelAvailable,
      ivrSeq: 1,
      ivrAttempts: 0,
      digits: '',
      speech: '',
      callback: false,
      operator: '',
    };
    // The start is claimed on the call's record (no lock held across the engine's answer): a
    // repeated first webhook meanwhile holds a second and asks again; a claim older than
    // Twilio's 15 s is a start that died, and the engine is asked by business key before
    // another one, so no call ever gets two instances.
    const claim = await this.claimStart(call.CallSid, at);
    if (claim === 'started') return this.current(call.CallSid);
    if (claim === 'starting') return twiml.hold(this.url(''));
    let started;
    try {
      const existing = fresh
        ? undefined
        : await this.engine.processInstanceByBusinessKey(INBOUND_CALL_PROCESS, call.CallSid);
      if (existing) {
        await this.setInstance(call.CallSid, existing);
        return this.current(call.CallSid);
      }
      started = await this.engine.startWithVariables(INBOUND_CALL_PROCESS, { businessKey: call.CallSid, variables });
    } catch (err) {
      // Not started (or not known to be): the claim goes, and Twilio's retry may start it.
      await this.db.query(
        `UPDATE call_records SET process_instance_id = NULL, start_claimed_at = NULL
          WHERE call_sid = $1 AND process_instance_id = 'starting'`,
        [call.CallSid],
      );
      throw err;
    }
    await this.setInstance(call.CallSid, started.id);
    return this.answer(call, started.variables, true);
  }

  /** `claimed`: this request starts the instance; `starting`: another is starting it now; `started`: done. */
  private async claimStart(callSid: string, at: Date): Promise<'claimed' | 'starting' | 'started'> {
    const claimed = await returning(
      this.db,
      `UPDATE call_records SET process_instance_id = 'starting', start_claimed_at = $2
        WHERE call_sid = $1 AND (process_instance_id IS NULL
              OR (process_instance_id = 'starting' AND start_claimed_at < $2::timestamptz - interval '15 seconds'))
        RETURNING call_sid`,
      [callSid, at],
    );
    if (claimed.length > 0) return 'claimed';
    const rows: { process_instance_id: string | null }[] = await this.db.query(
      `SELECT process_instance_id FROM call_records WHERE call_sid = $1`,
      [callSid],
    );
    return rows[0]?.process_instance_id === 'starting' ? 'starting' : 'started';
  }

  private async setInstance(callSid: string, processInstanceId: string): Promise<void> {
    await this.db.query(`UPDATE call_records SET process_instance_id = $2 WHERE call_sid = $1`, [
      callSid,
      processInstanceId,
    ]);
  }

  /**
   * A `<Gather>`'s answer: the caller's keys or words go to the step that asked. `contact` is
   * the instance's business key when it is not the CallSid (a survey: the survey's id).
   */
  async gathered(g: GatherResult, seq: number, contact?: string): Promise<string> {
    const key = contact ?? g.CallSid;
    const variables = {
      digits: g.Digits ?? '',
      speech: (g.SpeechResult ?? '').toLocaleLowerCase('it-IT').trim(),
      speechConfidence: g.Confidence ?? 0,
      ivrSeq: seq + 1,
    };
    const step = await this.correlate('ivr-input', key, { ivrSeq: seq }, variables);
    return step ? this.answer(g, step, false, key) : this.current(key);
  }

  /**
   * The surveyed citizen picked up the survey call (its Url): the survey's instance learns the
   * call and asks the first question.
   */
  async surveyAnswered(call: IncomingCall, surveyId: string, selfUrl: string): Promise<string> {
    await this.surveys.answered(surveyId, this.now());
    const step = await this.correlate(
      'survey-answered',
      surveyId,
      {},
      {
        callSid: call.CallSid,
        ivrSeq: 1,
        digits: '',
        speech: '',
      },
    );
    if (step) return this.render(surveyId, step);
    // Answered before the worker that placed the call told the engine: a moment, then again.
    const current = await this.stepOf(surveyId);
    if (current?.ivrAction) return this.render(surveyId, current);
    return current ? twiml.hold(selfUrl) : twiml.hangUp();
  }

  /**
   * What a queued caller hears (the Enqueue's waitUrl): position, estimated wait, and the
   * call-back offer. A caller an operator already accepted but whom Twilio did not hand over
   * (a dequeue that failed, or came before Twilio said which queue) is taken out from here.
   */
  async waiting(w: QueueWait): Promise<string> {
    await this.acd.noteTwilioQueue(w.CallSid, w.QueueSid);
    const entry = await this.acd.entry(w.CallSid);
    if (entry?.state === 'connected') {
      // Accepted but still here: once the accept's own hand-over has had its chance (a few
      // seconds), Twilio's REST API takes the caller out, now that this request says which
      // queue they are in (a wait document may not leave the queue by itself: no <Dial> there).
      if (this.now().getTime() - Date.parse(entry.updatedAt) > 3000) {
        await this.provider
          ?.dequeue(w.QueueSid, w.CallSid, this.url(`/connect?contact=${w.CallSid}`))
          .catch((err: unknown) =>
            this.log.warn({ err: { name: (err as Error).name } }, 'dequeue from the wait loop failed'),
          );
      }
      // Being handed to the operator: a moment's silence, not another announcement.
      return twiml.waitAnnouncement('', { pauseSeconds: 1 }, this.cfg.voice);
    }
    const wait = await this.acd.waitFor(w.CallSid);
    if (!wait || !entry) return twiml.nothing();
    const callbackOffered =
      wait.estimatedWaitSeconds >= this.cfg.callbackOfferSeconds &&
      !entry.callback &&
      CALLABLE.test(entry.callbackNumber ?? '');
    const text = this.say('queue-position', {
      position: wait.position,
      waitText: minutesText(wait.estimatedWaitSeconds),
      callbackOffered,
    });
    return twiml.waitAnnouncement(
      text,
      { choiceAction: callbackOffered ? this.url('/wait-choice') : undefined, pauseSeconds: this.cfg.holdSeconds },
      this.cfg.voice,
    );
  }

  /** The waiting caller's key: 1 books a call-back that keeps their place. */
  async waitChoice(g: GatherResult): Promise<string> {
    if (g.Digits !== '1') return twiml.nothing();
    if (!(await this.acd.requestCallback(g.CallSid))) return twiml.nothing();
    const step = await this.correlate('call-callback', g.CallSid, {}, { callback: true });
    return step ? this.render(g.CallSid, step) : this.current(g.CallSid);
  }

  /**
   * The Enqueue's action: the caller left the queue (for a call-back), hung up, or was taken out
   * of it for an operator; only a queue that failed is apologised for.
   */
  queueResult(result: string | undefined): string {
    if (result === 'error' || result === 'system-error' || result === 'queue-full') return this.apology();
    return result === 'leave' ? twiml.hangUp() : twiml.nothing();
  }

  /**
   * The caller taken out of the queue for the operator who accepted (or a call-back answered):
   * the operator's code, then the bridge. Until the instance has reached that step, a short hold.
   */
  async connect(contactSid: string, selfUrl: string): Promise<string> {
    const step = await this.stepOf(contactSid);
    if (!step) return twiml.hangUp();
    if (step.ivrAction !== 'connect') return twiml.hold(selfUrl);
    return this.render(contactSid, step);
  }

  /**
   * The bridge is over (`<Dial>`'s action, posted however it ended): the caller hung up
   * (`CallStatus` completed), or the operator did, or the softphone never answered.
   */
  async dialEnded(
    contactSid: string,
    params: { CallStatus: string; DialCallStatus?: string | undefined },
  ): Promise<string> {
    const at = this.now();
    const reason =
      params.CallStatus === 'completed' ? 'caller' : params.DialCallStatus === 'completed' ? 'operator' : 'failed';
    await this.records.record({ callSid: contactSid, at, type: 'disconnected', reason });
    await this.acd.callEnded(contactSid);
    return reason === 'failed' ? this.apology() : twiml.hangUp();
  }

  /**
   * A status callback. Applied by `SequenceNumber` to the contact record, at Twilio's own
   * `Timestamp`; the end of a call withdraws it from the queue (abandoned), or sends its
   * operator to after-call work, and tells the instance (`call-ended`). `contactSid`: the
   * call-back leg of a contact, whose end ends the operator's talk; `surveyId`: a survey call.
   */
  async status(update: CallStatusUpdate, contactSid?: string, surveyId?: string): Promise<void> {
    const at = twilioTime(update.Timestamp) ?? this.now();
    const final = FINAL_STATUSES.has(update.CallStatus);
    if (surveyId) {
      if (final) {
        await this.surveys.ended(surveyId, update.CallStatus);
        await this.deliverSurveyEnd(surveyId);
      }
      return;
    }
    if (contactSid) {
      if (final) await this.acd.callEnded(contactSid);
      return;
    }
    await this.records.record({
      callSid: update.CallSid,
      at,
      type: 'status',
      status: update.CallStatus,
      sequence: update.SequenceNumber ?? 0,
      durationSeconds: update.CallDuration ?? null,
    });
    if (!final) return;
    await this.acd.callEnded(update.CallSid);
    await this.deliverEnd(update.CallSid);
  }

  /**
   * Tells a call's instance that the call is over (`call-ended`, heard while it is in the IVR
   * or the queue), retrying the engine's optimistic-lock conflicts, and notes it was told. The
   * sweeper tells those it could not (the end came while the instance was starting).
   */
  private async deliverEnd(callSid: string): Promise<void> {
    const rows: { process_instance_id: string | null }[] = await this.db.query(
      `SELECT process_instance_id FROM call_records WHERE call_sid = $1`,
      [callSid],
    );
    // Still starting: the sweep tells it once it waits.
    const id = rows[0]?.process_instance_id;
    if (!id || id === 'starting') return;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.engine.correlateMessage('call-ended', { processVariables: { callSid } });
        break;
      } catch (err) {
        if (!(err instanceof EngineError) || err.status < 500 || attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      }
    }
    await this.records.record({ callSid, at: this.now(), type: 'end-delivered' });
  }

  /** A survey call is over: the survey's instance learns it (no answer, or the questions cut short). */
  private async deliverSurveyEnd(surveyId: string): Promise<void> {
    const survey = await this.surveys.get(surveyId);
    if (!survey || survey.status === 'end-delivered') return;
    const status = survey.status.replace(/^ended:/, '');
    const told =
      (survey.answered && survey.surveyCallSid
        ? await this.engine.correlateMessage('call-ended', { processVariables: { callSid: survey.surveyCallSid } })
        : 0) || ((await this.correlate('survey-unanswered', surveyId, {}, { surveyStatus: status })) ? 1 : 0);
    if (told > 0) await this.surveys.endDelivered(surveyId);
  }

  /**
   * The ends that did not reach their instance (it was starting, the engine was busy): every
   * call ended a few seconds ago whose instance was not told, and every survey call likewise.
   */
  async sweepEnds(): Promise<number> {
    const at = this.now();
    const calls: { call_sid: string }[] = await this.db.query(
      `SELECT r.call_sid FROM call_records r
        WHERE r.ended_at IS NOT NULL AND r.ended_at < $1::timestamptz - interval '5 seconds'
          AND r.ended_at > $1::timestamptz - interval '1 day'
          AND r.process_instance_id IS NOT NULL AND r.process_instance_id <> 'starting'
          AND NOT EXISTS (SELECT 1 FROM call_events e WHERE e.call_sid = r.call_sid AND e.type = 'end-delivered')
        LIMIT 50`,
      [at],
    );
    for (const c of calls) await this.deliverEnd(c.call_sid).catch(() => undefined);
    const surveys = await this.surveys.endsToDeliver(at);
    for (const id of surveys) await this.deliverSurveyEnd(id).catch(() => undefined);
    return calls.length + surveys.length;
  }

  /**
   * Calls whose end never reached us. Twilio does not repeat a status callback it failed to
   * deliver (the database was restarting, the process was killed), so a call left without an
   * end for a minute is asked of Twilio (`GET /Calls/{CallSid}.json`, once a minute per call
   * across every process), and one Twilio reports over is ended as its callback would have
   * ended it: the record at Twilio's end time, the queue or the operator freed, the instance
   * told. A call Twilio does not know is ended as failed once it is hours old. A start that died between the engine
   * and the record (older than Twilio's 15 s) learns its instance from the engine. Survey calls
   * likewise, and a call-back's own leg (its end frees the operator). The number found over.
   */
  async reconcile(): Promise<number> {
    const at = this.now();
    const budget = Date.now() + RECONCILE_BUDGET_MS;
    const stale: { call_sid: string }[] = await this.db.query(
      `SELECT call_sid FROM call_records
        WHERE process_instance_id = 'starting' AND start_claimed_at < $1::timestamptz - interval '15 seconds'
          AND arrived_at > $1::timestamptz - interval '1 day' LIMIT 20`,
      [at],
    );
    await this.settleEach(
      stale,
      (c) => c.call_sid,
      budget,
      async ({ call_sid }) => {
        const id = await this.engine.processInstanceByBusinessKey(INBOUND_CALL_PROCESS, call_sid);
        await this.db.query(
          `UPDATE call_records SET process_instance_id = $2, start_claimed_at = NULL
          WHERE call_sid = $1 AND process_instance_id = 'starting' AND start_claimed_at < $3::timestamptz - interval '15 seconds'`,
          [call_sid, id ?? null, at],
        );
        return false;
      },
    );
    if (!this.provider) return 0;
    const provider = this.provider;
    /** Twilio's final status of a call, or undefined while it goes on (or is too young to call unknown). */
    const ended = async (callSid: string, since: Date) => {
      const call = await provider.callStatus(callSid);
      if (call && !FINAL_STATUSES.has(call.status)) return undefined;
      if (!call) {
        // Twilio has no such call: a record of another account, or a stand-in restarted. Live
        // calls are never ended on that alone; one this old is over whatever happened.
        if (at.getTime() - since.getTime() < UNKNOWN_CALL_AGE_MS) {
          this.log.error({ callSid }, 'Twilio does not know a call in progress: check the account the platform uses');
          return undefined;
        }
        return { status: 'failed', endedAt: undefined, durationSeconds: null };
      }
      return call;
    };
    const calls = await this.settleEach(
      await this.records.claimUnended(at),
      (c) => c.callSid,
      budget,
      async ({ callSid, arrivedAt }) => {
        const call = await ended(callSid, arrivedAt);
        // Its own callback may have come meanwhile: then nothing is missing.
        if (!call || (await this.records.get(callSid))?.endedAt) return false;
        this.log.warn({ callSid, status: call.status }, 'call end read from Twilio: its status callback was lost');
        await this.records.record({
          callSid,
          at: call.endedAt ?? at,
          type: 'status',
          status: call.status,
          sequence: PROVIDER_RECORD_SEQUENCE,
          durationSeconds: call.durationSeconds,
          reconciled: true,
        });
        await this.acd.callEnded(callSid);
        await this.deliverEnd(callSid);
        return true;
      },
    );
    const surveys = await this.settleEach(
      await this.surveys.claimUnended(at),
      (s) => s.surveyCallSid,
      budget,
      async (survey) => {
        const call = await ended(survey.surveyCallSid, survey.placedAt);
        if (!call) return false;
        await this.surveys.ended(survey.id, call.status);
        await this.deliverSurveyEnd(survey.id);
        return true;
      },
    );
    // A call-back's own leg: its end ends the operator's talk (as its status callback would).
    const legs = await this.settleEach(
      await this.acd.claimTalkingLegs(at),
      (l) => l.legSid,
      budget,
      async (leg) => {
        const call = await ended(leg.legSid, leg.since);
        if (!call) return false;
        this.log.warn(
          { callSid: leg.legSid, status: call.status },
          'call-back leg end read from Twilio: its status callback was lost',
        );
        await this.acd.callEnded(leg.callSid);
        return true;
      },
    );
    return calls + surveys + legs;
  }

  /**
   * Settles items a few at a time (Twilio's API is asked in parallel, not one call after
   * another), each on its own: one that fails is logged and waits for the next sweep. Items not
   * begun when the time budget runs out wait too (their claim lapses in a minute).
   */
  private async settleEach<T>(
    items: T[],
    sidOf: (item: T) => string,
    budget: number,
    settle: (item: T) => Promise<boolean>,
  ): Promise<number> {
    let n = 0;
    let next = 0;
    const lane = async () => {
      while (next < items.length && Date.now() < budget) {
        const item = items[next++] as T;
        const done = await settle(item).catch((err: unknown) => {
          this.log.warn(
            { callSid: sidOf(item), err: { name: (err as Error).name, message: (err as Error).message } },
            'call reconciliation failed',
          );
          return false;
        });
        if (done) n++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(RECONCILE_LANES, items.length) }, lane));
    return n;
  }

  /** The platform's clock (the workspace's offer countdown reads it). */
  clock(): Date {
    return this.now();
  }

  /** What the caller hears when the platform itself failed: an apology, then the end of the call. */
  apology(): string {
    return twiml.sayAndHangUp(this.say('technical-problem', {}), this.cfg.voice);
  }

  // ----- the operator's side -----------------------------------------------------------

  /**
   * The operator takes the call offered to them: the instance learns who answered (and opens
   * their contact task), then the caller is taken out of Twilio's queue onto the operator's
   * code and the bridge; a call-back is dialled from the line's number instead. Should the
   * instance not take the answer, the call goes back to its place and the operator is free.
   */
  async accept(operator: string, callSid: string): Promise<QueueEntry> {
    const entry = await this.acd.accept(operator, callSid);
    const me = await this.acd.operator(operator);
    let step: Step | undefined;
    try {
      step = await this.correlate(
        'call-answered',
        callSid,
        {},
        {
          operator,
          operatorCode: me.code,
          answeredAt: this.now().toISOString(),
        },
      );
    } catch (err) {
      await this.acd.release(operator, callSid);
      throw err;
    }
    if (!step) {
      // The caller hung up between the offer and the click: nothing to talk to.
      await this.acd.release(operator, callSid);
      await this.acd.callEnded(callSid);
      throw new OfferGoneError('il chiamante ha riattaccato');
    }
    await this.records.record({ callSid, at: this.now(), type: 'answered', operator });
    const connectUrl = this.url(`/connect?contact=${callSid}`);
    if (!this.provider) return entry;
    try {
      if (entry.callback) {
        const line = this.cfg.lines.find((l) => l.id === entry.line);
        const leg = await this.provider.call({
          to: entry.callbackNumber ?? '',
          from: line?.numbers[0] ?? '',
          url: connectUrl,
          statusCallback: `${this.base()}${VOICE_STATUS_WEBHOOK}?contact=${callSid}`,
        });
        await this.acd.noteCallbackLeg(callSid, leg);
      } else if (entry.twilioQueueSid) {
        await this.provider.dequeue(entry.twilioQueueSid, callSid, connectUrl);
      }
      // Without Twilio's queue id yet, the caller's next wait request takes them to the operator.
    } catch (err) {
      this.log.warn(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        'could not hand the call to the operator at once',
      );
      // Not in the queue any more: hung up, or already taken out (by the wait loop's own retry).
      if (err instanceof VoiceProviderError && err.gone && (await this.records.get(callSid))?.endedAt) {
        await this.acd.callEnded(callSid);
        throw new OfferGoneError('il chiamante ha riattaccato');
      }
      // Twilio busy or unreachable: the caller's next wait request redirects them (waiting()).
      if (entry.callback) throw err;
    }
    return entry;
  }

  /** The operator ends the call from the workspace (Twilio's REST API hangs it up). */
  async hangUp(operator: string, callSid: string): Promise<void> {
    const me = await this.acd.operator(operator);
    if (me.currentCall !== callSid) throw new OfferGoneError('la chiamata non è in corso con te');
    const entry = await this.acd.entry(callSid);
    await this.records.record({ callSid, at: this.now(), type: 'disconnected', reason: 'operator' });
    await this.provider?.hangUp(entry?.legCallSid ?? callSid);
    await this.acd.callEnded(callSid);
  }

  /** Offers that lapsed move on; calls waiting for a free operator are offered. Run every second. */
  async tick(): Promise<void> {
    await this.acd.expireOffers();
    await this.acd.dispatch();
    if (++this.ticks % 10 === 0) await this.sweepEnds();
  }

  private ticks = 0;

  /** The public base URL Twilio reaches us at, without a trailing slash. */
  private base(): string {
    return this.cfg.publicBaseUrl().replace(/\/$/, '');
  }

  /** An absolute voice webhook URL (a PUBLIC_BASE_URL with a path of its own is kept). */
  private url(path: string): string {
    return `${this.base()}${VOICE_WEBHOOKS}${path}`;
  }

  // ----- steps to TwiML ------------------------------------------------------------------

  /** The TwiML of a step just reached, with what the step asks of the routing (enqueue, an outcome). */
  private async answer(call: IncomingCall, step: Step, first: boolean, key = call.CallSid): Promise<string> {
    const at = this.now();
    if (step.ivrOutcome && (step.ivrAction === 'say-hangup' || step.ivrAction === 'reject-busy')) {
      await this.records.record({ callSid: call.CallSid, at, type: 'ivr-outcome', outcome: step.ivrOutcome });
    }
    if (first && step.ivrAction === 'menu')
      await this.records.record({ callSid: call.CallSid, at, type: 'ivr-entered' });
    if (step.ivrAction === 'enqueue' && step.ivrQueue) {
      await this.acd.enqueue({
        callSid: call.CallSid,
        queue: step.ivrQueue,
        line: String(step.line ?? ''),
        priority: Number(step.ivrPriority ?? 0),
        requestType: step.requestType ?? null,
        callerNumber: call.Direction === 'inbound' ? call.From : call.To,
      });
    }
    return this.render(key, step);
  }

  /** `key`: the instance's business key (the CallSid, or a survey's id, carried in the step URLs). */
  private render(key: string, step: Step): string {
    const text = () =>
      [step.ivrNotice, step.ivrPrompt]
        .filter((t): t is string => typeof t === 'string' && t !== '')
        .map((t) => this.say(t, step))
        .join(' ');
    switch (step.ivrAction) {
      case 'menu':
        return twiml.menu(
          text(),
          {
            action: this.url(`/step?seq=${Number(step.ivrSeq ?? 1)}${key.startsWith('CA') ? '' : `&contact=${key}`}`),
            hints: typeof step.ivrHints === 'string' ? step.ivrHints.split(',').map((h) => h.trim()) : [],
          },
          this.cfg.voice,
        );
      case 'say-hangup':
        return twiml.sayAndHangUp(text(), this.cfg.voice);
      case 'reject-busy':
        return twiml.busy();
      case 'enqueue':
        return twiml.enqueue(text(), String(step.ivrQueue), {
          waitUrl: this.url('/wait'),
          action: this.url('/queue-result'),
        });
      case 'leave':
        return twiml.sayAndLeave(text(), this.cfg.voice);
      case 'connect':
        return twiml.connect(
          this.say(String(step.ivrPrompt ?? 'operator-code'), step),
          String(step.operatorCode ?? ''),
          clientIdentity(String(step.operator ?? '')),
          { action: this.url(`/dial-end?contact=${key}`) },
          this.cfg.voice,
        );
      default:
        return twiml.hangUp();
    }
  }

  /** A voice template with the step's variables (line name, green number…). */
  private say(name: string, data: Record<string, unknown>): string {
    return this.templates.render('voice', name, { lineName: '', greenNumber: '', ...data });
  }

  /** The step the call is at now: for a repeated or late webhook, whose step was already taken. */
  private async current(key: string): Promise<string> {
    const step = await this.stepOf(key);
    return step ? this.render(key, step) : twiml.hangUp();
  }

  private async stepOf(key: string): Promise<Step | undefined> {
    const rows: { process_instance_id: string | null }[] = await this.db.query(
      key.startsWith('SURVEY-')
        ? `SELECT process_instance_id FROM voice_surveys WHERE id = $1`
        : `SELECT process_instance_id FROM call_records WHERE call_sid = $1`,
      [key],
    );
    const id = rows[0]?.process_instance_id;
    if (!id || id === 'starting') return undefined;
    return await this.engine.processVariables(id);
  }

  /**
   * Delivers a message to the call's instance and returns the step it reached. Two webhooks for
   * one step at once: one wins, the other gets an optimistic-locking 500 (retried once) or 400
   * (the step is taken): then `undefined`, and the caller hears the current step again.
   */
  private async correlate(
    message: string,
    callSid: string,
    keys: Record<string, unknown>,
    variables: Record<string, unknown>,
  ): Promise<Step | undefined> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return await this.engine.correlateOne(message, {
          businessKey: callSid,
          correlationKeys: keys,
          variables,
        });
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        if (err.status === 400) return undefined;
        if (err.status < 500 || attempt === 1) throw err;
      }
    }
    return undefined;
  }
}

/** `un minuto`, `3 minuti`: the estimated wait as it is said. */
export function minutesText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? 'un minuto' : `${minutes} minuti`;
}

/** A number a call-back can dial: E.164 (not `anonymous`, not a softphone's `client:`). */
const CALLABLE = /^\+[1-9]\d{7,14}$/;

/** Twilio's `Timestamp` (RFC 2822) of a status callback, when it is one. */
function twilioTime(raw: string | undefined): Date | undefined {
  if (!raw) return undefined;
  const t = Date.parse(raw);
  return Number.isFinite(t) ? new Date(t) : undefined;
}
