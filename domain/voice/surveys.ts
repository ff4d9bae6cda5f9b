import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import { nextDay, startOfDayInRome } from '../time.js';

/**
 * The satisfaction survey (V6, seed §2.1.8): every day a random sample of the calls handled
 * that day (answered by an operator and closed) is called back from the line's number with a
 * few DTMF questions. Excluded: withheld or foreign-looking numbers, those who asked not to be
 * surveyed, and numbers surveyed in the last `quietDays` days. The sample is drawn with a seed
 * (the day), so a day's draw can be repeated and checked.
 */
export interface SurveyOptions {
  samplePercent: number;
  quietDays: number;
  /** A score at or below this is insufficient: a follow-up for the back office. */
  lowScoreThreshold: number;
}

export const DEFAULT_SURVEY_OPTIONS: SurveyOptions = { samplePercent: 10, quietDays: 30, lowScoreThreshold: 2 };

export interface Survey {
  id: string;
  contactCallSid: string;
  day: string;
  line: string;
  operator: string | null;
  toNumber: string | null;
  fromNumber: string;
  callState: 'planned' | 'placing' | 'placed';
  placingSince: Date | null;
  surveyCallSid: string | null;
  status: string;
  /** The citizen picked up. */
  answered: boolean;
  processInstanceId: string | null;
}

interface Row {
  id: string;
  contact_call_sid: string;
  day: string;
  line: string;
  operator: string | null;
  to_number: string | null;
  from_number: string;
  call_state: Survey['callState'];
  placing_since: Date | null;
  survey_call_sid: string | null;
  status: string;
  answered_at: Date | null;
  process_instance_id: string | null;
}

const toSurvey = (r: Row): Survey => ({
  id: r.id,
  contactCallSid: r.contact_call_sid,
  day: r.day,
  line: r.line,
  operator: r.operator,
  toNumber: r.to_number,
  fromNumber: r.from_number,
  callState: r.call_state,
  placingSince: r.placing_since,
  surveyCallSid: r.survey_call_sid,
  status: r.status,
  answered: r.answered_at !== null,
  processInstanceId: r.process_instance_id,
});

/** A repeatable pseudo-random order (mulberry32 seeded by SHA-256 of `seed`). */
export function seededShuffle<T>(items: readonly T[], seed: string): T[] {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** `percent` of `items` (rounded, at least one when there is any), drawn with `seed`. */
export function sampleOf<T>(items: readonly T[], percent: number, seed: string): T[] {
  if (items.length === 0) return [];
  const n = Math.max(1, Math.round((items.length * percent) / 100));
  return seededShuffle(items, seed).slice(0, n);
}

/** Each question's key in the survey process and its score (1–5), or null when not answered. */
export function scoresOf(answers: Record<string, unknown>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of ['score1', 'score2', 'score3']) {
    const raw = answers[k];
    const v = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
    out[k] = /^[1-5]$/.test(v) ? Number(v) : null;
  }
  return out;
}

export class Surveys {
  constructor(private readonly db: DataSource) {}

  /** The calls of `day` that may be surveyed, in a stable order. */
  async candidates(
    day: string,
    opts: SurveyOptions,
  ): Promise<{ callSid: string; line: string; operator: string | null; from: string; to: string }[]> {
    return this.db.query(
      `SELECT r.call_sid AS "callSid", r.line, r.operator, r.from_number AS "from", r.to_number AS "to"
         FROM call_records r
        WHERE r.arrived_at >= $1 AND r.arrived_at < $2
          AND r.direction = 'inbound' AND r.answered_at IS NOT NULL AND r.wrap_up_ended_at IS NOT NULL
          AND r.from_number ~ '^\\+39[0-9]{6,11}$'
          AND NOT EXISTS (SELECT 1 FROM voice_survey_optouts o WHERE o.number = r.from_number)
          AND NOT EXISTS (SELECT 1 FROM voice_surveys s WHERE s.to_number = r.from_number
                           AND s.day > $3::date - $4::int AND s.contact_call_sid <> r.call_sid)
        ORDER BY r.call_sid`,
      [startOfDayInRome(day), startOfDayInRome(nextDay(day)), day, opts.quietDays],
    );
  }

