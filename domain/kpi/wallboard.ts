import type { DataSource } from 'typeorm';
import { isHoliday } from '../business-calendar.js';
import { isServiceHour } from '../campaigns/service-hours.js';
import { dayInRome, nextDay } from '../time.js';
import type { Kpis } from './kpis.js';
import { periodBounds } from './kpis.js';
import { seedArrivalsPerHour } from './seed-traffic.js';
import { classify, countCall, emptyTallies, tally } from './sla.js';
import type {
  Distribution,
  DistributionBucket,
  DistributionRow,
  KpiLine,
  Wallboard,
  WallboardWindow,
} from './types.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The voice lines of each KPI line (`call_records.line`, `voice_queue_entries.line`). */
const VOICE_LINES: Record<KpiLine, string[]> = { cup: ['cup', 'cup-second-level'], csb: ['csb', 'tributi'] };

/** Whether a Rome calendar day is a service day (Monday to Saturday, not a holiday). */
function isServiceDay(day: string): boolean {
  const d = new Date(`${day}T12:00:00Z`);
  return d.getUTCDay() !== 0 && !isHoliday(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

/**
 * §5.1 "nell'ultima ora di servizio": the last 60 minutes while the line is open; when it is
 * closed, the last hour it was open.
 */
export function lastServiceHour(now: Date): { from: Date; to: Date } {
  const hourStart = Math.floor(now.getTime() / HOUR) * HOUR;
  if (isServiceHour(new Date(hourStart))) return { from: new Date(now.getTime() - HOUR), to: now };
  for (let t = hourStart - HOUR; t > hourStart - 14 * DAY; t -= HOUR) {
    if (isServiceHour(new Date(t))) return { from: new Date(t), to: new Date(t + HOUR) };
  }
  return { from: new Date(now.getTime() - HOUR), to: now };
}

/** The SQL of a distribution's bucket (hour of the day, ISO weekday, day, month in Rome) of a time column. */
function bucketKey(by: DistributionBucket, column: string): string {
  return {
    hour: `to_char(${column} AT TIME ZONE 'Europe/Rome', 'HH24')`,
    weekday: `EXTRACT(ISODOW FROM ${column} AT TIME ZONE 'Europe/Rome')::int::text`,
    day: `to_char(${column} AT TIME ZONE 'Europe/Rome', 'YYYY-MM-DD')`,
    month: `to_char(${column} AT TIME ZONE 'Europe/Rome', 'YYYY-MM')`,
  }[by];
}

/**
 * Every operator's presence segments within [$1, $2): the changes in the window, and each
 * operator's last presence before it, found by one descent of `voice_presence_events_user_at_idx`
 * per operator (a loose index scan: the log before the window is never read whole; measured
 * in docs/benchmarks.md, "KPIs"). `seg` has presence, at and until.
 */
const PRESENCE_SEGMENTS = `WITH RECURSIVE users AS (
    (SELECT username FROM voice_presence_events ORDER BY username LIMIT 1)
    UNION ALL
    SELECT (SELECT e.username FROM voice_presence_events e WHERE e.username > u.username
             ORDER BY e.username LIMIT 1)
      FROM users u WHERE u.username IS NOT NULL),
  ev AS (
    SELECT username, presence, at, 1 AS ord FROM voice_presence_events WHERE at >= $1 AND at < $2
    UNION ALL
    SELECT u.username, l.presence, $1::timestamptz, 0 FROM users u
      CROSS JOIN LATERAL (SELECT e.presence FROM voice_presence_events e WHERE e.username = u.username AND e.at < $1
                           ORDER BY e.at DESC, e.id DESC LIMIT 1) l
     WHERE u.username IS NOT NULL),
  seg AS (SELECT presence, at,
                 lead(at, 1, $2::timestamptz) OVER (PARTITION BY username ORDER BY at, ord) AS until FROM ev)`;

/**
 * The live wallboard (K2, §5.1) and the K1 distributions, from the same `kpi_contacts` view
 * and the same per-contact classification as the SLA report, plus the queues and presences
 * of now and the presence log.
 */
export class KpiBoards {
  constructor(
    private readonly db: DataSource,
    private readonly kpis: Kpis,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Average operators signed in (presence other than `assente`) over [from, to). */
  async averageOperatorsActive(from: Date, to: Date): Promise<number> {
    const [row] = await this.db.query<{ s: number }[]>(
      `${PRESENCE_SEGMENTS}
       SELECT COALESCE(sum(EXTRACT(EPOCH FROM (until - at))) FILTER (WHERE presence <> 'assente'), 0)::float8 AS s FROM seg`,
      [from, to],
    );
    const span = (to.getTime() - from.getTime()) / 1000;
    return span <= 0 ? 0 : Math.round(((row?.s ?? 0) / span) * 100) / 100;
  }

  private async window(line: KpiLine, from: Date, to: Date): Promise<WallboardWindow> {
    const [row] = await this.db.query<{ refused: number; accepted: number; lost: number; wait: number | null }[]>(
      `SELECT count(*) FILTER (WHERE outcome = 'busy')::int AS refused,
              count(*) FILTER (WHERE answered_at IS NOT NULL)::int AS accepted,
              count(*) FILTER (WHERE answered_at IS NULL AND (abandoned_at IS NOT NULL OR ended_at IS NOT NULL OR outcome IN ('busy', 'abandoned'))
                                 AND COALESCE(outcome, '') NOT IN ('out-of-hours', 'retired-number', 'not-allowed', 'callback-requested'))::int AS lost,
              avg(EXTRACT(EPOCH FROM (answered_at - started_at))) FILTER (WHERE answered_at IS NOT NULL)::float8 AS wait
         FROM kpi_contacts
        WHERE line = $1 AND channel = 'voice' AND direction = 'inbound' AND started_at >= $2 AND started_at < $3`,
      [line, from, to],
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      refused: row?.refused ?? 0,
      accepted: row?.accepted ?? 0,
      lost: row?.lost ?? 0,
      averageWaitS: row?.wait == null ? null : Math.round(row.wait * 10) / 10,
      averageOperatorsActive: await this.averageOperatorsActive(from, to),
    };
  }

  async wallboard(line: KpiLine): Promise<Wallboard> {
    const now = this.now();
    const defs = await this.kpis.currentDefinitions();
    const hour = lastServiceHour(now);
    const [lastServiceHourWindow, week, month] = await Promise.all([
      this.window(line, hour.from, hour.to),
      this.window(line, new Date(now.getTime() - 7 * DAY), now),
      this.window(line, new Date(now.getTime() - 30 * DAY), now),
    ]);
    const queues = await this.db.query<{ queue: string; waiting: number; longest: number | null }[]>(
      `SELECT queue, count(*)::int AS waiting, EXTRACT(EPOCH FROM ($2::timestamptz - min(queued_at)))::float8 AS longest
         FROM voice_queue_entries WHERE line = ANY($1) AND state IN ('waiting', 'offered') AND NOT callback
        GROUP BY queue ORDER BY queue`,
      [VOICE_LINES[line], now],
    );
    const [ivr] = await this.db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM call_records
        WHERE line = ANY($1) AND ivr_entered_at IS NOT NULL AND offered_at IS NULL AND ended_at IS NULL
          AND arrived_at > $2::timestamptz - interval '1 hour'`,
      [VOICE_LINES[line], now],
    );
    const [ops] = await this.db.query<{ active: number; available: number }[]>(
      `SELECT count(*) FILTER (WHERE presence <> 'assente')::int AS active,
              count(*) FILTER (WHERE presence = 'disponibile')::int AS available FROM voice_operators`,
    );
    // Today's figures as the report computes them.
    const today = dayInRome(now);
    const { start, end } = periodBounds({ from: today, to: today });
    const contacts = await this.kpis.contacts(line, start, end);
    const tallies = emptyTallies();
    const calls = { offered: 0, answered: 0, lost: 0 };
    for (const c of contacts) {
      tally(tallies, classify(c, defs, now));
      countCall(calls, c);
    }
    const pct = (met: number, base: number) => (base === 0 ? null : Math.round((met / base) * 10000) / 100);
    const w = tallies['answered-within-20s'];
    const l = tallies['lost-calls'];
    const longest = queues.reduce<number | null>(
      (m, q) => (q.longest === null ? m : Math.max(m ?? 0, q.longest)),
      null,
    );
    return {
      line,
      at: now.toISOString(),
      definitionsVersion: defs.version,
      windows: { lastServiceHour: lastServiceHourWindow, week, month },
      now: {
        waiting: queues.reduce((s, q) => s + q.waiting, 0),
        longestWaitS: longest === null ? null : Math.round(longest),
        inIvr: ivr?.n ?? 0,
        operatorsActive: ops?.active ?? 0,
        operatorsAvailable: ops?.available ?? 0,
        queues: queues.map((q) => ({
          queue: q.queue,
          waiting: q.waiting,
          longestWaitS: q.longest === null ? null : Math.round(q.longest),
        })),
      },
      today: {
        from: start.toISOString(),
        offered: calls.offered,
        answered: calls.answered,
        lost: calls.lost,
        answeredWithinPct: pct(w.met, w.base),
        lostPct: pct(l.met, l.base),
      },
      arrivalRate: await this.arrivalRate(line, now),
    };
  }

  /** Inbound calls per hour of the day over the service days of the last 30 days, against the seed's curve. */
  private async arrivalRate(line: KpiLine, now: Date): Promise<Wallboard['arrivalRate']> {
    const from = new Date(now.getTime() - 30 * DAY);
    const rows = await this.db.query<{ h: number; n: number }[]>(
      `SELECT EXTRACT(HOUR FROM started_at AT TIME ZONE 'Europe/Rome')::int AS h, count(*)::int AS n
         FROM kpi_contacts WHERE line = $1 AND channel = 'voice' AND direction = 'inbound'
          AND started_at >= $2 AND started_at < $3 GROUP BY 1`,
      [line, from, now],
    );
    let days = 0;
    for (let d = dayInRome(from); d <= dayInRome(now); d = nextDay(d)) if (isServiceDay(d)) days++;
    const month = Number(dayInRome(now).slice(5, 7));
    const year = Number(dayInRome(now).slice(0, 4));
    let monthDays = 0;
    const first = `${dayInRome(now).slice(0, 7)}-01`;
    for (let d = first; d.slice(0, 7) === first.slice(0, 7); d = nextDay(d)) if (isServiceDay(d)) monthDays++;
    void year;
    const seed = seedArrivalsPerHour(line, month, monthDays);
    const by = new Map(rows.map((r) => [r.h, r.n]));
    return Array.from({ length: 24 }, (_, h) => ({
      hour: h,
      average: days === 0 ? 0 : Math.round(((by.get(h) ?? 0) / days) * 100) / 100,
      seed: seed[h] === null || seed[h] === undefined ? null : Math.round((seed[h] ?? 0) * 100) / 100,
    }));
  }

  /** K1: the §5 parameters per hour of the day, weekday, day or month of a period. */
  async distribution(line: KpiLine, from: string, to: string, by: DistributionBucket): Promise<Distribution> {
    const { start, end } = periodBounds({ from, to });
    const key = bucketKey(by, 'started_at');
    const lost = `answered_at IS NULL AND (abandoned_at IS NOT NULL OR ended_at IS NOT NULL)
                  AND COALESCE(outcome, '') NOT IN ('busy', 'out-of-hours', 'retired-number', 'not-allowed', 'callback-requested')`;
    const rows = await this.db.query<
      {
        key: string;
        inbound: number;
        outbound: number;
        answered: number;
        outbound_answered: number;
        talk: number | null;
        fcr_met: number;
        fcr_base: number;
        ab_within: number;
        ab_after: number;
        busy: number;
        queue_s: number;
        ivr_s: number;
        busy_s: number;
      }[]
    >(
      `SELECT ${key} AS key,
              count(*) FILTER (WHERE channel = 'voice' AND direction = 'inbound')::int AS inbound,
              count(*) FILTER (WHERE channel = 'voice' AND direction = 'outbound')::int AS outbound,
              count(*) FILTER (WHERE direction = 'inbound' AND answered_at IS NOT NULL)::int AS answered,
              count(*) FILTER (WHERE direction = 'outbound' AND outcome IS NOT NULL)::int AS outbound_answered,
              avg(EXTRACT(EPOCH FROM (ended_at - answered_at))) FILTER (WHERE answered_at IS NOT NULL AND ended_at IS NOT NULL)::float8 AS talk,
              count(*) FILTER (WHERE direction = 'inbound' AND answered_at IS NOT NULL AND outcome = 'resolved')::int AS fcr_met,
              count(*) FILTER (WHERE direction = 'inbound' AND answered_at IS NOT NULL
                                 AND outcome IN ('resolved', 'escalated-level-2', 'escalated-level-3'))::int AS fcr_base,
              count(*) FILTER (WHERE direction = 'inbound' AND ${lost}
                                 AND COALESCE(abandoned_at, ended_at) - started_at <= interval '20 seconds')::int AS ab_within,
              count(*) FILTER (WHERE direction = 'inbound' AND ${lost}
                                 AND COALESCE(abandoned_at, ended_at) - started_at > interval '20 seconds')::int AS ab_after,
              count(*) FILTER (WHERE outcome = 'busy')::int AS busy,
              COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(answered_at, abandoned_at, ended_at) - offered_at)))
                       FILTER (WHERE offered_at IS NOT NULL AND direction = 'inbound'), 0)::float8 AS queue_s,
              COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(offered_at, ended_at) - started_at)))
                       FILTER (WHERE arrival_known AND channel = 'voice' AND direction = 'inbound'), 0)::float8 AS ivr_s,
              COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(wrap_up_ended_at, ended_at) - answered_at)))
                       FILTER (WHERE answered_at IS NOT NULL AND channel = 'voice'), 0)::float8 AS busy_s
         FROM kpi_contacts WHERE line = $1 AND started_at >= $2 AND started_at < $3
        GROUP BY 1 ORDER BY 1`,
      [line, start, end],
    );
    // Seconds each bucket spans in the period (the same SQL keys as the rows: a day of 23 or 25
    // hours has them right), and the operators' signed-in seconds per bucket.
    const spanRows = await this.db.query<{ key: string; s: number }[]>(
      `SELECT ${bucketKey(by, 'h')} AS key, count(*)::int * 3600 AS s
         FROM generate_series($1::timestamptz, $2::timestamptz - interval '1 hour', interval '1 hour') AS h GROUP BY 1`,
      [start, end],
    );
    const spans = new Map(spanRows.map((r) => [r.key, r.s]));
    const active = await this.activeSecondsBy(start, end, bucketKey(by, 'h'));
    const r1 = (x: number) => Math.round(x * 100) / 100;
    const out: DistributionRow[] = rows.map((r) => {
      const span = spans.get(r.key) ?? 0;
      const act = active.get(r.key) ?? 0;
      return {
        key: r.key,
        inbound: r.inbound,
        outbound: r.outbound,
        answered: r.answered,
        outboundAnswered: r.outbound_answered,
        averageTalkS: r.talk === null ? null : Math.round(r.talk),
        firstContactResolutionPct: r.fcr_base === 0 ? null : r1((r.fcr_met / r.fcr_base) * 100),
        abandonedWithin20s: r.ab_within,
        abandonedAfter20s: r.ab_after,
        busy: r.busy,
        averageWaitingInQueue: span === 0 ? 0 : r1(r.queue_s / span),
        averageInIvr: span === 0 ? 0 : r1(r.ivr_s / span),
        averageOperatorsActive: span === 0 ? 0 : r1(act / span),
        operatorLoadPct: act === 0 ? null : r1(Math.min(100, (r.busy_s / act) * 100)),
      };
    });
    const responseTimes = await this.db.query<
      { channel: string; request_type: string | null; n: number; s: number | null }[]
    >(
      `SELECT channel, request_type, count(*)::int AS n,
              avg(EXTRACT(EPOCH FROM (CASE WHEN channel = 'voice' THEN answered_at ELSE COALESCE(resolved_at, ended_at) END - started_at)))::float8 AS s
         FROM kpi_contacts WHERE line = $1 AND direction = 'inbound' AND started_at >= $2 AND started_at < $3
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [line, start, end],
    );
    const span = (end.getTime() - start.getTime()) / 1000;
    const queues = await this.db.query<{ queue: string; s: number }[]>(
      `SELECT queue, COALESCE(sum(EXTRACT(EPOCH FROM (COALESCE(answered_at, abandoned_at, ended_at) - offered_at))), 0)::float8 AS s
         FROM kpi_contacts WHERE line = $1 AND offered_at IS NOT NULL AND queue IS NOT NULL AND direction = 'inbound'
          AND started_at >= $2 AND started_at < $3 GROUP BY 1 ORDER BY 1`,
      [line, start, end],
    );
    return {
      line,
      from,
      to,
      by,
      rows: out,
      responseTimes: responseTimes.map((r) => ({
        channel: r.channel,
        requestType: r.request_type,
        contacts: r.n,
        averageResponseS: r.s === null ? null : Math.round(r.s),
      })),
      queues: queues.map((q) => ({ queue: q.queue, averageWaiting: Math.round((q.s / span) * 1000) / 1000 })),
    };
  }

  /** Signed-in seconds of all operators per bucket (`key`: the bucket of an hour `h`), summed in the database. */
  private async activeSecondsBy(start: Date, end: Date, key: string): Promise<Map<string, number>> {
    const rows = await this.db.query<{ key: string; s: number }[]>(
      `${PRESENCE_SEGMENTS},
       pieces AS (
         SELECT h, GREATEST(seg.at, h) AS a, LEAST(seg.until, h + interval '1 hour') AS b
           FROM seg
          CROSS JOIN LATERAL generate_series(
            date_trunc('hour', seg.at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', seg.until - interval '1 microsecond',
            interval '1 hour') AS h
          WHERE seg.presence <> 'assente' AND seg.until > seg.at)
       SELECT ${key} AS key, sum(EXTRACT(EPOCH FROM (b - a)))::float8 AS s FROM pieces GROUP BY 1`,
      [start, end],
    );
    return new Map(rows.map((r) => [r.key, r.s]));
  }
}
