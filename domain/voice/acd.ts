import type { DataSource, EntityManager } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import { ConflictError } from '../errors.js';
import type { CallRecords } from './call-records.js';

/**
 * The automatic call distribution: operators' presence and skills, the calls waiting in each
 * queue, and the offers between them. All of it lives in PostgreSQL and every change is made
 * under row locks (`FOR UPDATE SKIP LOCKED`), so several API processes can route at once and a
 * call is still offered to one operator at a time, an operator gets one offer at a time.
 */

export const PRESENCES = ['disponibile', 'in-conversazione', 'post-chiamata', 'pausa', 'assente'] as const;
export type Presence = (typeof PRESENCES)[number];
/** What an operator sets; the others follow the calls. */
export const SETTABLE_PRESENCES = ['disponibile', 'pausa', 'assente'] as const;
export type SettablePresence = (typeof SETTABLE_PRESENCES)[number];

export interface OperatorState {
  username: string;
  code: string;
  presence: Presence;
  presenceSince: string;
  skills: string[];
  /** The call offered to the operator and not yet accepted, with when the offer lapses. */
  offer: { callSid: string; queue: string; requestType: string | null; expiresAt: string; callback: boolean } | null;
  currentCall: string | null;
}

export interface QueueEntry {
  callSid: string;
  queue: string;
  line: string;
  priority: number;
  requestType: string | null;
  queuedAt: string;
  state: 'waiting' | 'offered' | 'connected' | 'abandoned';
  callback: boolean;
  callbackNumber: string | null;
  twilioQueueSid: string | null;
  offeredTo: string | null;
  refusals: number;
  /** A call-back's own call, once dialled. */
  legCallSid: string | null;
  /** The last change of state (an accept: when it was connected). */
  updatedAt: string;
}

export interface Offer {
  callSid: string;
  operator: string;
  expiresAt: Date;
}

/** The offer or call is not (or no longer) the operator's: it lapsed, went to another, or the caller hung up. */
export class OfferGoneError extends ConflictError {
  override name = 'OfferGoneError';
}

export interface AcdOptions {
  /** How long an offer waits for the operator before it goes to the next one and counts as refused (K2). */
  offerSeconds: number;
  /** Average handling time assumed before a queue has history of its own. */
  defaultHandleSeconds: number;
}

/** Offers wait 20 s (the K2 refusal window); handling takes 4 minutes until a queue has its own history. */
export const DEFAULT_ACD_OPTIONS: AcdOptions = { offerSeconds: 20, defaultHandleSeconds: 240 };

interface EntryRow {
  call_sid: string;
  queue: string;
  line: string;
  priority: number;
  request_type: string | null;
  queued_at: Date;
  state: QueueEntry['state'];
  callback: boolean;
  callback_number: string | null;
  twilio_queue_sid: string | null;
  offered_to: string | null;
  offer_expires_at: Date | null;
  refusals: number;
  leg_call_sid: string | null;
  updated_at: Date;
}

const toEntry = (r: EntryRow): QueueEntry => ({
  callSid: r.call_sid,
  queue: r.queue,
  line: r.line,
  priority: r.priority,
  requestType: r.request_type,
  queuedAt: r.queued_at.toISOString(),
  state: r.state,
  callback: r.callback,
  callbackNumber: r.callback_number,
  twilioQueueSid: r.twilio_queue_sid,
  offeredTo: r.offered_to,
  refusals: r.refusals,
  legCallSid: r.leg_call_sid,
  updatedAt: r.updated_at.toISOString(),
});

