import type { DataSource } from 'typeorm';
import type { CallStatusUpdate, IncomingCall } from '../../adapters/voice/twilio-voice-params.js';
import { returning } from '../../platform/database/query.js';
import type { LineId } from './lines.js';

/** A call's record as the KPIs and the Regione's reports read it (V8). */
export interface CallRecord {
  callSid: string;
  line: LineId;
  status: string;
  offeredAt: string;
  queuedAt: string | null;
  queue: string | null;
  answeredAt: string | null;
  operator: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  /** Ended after it was queued and before an operator answered. */
  abandoned: boolean;
}

/** Statuses after which a call is over. */
const FINAL = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

interface Row {
  call_sid: string;
  line: LineId;
  status: string;
  offered_at: Date;
  queued_at: Date | null;
  queue: string | null;
  answered_at: Date | null;
  operator: string | null;
  ended_at: Date | null;
  duration_seconds: number | null;
}

/**
 * The contact record of every call, written as the call goes: offered when its first webhook
 * comes (once, however often Twilio repeats it), queued and answered by the routing, ended by
 * Twilio's status callback, whose out-of-order arrivals are applied by `SequenceNumber` only.
 */
export class CallRecords {
  constructor(private readonly db: DataSource) {}

  /** The call reached a line. A repeated first webhook changes nothing. */
  async offered(call: IncomingCall, line: LineId, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO call_records (call_sid, line, direction, from_number, to_number, status, offered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (call_sid) DO NOTHING`,
      [call.CallSid, line, call.Direction, call.From, call.To, call.CallStatus, at],
    );
  }

  async queued(callSid: string, queue: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE call_records SET queued_at = coalesce(queued_at, $3), queue = $2 WHERE call_sid = $1 AND ended_at IS NULL`,
      [callSid, queue, at],
    );
  }

  async answered(callSid: string, operator: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE call_records SET answered_at = coalesce(answered_at, $3), operator = coalesce(operator, $2)
        WHERE call_sid = $1 AND ended_at IS NULL`,
      [callSid, operator, at],
    );
  }

  /**
   * Applies a status callback; `false` when it is older than one already applied (or the call
   * is unknown: Twilio's callbacks for calls we never recorded are acknowledged and dropped).
   */
  async status(update: CallStatusUpdate, at: Date): Promise<boolean> {
    const sequence = update.SequenceNumber ?? 0;
    const final = FINAL.has(update.CallStatus);
    const applied = await returning(
      this.db,
      `UPDATE call_records SET status = $2, last_sequence = $3,
              ended_at = CASE WHEN $4 THEN coalesce(ended_at, $5) ELSE ended_at END,
              duration_seconds = coalesce($6, duration_seconds)
        WHERE call_sid = $1 AND last_sequence < $3
        RETURNING call_sid`,
      [update.CallSid, update.CallStatus, sequence, final, at, update.CallDuration ?? null],
    );
    return applied.length > 0;
  }

  async get(callSid: string): Promise<CallRecord | undefined> {
    const rows: Row[] = await this.db.query(
      `SELECT call_sid, line, status, offered_at, queued_at, queue, answered_at, operator, ended_at, duration_seconds
         FROM call_records WHERE call_sid = $1`,
      [callSid],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      callSid: r.call_sid,
      line: r.line,
      status: r.status,
      offeredAt: r.offered_at.toISOString(),
      queuedAt: r.queued_at?.toISOString() ?? null,
      queue: r.queue,
      answeredAt: r.answered_at?.toISOString() ?? null,
      operator: r.operator,
      endedAt: r.ended_at?.toISOString() ?? null,
      durationSeconds: r.duration_seconds,
      abandoned: r.ended_at !== null && r.queued_at !== null && r.answered_at === null,
    };
  }
}
