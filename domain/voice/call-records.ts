import type { DataSource, EntityManager } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import type { LineId } from './lines.js';

/**
 * What happened to a call, as the append-only log `call_events` keeps it. Every contact
 * record is built from these events (and the wallboard and reports read the same ones, so the
 * two cannot disagree). Each event has a key: a repeated webhook or callback brings the same
 * key and is kept once.
 */
export type CallEventInput =
  | { type: 'arrived'; line: LineId; direction: string; from: string; to: string }
  /** The IVR menu started (a closed line or a busy one has no IVR). */
  | { type: 'ivr-entered' }
  /** The caller left the IVR for a queue: offeredAt (V8). */
  | { type: 'queued'; queue: string; requestType: string | null; priority: number }
  | { type: 'offered-to-operator'; operator: string; offer: number }
  | { type: 'offer-refused'; operator: string; offer: number }
  | { type: 'answered'; operator: string }
  | { type: 'callback-requested' }
  /** The call ended in the IVR with an outcome of its own (busy, out of hours, retired number, not allowed). */
  | { type: 'ivr-outcome'; outcome: CallOutcome }
  /** A status callback; `reconciled` when it was read from Twilio's call resource instead (its callback was lost). */
  | { type: 'status'; status: string; sequence: number; durationSeconds: number | null; reconciled?: true }
  | { type: 'disconnected'; reason: DisconnectReason }
  | { type: 'wrap-up-ended'; operator: string; outcome: CallOutcome }
  /** The call's instance was told the call ended (nothing of the record changes). */
  | { type: 'end-delivered' };

export type CallEvent = CallEventInput & { callSid: string; at: Date };