export class Acd {
  constructor(
    private readonly db: DataSource,
    private readonly records: CallRecords,
    private readonly opts: AcdOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The operator's routing state; the row (and the operator's code) is made at first use. */
  async operator(username: string, defaultSkills: readonly string[] = []): Promise<OperatorState> {
    await this.db.query(
      `INSERT INTO voice_operators (username, code, skills)
       VALUES ($1, nextval('voice_operator_codes')::text, $2) ON CONFLICT (username) DO NOTHING`,
      [username, defaultSkills],
    );
    const rows: {
      username: string;
      code: string;
      presence: Presence;
      presence_since: Date;
      skills: string[];
      offer_call: string | null;
      current_call: string | null;
      queue: string | null;
      request_type: string | null;
      offer_expires_at: Date | null;
      callback: boolean | null;
    }[] = await this.db.query(
      `SELECT o.*, e.queue, e.request_type, e.offer_expires_at, e.callback
         FROM voice_operators o
         LEFT JOIN voice_queue_entries e ON e.call_sid = o.offer_call AND e.state = 'offered' AND e.offered_to = o.username
        WHERE o.username = $1`,
      [username],
    );
    const r = rows[0];
    if (!r) throw new Error(`operator ${username} vanished`);
    return {
      username: r.username,
      code: r.code,
      presence: r.presence,
      presenceSince: r.presence_since.toISOString(),
      skills: r.skills,
      offer:
        r.offer_call && r.queue && r.offer_expires_at
          ? {
              callSid: r.offer_call,
              queue: r.queue,
              requestType: r.request_type,
              expiresAt: r.offer_expires_at.toISOString(),
              callback: r.callback ?? false,
            }
          : null,
      currentCall: r.current_call,
    };
  }

  /**
   * The operator becomes available, pauses or leaves. An offer they hold goes back to its queue
   * (not counted as refused: they said so before it lapsed). Not allowed during a call.
   */
  async setPresence(username: string, presence: SettablePresence, skills: readonly string[]): Promise<OperatorState> {
    await this.operator(username, skills);
    const at = this.now();
    await this.db.transaction(async (m) => {
      // The offer's entry is locked before the operator, in the routing's one order.
      const before: { offer_call: string | null }[] = await m.query(
        `SELECT offer_call FROM voice_operators WHERE username = $1`,
        [username],
      );
      const offered = before[0]?.offer_call;
      if (offered) await m.query(`SELECT 1 FROM voice_queue_entries WHERE call_sid = $1 FOR UPDATE`, [offered]);
      const rows: { presence: Presence; offer_call: string | null }[] = await m.query(
        `SELECT presence, offer_call FROM voice_operators WHERE username = $1 FOR UPDATE`,
        [username],
      );
      const current = rows[0];
      if (current?.presence === 'in-conversazione' || current?.presence === 'post-chiamata') {
        throw new OfferGoneError(
          'durante una chiamata e il post-chiamata lo stato non si cambia: prima si chiude il contatto con il suo esito',
        );
      }
      if (current?.offer_call) await this.releaseOffer(m, current.offer_call, username);
      await m.query(
        `UPDATE voice_operators SET presence = $2, presence_since = $3, offer_call = NULL,
                idle_since = CASE WHEN $2 = 'disponibile' THEN coalesce(CASE WHEN presence = 'disponibile' THEN idle_since END, $3) END,
                current_call = CASE WHEN $2 = 'disponibile' THEN NULL ELSE current_call END
          WHERE username = $1`,
        [username, presence, at],
      );
    });
    await this.dispatch();
    return this.operator(username);
  }

  /** A supervisor sets which queues the operator answers (their skills); from the next offer on. */
  async setSkills(username: string, skills: readonly string[]): Promise<OperatorState> {
    await this.operator(username, skills);
    await this.db.query(`UPDATE voice_operators SET skills = $2 WHERE username = $1`, [
      username,
      [...new Set(skills)].sort(),
    ]);
    await this.dispatch();
    return this.operator(username);
  }

  private async releaseOffer(m: EntityManager, callSid: string, username: string): Promise<void> {
    await m.query(
      `UPDATE voice_queue_entries SET state = 'waiting', offered_to = NULL, offer_expires_at = NULL, updated_at = now()
        WHERE call_sid = $1 AND state = 'offered' AND offered_to = $2`,
      [callSid, username],
    );
  }