  /**
   * Draws the day's sample and records it (once: a second run of the same day draws the same
   * calls and adds nothing). One number is surveyed once however many times it called.
   */
  async plan(day: string, opts: SurveyOptions): Promise<Survey[]> {
    // One draw per day, whole or not at all: two planners of the same day wait for each other.
    await this.db.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`voice-survey-plan:${day}`]);
      const existing: { n: string }[] = await m.query(`SELECT count(*) AS n FROM voice_surveys WHERE day = $1`, [day]);
      if (Number(existing[0]?.n ?? 0) > 0) return;
      const seen = new Set<string>();
      const unique = (await this.candidates(day, opts)).filter((c) => !seen.has(c.from) && seen.add(c.from));
      for (const c of sampleOf(unique, opts.samplePercent, `survey:${day}`)) {
        await m.query(
          `INSERT INTO voice_surveys (id, contact_call_sid, day, line, operator, to_number, from_number)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
          [`SURVEY-${c.callSid}`, c.callSid, day, c.line, c.operator, c.from, c.to],
        );
      }
    });
    return this.ofDay(day);
  }

  /** The citizen asked not to be surveyed (on the phone, to an operator): never called for it again. */
  async optOut(number: string): Promise<void> {
    await this.db.query(`INSERT INTO voice_survey_optouts (number) VALUES ($1) ON CONFLICT DO NOTHING`, [number]);
  }

  async ofDay(day: string): Promise<Survey[]> {
    const rows: Row[] = await this.db.query(
      `SELECT *, to_char(day, 'YYYY-MM-DD') AS day FROM voice_surveys WHERE day = $1 ORDER BY id`,
      [day],
    );
    return rows.map(toSurvey);
  }

  async get(id: string): Promise<Survey | undefined> {
    const rows: Row[] = await this.db.query(
      `SELECT *, to_char(day, 'YYYY-MM-DD') AS day FROM voice_surveys WHERE id = $1`,
      [id],
    );
    return rows[0] ? toSurvey(rows[0]) : undefined;
  }

  async setInstance(id: string, processInstanceId: string): Promise<void> {
    await this.db.query(`UPDATE voice_surveys SET process_instance_id = $2 WHERE id = $1`, [id, processInstanceId]);
  }

  /**
   * Claims the placing of the survey call: `claimed` (place it), `placed` (done before),
   * `busy` (another attempt is placing it now), or `in-doubt` (an attempt began longer ago
   * than `inDoubtMs` and never said: ask Twilio whether the call exists before placing another).
   */
  async claimPlacing(id: string, now: Date, inDoubtMs: number): Promise<'claimed' | 'placed' | 'busy' | 'in-doubt'> {
    const claimed = await returning(
      this.db,
      `UPDATE voice_surveys SET call_state = 'placing', placing_since = $2 WHERE id = $1 AND call_state = 'planned' RETURNING id`,
      [id, now],
    );
    if (claimed.length > 0) return 'claimed';
    const s = await this.get(id);
    if (!s || s.callState === 'placed') return 'placed';
    const age = now.getTime() - (s.placingSince?.getTime() ?? 0);
    return age < inDoubtMs ? 'busy' : 'in-doubt';
  }

  async placed(id: string, surveyCallSid: string): Promise<void> {
    await this.db.query(
      `UPDATE voice_surveys SET call_state = 'placed', survey_call_sid = $2,
              status = CASE WHEN status LIKE 'ended:%' OR status = 'end-delivered' THEN status ELSE 'calling' END
        WHERE id = $1`,
      [id, surveyCallSid],
    );
  }

  /** A fresh start of the placing after Twilio said the doubtful attempt never became a call. */
  async reclaim(id: string, now: Date): Promise<void> {
    await this.db.query(`UPDATE voice_surveys SET placing_since = $2 WHERE id = $1 AND call_state = 'placing'`, [
      id,
      now,
    ]);
  }

  async answered(id: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE voice_surveys SET answered_at = coalesce(answered_at, $2), status = 'answered' WHERE id = $1`,
      [id, at],
    );
  }

  /** The survey call is over, with Twilio's final status (until the survey's instance is told). */
  async ended(id: string, callStatus: string): Promise<void> {
    await this.db.query(
      `UPDATE voice_surveys SET status = $2 WHERE id = $1 AND completed_at IS NULL AND status <> 'end-delivered'`,
      [id, `ended:${callStatus}`],
    );
  }

  async endDelivered(id: string): Promise<void> {
    await this.db.query(`UPDATE voice_surveys SET status = 'end-delivered' WHERE id = $1 AND status LIKE 'ended:%'`, [
      id,
    ]);
  }

  /**
   * Survey calls placed a minute ago or more whose end has not come (Twilio's callback may have
   * been lost), not asked about in the last minute: claimed now, so one process asks each.
   */
  async claimUnended(now: Date, limit = 20): Promise<{ id: string; surveyCallSid: string; placedAt: Date }[]> {
    const rows = await returning<{ id: string; survey_call_sid: string; placed_at: Date }>(
      this.db,
      `UPDATE voice_surveys SET provider_checked_at = $1
        WHERE id IN (SELECT id FROM voice_surveys
                      WHERE call_state = 'placed' AND survey_call_sid IS NOT NULL AND completed_at IS NULL
                        AND status NOT LIKE 'ended:%' AND status <> 'end-delivered'
                        AND created_at > $1::timestamptz - interval '2 days'
                        AND coalesce(provider_checked_at, placing_since, created_at) < $1::timestamptz - interval '60 seconds'
                      ORDER BY coalesce(provider_checked_at, placing_since, created_at)
                      LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, survey_call_sid, coalesce(placing_since, created_at) AS placed_at`,
      [now, limit],
    );
    return rows.map((r) => ({ id: r.id, surveyCallSid: r.survey_call_sid, placedAt: r.placed_at }));
  }

  /** Survey calls over whose instance has not been told (a few seconds ago, within two days). */
  async endsToDeliver(now: Date): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM voice_surveys WHERE status LIKE 'ended:%' AND completed_at IS NULL
          AND created_at > $1::timestamptz - interval '2 days' LIMIT 50`,
      [now],
    );
    return rows.map((r) => r.id);
  }

  /**
   * The next moment an outbound call may start on the account: calls are spaced
   * `1 / callsPerSecond` apart across every worker process.
   */
  async pace(callsPerSecond: number, now: Date): Promise<Date> {
    const gapMs = Math.ceil(1000 / callsPerSecond);
    const rows: { slot: Date }[] = await this.db.query(
      `INSERT INTO voice_call_pacing (account, next_at) VALUES ('outbound', $1::timestamptz + $2 * interval '1 millisecond')
       ON CONFLICT (account) DO UPDATE
         SET next_at = greatest(voice_call_pacing.next_at, $1::timestamptz) + $2 * interval '1 millisecond'
       RETURNING next_at - $2 * interval '1 millisecond' AS slot`,
      [now, gapMs],
    );
    return rows[0]?.slot ?? now;
  }
}