export const CALL_OUTCOMES = [
  'resolved',
  'out-of-scope',
  'escalated-level-2',
  'escalated-level-3',
  'abandoned',
  'busy',
  'out-of-hours',
  'callback-requested',
  'retired-number',
  'not-allowed',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Who or what ended the call. */
export type DisconnectReason = 'caller' | 'operator' | 'ivr' | 'busy' | 'failed' | 'no-answer';

/** A call's contact record as the KPIs and the Regione's reports read it (V8). */
export interface CallRecord {
  contactId: string;
  callSid: string;
  line: LineId;
  channel: 'voice';
  direction: 'inbound' | 'outbound';
  caller: string | null;
  requestType: string | null;
  priority: number | null;
  status: string;
  arrivedAt: string;
  ivrEnteredAt: string | null;
  ivrLeftAt: string | null;
  /** Reached a queue. */
  offeredAt: string | null;
  queue: string | null;
  firstOfferedToOperatorAt: string | null;
  offers: number;
  refusals: number;
  answeredAt: string | null;
  operator: string | null;
  abandonedAt: string | null;
  callbackRequestedAt: string | null;
  endedAt: string | null;
  wrapUpEndedAt: string | null;
  durationSeconds: number | null;
  outcome: CallOutcome | null;
  disconnectReason: DisconnectReason | null;
}

/** Statuses after which a call is over. */
export const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

interface Row {
  contact_id: string;
  call_sid: string;
  line: LineId;
  direction: string;
  from_number: string | null;
  request_type: string | null;
  priority: number | null;
  status: string;
  arrived_at: Date;
  ivr_entered_at: Date | null;
  ivr_left_at: Date | null;
  offered_at: Date | null;
  queue: string | null;
  first_offered_to_operator_at: Date | null;
  offers: number;
  refusals: number;
  answered_at: Date | null;
  operator: string | null;
  abandoned_at: Date | null;
  callback_requested_at: Date | null;
  ended_at: Date | null;
  wrap_up_ended_at: Date | null;
  duration_seconds: number | null;
  outcome: CallOutcome | null;
  disconnect_reason: DisconnectReason | null;
}

function keyOf(e: CallEvent): string {
  switch (e.type) {
    case 'offered-to-operator':
    case 'offer-refused':
      return `${e.callSid}:${e.type}:${e.offer}`;
    case 'status':
      return `${e.callSid}:status:${e.sequence}:${e.status}`;
    default:
      return `${e.callSid}:${e.type}`;
  }
}

/**
 * What V8 derives rather than records: a call that ended after it reached a queue, before
 * an operator answered and without asking to be called back, was abandoned when it ended.
 * Recomputed after every event, so the order events arrive in does not matter.
 */
const DERIVE = `
  abandoned_at = CASE WHEN ended_at IS NOT NULL AND offered_at IS NOT NULL AND answered_at IS NULL
                      AND callback_requested_at IS NULL THEN ended_at END,
  outcome = CASE
    WHEN outcome IS NOT NULL AND outcome <> 'abandoned' THEN outcome
    WHEN ended_at IS NOT NULL AND offered_at IS NOT NULL AND answered_at IS NULL
         AND callback_requested_at IS NULL THEN 'abandoned'
    WHEN callback_requested_at IS NOT NULL AND answered_at IS NULL THEN 'callback-requested'
    ELSE outcome END`;

/**
 * The contact record of every call, built from its event log in the same transaction as the
 * event is appended. Timestamps keep their first value; Twilio's status callbacks, which can
 * arrive late, twice or out of order, are applied by `SequenceNumber` only.
 */
export class CallRecords {
  constructor(private readonly db: DataSource) {}

  /** Appends the event and applies it; `false` when it was already recorded (a repeat). */
  async record(e: CallEvent, manager?: EntityManager): Promise<boolean> {
    const run = async (m: EntityManager) => {
      const inserted = await returning(
        m,
        `INSERT INTO call_events (call_sid, type, at, operator, data, dedupe_key)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        [e.callSid, e.type, e.at, 'operator' in e ? e.operator : null, JSON.stringify(dataOf(e)), keyOf(e)],
      );
      if (inserted.length === 0) return false;
      await this.apply(m, e);
      return true;
    };
    return manager ? run(manager) : this.db.transaction(run);
  }

  private async apply(m: EntityManager, e: CallEvent): Promise<void> {
    // Two statements: an UPDATE's expressions see the row as it was before it.
    const update = async (set: string, params: unknown[], where = '') => {
      await m.query(`UPDATE call_records SET ${set} WHERE call_sid = $1 ${where}`, [e.callSid, ...params]);
      await m.query(`UPDATE call_records SET ${DERIVE} WHERE call_sid = $1`, [e.callSid]);
    };
    switch (e.type) {
      case 'arrived':
        await m.query(
          `INSERT INTO call_records (call_sid, line, direction, from_number, to_number, status, arrived_at)
           VALUES ($1, $2, $3, $4, $5, 'ringing', $6) ON CONFLICT (call_sid) DO NOTHING`,
          [e.callSid, e.line, e.direction, e.from, e.to, e.at],
        );
        return;
      case 'ivr-entered':
        await update(`ivr_entered_at = coalesce(ivr_entered_at, $2)`, [e.at]);
        return;
      case 'queued':
        await update(
          `ivr_left_at = coalesce(ivr_left_at, $2), offered_at = coalesce(offered_at, $2), queue = coalesce(queue, $3),
           request_type = coalesce(request_type, $4), priority = coalesce(priority, $5)`,
          [e.at, e.queue, e.requestType, e.priority],
        );
        return;
      case 'offered-to-operator':
        // LEAST ignores NULLs: the first offer, whichever order the events arrive in.
        await update(`first_offered_to_operator_at = LEAST(first_offered_to_operator_at, $2), offers = offers + 1`, [
          e.at,
        ]);
        return;
      case 'offer-refused':
        await update(`refusals = refusals + 1`, []);
        return;
      case 'answered':
        await update(`answered_at = coalesce(answered_at, $2), operator = coalesce(operator, $3)`, [e.at, e.operator]);
        return;
      case 'callback-requested':
        await update(`callback_requested_at = coalesce(callback_requested_at, $2)`, [e.at]);
        return;
      case 'ivr-outcome':
        await update(`outcome = coalesce(outcome, $2), ivr_left_at = coalesce(ivr_left_at, $3)`, [e.outcome, e.at]);
        return;
      case 'disconnected':
        await update(`disconnect_reason = coalesce(disconnect_reason, $2)`, [e.reason]);
        return;
      case 'wrap-up-ended':
        await update(`wrap_up_ended_at = coalesce(wrap_up_ended_at, $2), outcome = $3`, [e.at, e.outcome]);
        return;
      case 'end-delivered':
        return;
      case 'status': {
        const final = FINAL_STATUSES.has(e.status);
        await update(
          `status = $2, last_sequence = $3,
           ended_at = CASE WHEN $4 THEN coalesce(ended_at, $5) ELSE ended_at END,
           duration_seconds = coalesce($6, duration_seconds),
           disconnect_reason = CASE WHEN $4 THEN coalesce(disconnect_reason,
             CASE $2 WHEN 'completed' THEN 'caller' WHEN 'canceled' THEN 'caller' ELSE $2 END) ELSE disconnect_reason END`,
          [e.status, e.sequence, final, e.at, e.durationSeconds],
          'AND last_sequence < $3',
        );
        return;
      }
    }
  }

  /**
   * Calls that arrived a minute ago or more and have not ended, not asked about in the last
   * minute (within a day): claimed now, so that one process asks Twilio about each. Twilio
   * does not repeat a status callback it failed to deliver, so an end can be lost.
   */
  async claimUnended(now: Date, limit = 20): Promise<{ callSid: string; arrivedAt: Date }[]> {
    const rows = await returning<{ call_sid: string; arrived_at: Date }>(
      this.db,
      `UPDATE call_records SET provider_checked_at = $1
        WHERE call_sid IN (SELECT call_sid FROM call_records
                            WHERE ended_at IS NULL AND arrived_at > $1::timestamptz - interval '1 day'
                              AND coalesce(provider_checked_at, arrived_at) < $1::timestamptz - interval '60 seconds'
                            ORDER BY coalesce(provider_checked_at, arrived_at)
                            LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING call_sid, arrived_at`,
      [now, limit],
    );
    return rows.map((r) => ({ callSid: r.call_sid, arrivedAt: r.arrived_at }));
  }

  /** The calls of a line that have not ended: the channels in use (V7). */
  async inProgress(line: LineId, at: Date, m: EntityManager | DataSource = this.db): Promise<number> {
    // A call whose end Twilio never reported does not hold a channel for ever.
    const rows: { n: string }[] = await m.query(
      `SELECT count(*) AS n FROM call_records WHERE line = $1 AND ended_at IS NULL AND outcome IS NULL
          AND arrived_at > $2::timestamptz - interval '6 hours'`,
      [line, at],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async get(callSid: string, opts: { personal?: boolean } = {}): Promise<CallRecord | undefined> {
    const rows: Row[] = await this.db.query(`SELECT * FROM call_records WHERE call_sid = $1`, [callSid]);
    return rows[0] ? toRecord(rows[0], opts.personal ?? false) : undefined;
  }

  /** The newest records first, optionally of one line. */
  async list(opts: { line?: string; limit?: number; personal?: boolean } = {}): Promise<CallRecord[]> {
    const rows: Row[] = await this.db.query(
      `SELECT * FROM call_records WHERE ($1::text IS NULL OR line = $1) ORDER BY arrived_at DESC LIMIT $2`,
      [opts.line ?? null, Math.min(opts.limit ?? 100, 1000)],
    );
    return rows.map((r) => toRecord(r, opts.personal ?? false));
  }

  /** The events a record was built from, in the order they were recorded. */
  async events(callSid: string): Promise<{ type: string; at: string; operator: string | null; data: unknown }[]> {
    const rows: { type: string; at: Date; operator: string | null; data: unknown }[] = await this.db.query(
      `SELECT type, at, operator, data FROM call_events WHERE call_sid = $1 ORDER BY id`,
      [callSid],
    );
    return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  }
}

function dataOf(e: CallEvent): Record<string, unknown> {
  const { callSid: _sid, at: _at, type: _type, ...rest } = e;
  // The caller's number stays in the record only, where retention empties it.
  if ('from' in rest) return { ...rest, from: undefined };
  return rest;
}

/** `+39333…4567` → `+39333***67`: enough for an operator without personal-data rights to tell calls apart. */
export function maskNumber(n: string | null): string | null {
  if (!n) return n;
  return n.length <= 6 ? '***' : `${n.slice(0, 6)}***${n.slice(-2)}`;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function toRecord(r: Row, personal: boolean): CallRecord {
  return {
    contactId: r.contact_id,
    callSid: r.call_sid,
    line: r.line,
    channel: 'voice',
    direction: r.direction === 'inbound' ? 'inbound' : 'outbound',
    caller: personal ? r.from_number : maskNumber(r.from_number),
    requestType: r.request_type,
    priority: r.priority,
    status: r.status,
    arrivedAt: r.arrived_at.toISOString(),
    ivrEnteredAt: iso(r.ivr_entered_at),
    ivrLeftAt: iso(r.ivr_left_at),
    offeredAt: iso(r.offered_at),
    queue: r.queue,
    firstOfferedToOperatorAt: iso(r.first_offered_to_operator_at),
    offers: r.offers,
    refusals: r.refusals,
    answeredAt: iso(r.answered_at),
    operator: r.operator,
    abandonedAt: iso(r.abandoned_at),
    callbackRequestedAt: iso(r.callback_requested_at),
    endedAt: iso(r.ended_at),
    wrapUpEndedAt: iso(r.wrap_up_ended_at),
    durationSeconds: r.duration_seconds,
    outcome: r.outcome,
    disconnectReason: r.disconnect_reason,
  };
}