  /** A call joins a queue (a repeated webhook changes nothing); then it is offered if someone is free. */
  async enqueue(e: {
    callSid: string;
    queue: string;
    line: string;
    priority: number;
    requestType: string | null;
    callerNumber: string;
  }): Promise<void> {
    const at = this.now();
    await this.db.transaction(async (m) => {
      await m.query(
        `INSERT INTO voice_queue_entries (call_sid, queue, line, priority, request_type, queued_at, state, callback_number)
         VALUES ($1, $2, $3, $4, $5, $6, 'waiting', $7) ON CONFLICT (call_sid) DO NOTHING`,
        [e.callSid, e.queue, e.line, e.priority, e.requestType, at, e.callerNumber],
      );
      await this.records.record(
        { callSid: e.callSid, at, type: 'queued', queue: e.queue, requestType: e.requestType, priority: e.priority },
        m,
      );
    });
    await this.dispatch();
  }

  /** Twilio's queue the caller waits in, learnt from the waitUrl requests (needed to dequeue them). */
  async noteTwilioQueue(callSid: string, queueSid: string): Promise<void> {
    await this.db.query(
      `UPDATE voice_queue_entries SET twilio_queue_sid = $2 WHERE call_sid = $1 AND twilio_queue_sid IS DISTINCT FROM $2`,
      [callSid, queueSid],
    );
  }

