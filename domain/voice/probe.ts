import twilio from 'twilio';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../platform/logger.js';
import { returning } from '../../platform/database/query.js';
import { VOICE_WEBHOOKS } from './ivr.js';
import { repeating } from './occupancy.js';

/**
 * The IVR continuity probe (§6.3 of the specification, «continuità di funzionamento»: minutes
 * of the period in which the IVR did not work or worked badly, 24/7, threshold 95 %). Every
 * minute the platform calls its own voice endpoint as Twilio would, through the public URL
 * Twilio uses, with a signed request; the endpoint answers only when the database answers and
 * the `inbound-call` process is deployed. Each answer (or its absence) is a row of
 * `voice_probes`; the availability of a period is its minutes that answered well over all its
 * minutes (one nobody probed was down).
 */

/** The endpoint the probe calls (mounted beside the voice webhooks, signature-checked). */
export const PROBE_PATH = `${VOICE_WEBHOOKS}/probe`;

/** What the probe sends as `CallSid`: no call has it (Twilio's sids are random hex). */
export const PROBE_CALL_SID = `CA${'0'.repeat(32)}`;

/** The §6.3 threshold for the IVR's continuity. */
export const IVR_CONTINUITY_SLA_PERCENT = 95;

export interface ProbeResult {
  id: number;
  at: string;
  ok: boolean;
  latencyMs: number;
  /** Why it failed (HTTP status and problem, timeout, connection error); null when ok. */
  detail: string | null;
}

export interface ProbeReport {
  from: string;
  to: string;
  /** The period's minutes. */
  minutesInPeriod: number;
  /** Minutes with at least one probe; a minute with none (the platform down) is not probed. */
  minutesProbed: number;
  /** Minutes whose every probe was ok (several API processes each probe). */
  minutesOk: number;
  /** `minutesOk / minutesInPeriod`, in %, two decimals (an unprobed minute counts as down); null for an empty period. */
  availabilityPercent: number | null;
  slaPercent: number;
  /** The probes of the period, newest first, at most `limit`. */
  probes: ProbeResult[];
  truncated: boolean;
}

interface ProbeRow {
  id: string;
  at: Date;
  ok: boolean;
  latency_ms: number;
  detail: string | null;
}

const toResult = (r: ProbeRow): ProbeResult => ({
  id: Number(r.id),
  at: r.at.toISOString(),
  ok: r.ok,
  latencyMs: r.latency_ms,
  detail: r.detail,
});

export class VoiceProbes {
  /**
   * `target` is read at each run: the public URL of the local simulator's setup is only known
   * once the server listens, and the probe is skipped while it is empty.
   */
  constructor(
    private readonly db: DataSource,
    private readonly target: { readonly authToken: string; readonly publicBaseUrl: string },
    private readonly opts: { timeoutMs?: number } = {},
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Probes once and records it; undefined when there is no URL yet, or when `signal` aborted it (a stop). */
  async run(signal?: AbortSignal): Promise<ProbeResult | undefined> {
    const base = this.target.publicBaseUrl.replace(/\/$/, '');
    if (!base) return undefined;
    const url = `${base}${PROBE_PATH}`;
    const params = { CallSid: PROBE_CALL_SID, Direction: 'inbound', CallStatus: 'ringing' };
    const at = this.now();
    const started = performance.now();
    const timeoutMs = this.opts.timeoutMs ?? 10_000;
    let ok = false;
    let detail: string | null;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(this.target.authToken, url, params),
        },
        body: new URLSearchParams(params).toString(),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      ok = res.status === 200 && text.includes('<Response');
      detail = ok ? null : `HTTP ${res.status}: ${problemDetail(text)}`.slice(0, 300);
    } catch (err) {
      if (signal?.aborted) return undefined;
      const e = err as Error;
      detail = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `${e.name}: ${e.message}`.slice(0, 300);
    }
    const latencyMs = Math.round(performance.now() - started);
    const rows = await returning<ProbeRow>(
      this.db,
      `INSERT INTO voice_probes (at, ok, latency_ms, detail) VALUES ($1, $2, $3, $4) RETURNING *`,
      [at, ok, latencyMs, detail],
    );
    return rows[0] && toResult(rows[0]);
  }

  /** The probes of `[from, to)` and the period's availability. */
  async report(from: Date, to: Date, limit = 1440): Promise<ProbeReport> {
    const minutes: { probed: string; ok: string }[] = await this.db.query(
      `WITH m AS (
         SELECT date_trunc('minute', at) AS minute, bool_and(ok) AS ok
           FROM voice_probes WHERE at >= $1 AND at < $2 GROUP BY 1)
       SELECT count(*) AS probed, count(*) FILTER (WHERE ok) AS ok FROM m`,
      [from, to],
    );
    const probed = Number(minutes[0]?.probed ?? 0);
    const period = Math.max(0, Math.ceil((to.getTime() - from.getTime()) / 60_000));
    const okMinutes = Number(minutes[0]?.ok ?? 0);
    const rows: ProbeRow[] = await this.db.query(
      `SELECT * FROM voice_probes WHERE at >= $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3`,
      [from, to, limit + 1],
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      minutesInPeriod: period,
      minutesProbed: probed,
      minutesOk: okMinutes,
      // A minute nobody probed (the whole platform down) is not a minute of service.
      availabilityPercent: period === 0 ? null : Math.round((okMinutes / period) * 10_000) / 100,
      slaPercent: IVR_CONTINUITY_SLA_PERCENT,
      probes: rows.slice(0, limit).map(toResult),
      truncated: rows.length > limit,
    };
  }
}

/** The problem's `detail` of an error answer, or the start of the body. */
function problemDetail(text: string): string {
  try {
    const p = JSON.parse(text) as { detail?: unknown };
    if (typeof p.detail === 'string') return p.detail;
  } catch {
    // not JSON: the body as it came
  }
  return text.slice(0, 200);
}

/** Probes every minute; the returned stop drops a probe in flight instead of recording it as a failure. */
export function startVoiceProbe(probes: VoiceProbes, log: Logger): () => Promise<void> {
  const stopping = new AbortController();
  const stop = repeating(() => probes.run(stopping.signal), 60_000, log, 'the IVR continuity probe');
  return async () => {
    stopping.abort();
    await stop();
  };
}