  async entry(callSid: string): Promise<QueueEntry | undefined> {
    const rows: EntryRow[] = await this.db.query(`SELECT * FROM voice_queue_entries WHERE call_sid = $1`, [callSid]);
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  /**
   * Offers waiting calls to free operators until none fits: the highest priority, then the
   * longest waiting call, to the longest idle available operator with the queue's skill.
   */
  async dispatch(): Promise<Offer[]> {
    const offers: Offer[] = [];
    for (;;) {
      const offer = await this.db.transaction(async (m) => {
        const entries: EntryRow[] = await m.query(
          `SELECT e.* FROM voice_queue_entries e
            WHERE e.state = 'waiting'
              AND EXISTS (SELECT 1 FROM voice_operators o
                           WHERE o.presence = 'disponibile' AND o.offer_call IS NULL AND e.queue = ANY (o.skills))
            ORDER BY e.priority DESC, e.queued_at, e.call_sid
            LIMIT 1 FOR UPDATE OF e SKIP LOCKED`,
        );
        const entry = entries[0];
        if (!entry) return undefined;
        const operators: { username: string }[] = await m.query(
          `SELECT username FROM voice_operators
            WHERE presence = 'disponibile' AND offer_call IS NULL AND $1 = ANY (skills)
            ORDER BY idle_since NULLS FIRST, username
            LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [entry.queue],
        );
        const operator = operators[0]?.username;
        if (!operator) return null;
        const at = this.now();
        const expiresAt = new Date(at.getTime() + this.opts.offerSeconds * 1000);
        await m.query(
          `UPDATE voice_queue_entries SET state = 'offered', offered_to = $2, offer_expires_at = $3, updated_at = $4
            WHERE call_sid = $1`,
          [entry.call_sid, operator, expiresAt, at],
        );
        await m.query(`UPDATE voice_operators SET offer_call = $2 WHERE username = $1`, [operator, entry.call_sid]);
        const offer = (await offersMade(m, entry.call_sid)) + 1;
        await this.records.record({ callSid: entry.call_sid, at, type: 'offered-to-operator', operator, offer }, m);
        return { callSid: entry.call_sid, operator, expiresAt };
      });
      // null: the best call's operators are all busy being offered by another process.
      if (!offer) return offers;
      offers.push(offer);
    }
  }

  /**
   * Offers that lapsed go to the next operator and count as refused (K2); the operator who let
   * one lapse is put on pause, so a person away from the desk is not offered every call.
   */
  async expireOffers(now: Date = this.now()): Promise<number> {
    const lapsed = await this.db.transaction(async (m) => {
      const rows: { call_sid: string; offered_to: string }[] = await returning(
        m,
        `UPDATE voice_queue_entries e SET state = 'waiting', refusals = refusals + 1, offered_to = NULL,
                offer_expires_at = NULL, updated_at = $1
          FROM (SELECT call_sid, offered_to FROM voice_queue_entries
                 WHERE state = 'offered' AND offer_expires_at <= $1 FOR UPDATE SKIP LOCKED) old
         WHERE e.call_sid = old.call_sid
         RETURNING e.call_sid, old.offered_to`,
        [now],
      );
      for (const r of rows) {
        await m.query(
          `UPDATE voice_operators SET presence = 'pausa', presence_since = $3, offer_call = NULL, idle_since = NULL
            WHERE username = $1 AND offer_call = $2`,
          [r.offered_to, r.call_sid, now],
        );
        await this.refused(m, r.call_sid, r.offered_to, now);
      }
      return rows.length;
    });
    if (lapsed > 0) await this.dispatch();
    return lapsed;
  }

  private async refused(m: EntityManager, callSid: string, operator: string, at: Date): Promise<void> {
    await this.records.record({ callSid, at, type: 'offer-refused', operator, offer: await offersMade(m, callSid) }, m);
  }

  /** The operator declines the offer: it goes to the next one, counted as refused; they stay available. */
  async decline(username: string, callSid: string): Promise<void> {
    const at = this.now();
    await this.db.transaction(async (m) => {
      const rows = await returning(
        m,
        `UPDATE voice_queue_entries SET state = 'waiting', refusals = refusals + 1, offered_to = NULL,
                offer_expires_at = NULL, updated_at = $3
          WHERE call_sid = $1 AND state = 'offered' AND offered_to = $2 RETURNING call_sid`,
        [callSid, username, at],
      );
      if (rows.length === 0) throw new OfferGoneError("l'offerta non è più valida");
      // To the back of the line of idle operators.
      await m.query(`UPDATE voice_operators SET offer_call = NULL, idle_since = $2 WHERE username = $1`, [
        username,
        at,
      ]);
      await this.refused(m, callSid, username, at);
    });
    await this.dispatch();
  }

  /**
   * The operator takes the offered call: it is theirs until wrap-up. Refused when the offer is
   * not theirs any more (it lapsed, the caller hung up).
   */
  async accept(username: string, callSid: string): Promise<QueueEntry> {
    const at = this.now();
    return this.db.transaction(async (m) => {
      // The call's record is locked with the offer: a hang-up recorded first makes the offer
      // gone; one recorded after finds the call connected (and the operator goes to wrap-up).
      // (A call-back's caller hung up long ago: they are called.)
      const ended: { ended_at: Date | null; callback: boolean | null }[] = await m.query(
        `SELECT r.ended_at, e.callback FROM call_records r LEFT JOIN voice_queue_entries e ON e.call_sid = r.call_sid
          WHERE r.call_sid = $1 FOR UPDATE OF r`,
        [callSid],
      );
      if (ended[0]?.ended_at && !ended[0].callback) throw new OfferGoneError('il chiamante ha riattaccato');
      const rows: EntryRow[] = await returning(
        m,
        `UPDATE voice_queue_entries SET state = 'connected', offer_expires_at = NULL, updated_at = $3
          WHERE call_sid = $1 AND state = 'offered' AND offered_to = $2 AND offer_expires_at > $3 RETURNING *`,
        [callSid, username, at],
      );
      const entry = rows[0];
      if (!entry) throw new OfferGoneError("l'offerta non è più valida: la chiamata è passata ad altri o è terminata");
      await m.query(
        `UPDATE voice_operators SET presence = 'in-conversazione', presence_since = $3, offer_call = NULL,
                current_call = $2, idle_since = NULL
          WHERE username = $1`,
        [username, callSid, at],
      );
      return toEntry(entry);
    });
  }

  /**
   * An accepted call that could not be handed to the operator (the engine did not take it):
   * back to its place in the queue, the operator available again. Not counted as refused.
   */
  async release(username: string, callSid: string): Promise<void> {
    const at = this.now();
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE voice_queue_entries SET state = 'waiting', offered_to = NULL, updated_at = $3
          WHERE call_sid = $1 AND state = 'connected' AND offered_to = $2`,
        [callSid, username, at],
      );
      await m.query(
        `UPDATE voice_operators SET presence = 'disponibile', presence_since = $3, idle_since = $3, current_call = NULL
          WHERE username = $1 AND current_call = $2`,
        [username, callSid, at],
      );
    });
  }

  /** The leg dialled for a call-back: the operator's hang-up and its end reach it. */
  async noteCallbackLeg(callSid: string, legSid: string): Promise<void> {
    await this.db.query(`UPDATE voice_queue_entries SET leg_call_sid = $2 WHERE call_sid = $1`, [callSid, legSid]);
  }

  /**
   * Call-back legs whose operator is still in conversation a minute or more after the last
   * change, not asked about in the last minute: claimed now, so that one process asks Twilio
   * whether the leg is over (its status callback may have been lost).
   */
  async claimTalkingLegs(now: Date, limit = 20): Promise<{ callSid: string; legSid: string; since: Date }[]> {
    const rows = await returning<{ call_sid: string; leg_call_sid: string; updated_at: Date }>(
      this.db,
      `UPDATE voice_queue_entries SET provider_checked_at = $1
        WHERE call_sid IN (SELECT q.call_sid FROM voice_queue_entries q
                             JOIN voice_operators o ON o.current_call = q.call_sid AND o.presence = 'in-conversazione'
                            WHERE q.state = 'connected' AND q.leg_call_sid IS NOT NULL
                              AND q.updated_at > $1::timestamptz - interval '1 day'
                              AND coalesce(q.provider_checked_at, q.updated_at) < $1::timestamptz - interval '60 seconds'
                            ORDER BY coalesce(q.provider_checked_at, q.updated_at)
                            LIMIT $2 FOR UPDATE OF q SKIP LOCKED)
        RETURNING call_sid, leg_call_sid, updated_at`,
      [now, limit],
    );
    return rows.map((r) => ({ callSid: r.call_sid, legSid: r.leg_call_sid, since: r.updated_at }));
  }

  /** The caller asks to be called back: the entry keeps its place, now without anyone on the line. */
  async requestCallback(callSid: string): Promise<boolean> {
    const at = this.now();
    return this.db.transaction(async (m) => {
      const rows = await returning(
        m,
        `UPDATE voice_queue_entries SET callback = true, updated_at = $2
          WHERE call_sid = $1 AND state = 'waiting' RETURNING call_sid`,
        [callSid, at],
      );
      if (rows.length === 0) return false;
      await this.records.record({ callSid, at, type: 'callback-requested' }, m);
      return true;
    });
  }

  /**
   * The call is over on Twilio's side. Still waiting (and no call-back asked): abandoned, and an
   * offer in flight is withdrawn. Talking: the operator goes to after-call work.
   */
  async callEnded(callSid: string): Promise<void> {
    const at = this.now();
    await this.db.transaction(async (m) => {
      const rows: { state: string; offered_to: string | null; callback: boolean }[] = await m.query(
        `SELECT state, offered_to, callback FROM voice_queue_entries WHERE call_sid = $1 FOR UPDATE`,
        [callSid],
      );
      const entry = rows[0];
      if (entry && !entry.callback && (entry.state === 'waiting' || entry.state === 'offered')) {
        await m.query(
          `UPDATE voice_queue_entries SET state = 'abandoned', offered_to = NULL, offer_expires_at = NULL, updated_at = $2
            WHERE call_sid = $1`,
          [callSid, at],
        );
        if (entry.offered_to) {
          await m.query(`UPDATE voice_operators SET offer_call = NULL WHERE username = $1 AND offer_call = $2`, [
            entry.offered_to,
            callSid,
          ]);
        }
      }
      await m.query(
        `UPDATE voice_operators SET presence = 'post-chiamata', presence_since = $2
          WHERE current_call = $1 AND presence = 'in-conversazione'`,
        [callSid, at],
      );
    });
  }

  /**
   * After-call work is done: the operator is available again, at the back of the idle line;
   * the call leaves the routing (its record keeps its history). Called by the wrap-up worker,
   * which does not route: the API nodes' routing tick (every second, with the deployment's
   * offer time) offers the freed operator the next call.
   */
  async wrapUpEnded(username: string, callSid: string): Promise<void> {
    const at = this.now();
    // Entries before operators, as everywhere in the routing: no two transactions deadlock.
    await this.db.transaction(async (m) => {
      await m.query(`DELETE FROM voice_queue_entries WHERE call_sid = $1 AND state = 'connected'`, [callSid]);
      await m.query(
        `UPDATE voice_operators SET presence = 'disponibile', presence_since = $3, idle_since = $3, current_call = NULL
          WHERE username = $1 AND current_call = $2`,
        [username, callSid, at],
      );
    });
  }

  /**
   * Where the caller stands: their place among the calls before them (higher priority, or the
   * same and earlier, call-backs included) and the wait that makes at the queue's average
   * handling time over the operators staffing it.
   */
  async waitFor(callSid: string): Promise<{ position: number; estimatedWaitSeconds: number } | undefined> {
    const rows: { position: string; staffed: string; handle: number | null }[] = await this.db.query(
      `WITH me AS (SELECT * FROM voice_queue_entries WHERE call_sid = $1)
       SELECT (SELECT count(*) FROM voice_queue_entries e, me
                WHERE e.queue = me.queue AND e.state IN ('waiting', 'offered') AND e.call_sid <> me.call_sid
                  AND (e.priority > me.priority OR (e.priority = me.priority AND e.queued_at < me.queued_at))) + 1
                AS position,
              (SELECT count(*) FROM voice_operators o, me
                WHERE me.queue = ANY (o.skills) AND o.presence IN ('disponibile', 'in-conversazione', 'post-chiamata'))
                AS staffed,
              (SELECT avg(extract(epoch FROM (r.wrap_up_ended_at - r.answered_at)))::float FROM (
                 SELECT r.* FROM call_records r, me WHERE r.queue = me.queue AND r.wrap_up_ended_at IS NOT NULL
                  ORDER BY r.wrap_up_ended_at DESC LIMIT 50) r) AS handle
         FROM me`,
      [callSid],
    );
    const r = rows[0];
    if (!r) return undefined;
    const position = Number(r.position);
    const staffed = Math.max(1, Number(r.staffed));
    const handle = r.handle ?? this.opts.defaultHandleSeconds;
    return { position, estimatedWaitSeconds: Math.round((position * handle) / staffed) };
  }

  /** Every operator and every call waiting or talking, for supervisors and the wallboard. */
  async board(): Promise<{ operators: OperatorState[]; entries: QueueEntry[] }> {
    const names: { username: string }[] = await this.db.query(`SELECT username FROM voice_operators ORDER BY username`);
    const operators = await Promise.all(names.map((n) => this.operator(n.username)));
    const rows: EntryRow[] = await this.db.query(
      `SELECT * FROM voice_queue_entries WHERE state IN ('waiting', 'offered', 'connected')
        ORDER BY queue, priority DESC, queued_at`,
    );
    return { operators, entries: rows.map(toEntry) };
  }
}

/** How many offers of the call were made so far (each offer and refusal event carries its number). */
async function offersMade(m: EntityManager, callSid: string): Promise<number> {
  const rows: { n: string }[] = await m.query(
    `SELECT count(*) AS n FROM call_events WHERE call_sid = $1 AND type = 'offered-to-operator'`,
    [callSid],
  );
  return Number(rows[0]?.n ?? 0);
}
