import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from '../../platform/logger.js';
import { returning } from '../../platform/database/query.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { dayInRome, romeOffsetMinutes, startOfDayInRome, TIME_ZONE } from '../time.js';
import { DEFAULT_LINES, type Line, type LineId } from './lines.js';

/**
 * Channel occupancy (V7, §2.1.3 and §2.2.3 of the specification): for each line and each
 * 30-minute band of the Rome clock, the peak of simultaneous calls, the calls refused busy
 * beyond the channels, and the channels the line had. Bands are closed once they are over
 * (`closeBands`, every minute) into `voice_occupancy_bands`; the monthly report reads them.
 * Two consecutive saturated bands raise one alert for the supervisors (`voice_alerts`),
 * recommending 20 % more channels, as the contract asks.
 */

export const BAND_MINUTES = 30;
export const BAND_MS = BAND_MINUTES * 60_000;

/**
 * A call whose end Twilio never reported stops holding a channel this long after it arrived,
 * as the IVR's own count of calls in progress does (`CallRecords.inProgress`): one lost status
 * callback must not saturate every band after it.
 */
export const OPEN_CALL_LIMIT_MS = 6 * 3_600_000;

/** No call lasts longer (Twilio's `timeLimit` is at most 24 h): how far back a band looks for calls. */
const LONGEST_CALL_MS = 24 * 3_600_000;

/** Bands already closed that each run computes again, for status callbacks that arrive late. */
const RECHECK_BANDS = 2;

/** How far back a run of saturated bands is looked for (older runs have had their alert). */
const RUN_LOOKBACK_MS = 24 * 3_600_000;

/** Bands closed per transaction when catching up. */
const CHUNK_BANDS = 48;

/** Contract's minimum, or more when the carrier gives more (V7). */
export function channelsOf(line: Line, configured?: number): number {
  return Math.max(line.minChannels, configured ?? 0);
}

/** What the contract asks on saturation: 20 % more channels, rounded up. */
export function scaledChannels(channels: number): number {
  return Math.ceil((channels * 120) / 100);
}

// ----- the sweep (pure) ---------------------------------------------------------------------

/** A call holding a channel on `[startMs, endMs)`. */
export interface CallInterval {
  startMs: number;
  endMs: number;
}

/**
 * The 30-minute band of the Rome clock an instant falls in, as the instant it starts. On the
 * day summer time ends the clock reads 02:00–02:30 twice: two bands, each 30 real minutes.
 */
export function bandStartOf(at: Date): Date {
  const offsetMs = romeOffsetMinutes(at) * 60_000;
  const local = at.getTime() + offsetMs;
  return new Date(local - (((local % BAND_MS) + BAND_MS) % BAND_MS) - offsetMs);
}

/** The starts of the bands from the one `from` is in up to (excluding) the one `to` is in. */
export function bandStarts(from: Date, to: Date): number[] {
  const out: number[] = [];
  const end = bandStartOf(to).getTime();
  for (let t = bandStartOf(from).getTime(); t < end; t += BAND_MS) out.push(t);
  return out;
}

/**
 * The peak of simultaneous calls in each band: an exact sweep over the calls' intervals.
 * A call holds its channel from its arrival up to, not including, its end, so a call ending
 * the instant another arrives frees the channel the other takes; a call ending the instant it
 * arrived holds its channel for that instant. `bands` are ascending band starts.
 */
export function peakPerBand(calls: readonly CallInterval[], bands: readonly number[], bandMs = BAND_MS): number[] {
  const delta = new Map<number, number>();
  for (const c of calls) {
    const end = Math.max(c.endMs, c.startMs + 1);
    delta.set(c.startMs, (delta.get(c.startMs) ?? 0) + 1);
    delta.set(end, (delta.get(end) ?? 0) - 1);
  }
  const times = [...delta.keys()].sort((a, b) => a - b);
  let i = 0;
  let count = 0;
  return bands.map((start) => {
    // Every change up to the band's first instant: the calls in progress when it starts.
    while (i < times.length && (times[i] ?? 0) <= start) count += delta.get(times[i++] ?? 0) ?? 0;
    let peak = count;
    const end = start + bandMs;
    // Each later instant where calls start or end: the count holds until the next one.
    while (i < times.length && (times[i] ?? 0) < end) {
      count += delta.get(times[i++] ?? 0) ?? 0;
      peak = Math.max(peak, count);
    }
    return peak;
  });
}

/** How many of the instants fall in each band (`bands` ascending). */
export function countPerBand(instants: readonly number[], bands: readonly number[], bandMs = BAND_MS): number[] {
  const counts = bands.map(() => 0);
  const first = bands[0];
  if (first === undefined) return counts;
  for (const t of instants) {
    const i = Math.floor((t - first) / bandMs);
    if (i >= 0 && i < counts.length && (bands[i] ?? NaN) <= t) counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/** A band as closed: its start, peak, refused calls and the channels the line had. */
export interface BandRow {
  bandStartMs: number;
  peak: number;
  refused: number;
  channels: number;
}

/** A band is saturated when its peak reached the line's channels. */
export const isSaturated = (b: { peak: number; channels: number }) => b.peak >= b.channels;

/** The runs of at least two consecutive saturated bands, as their first and last band starts. */
export function saturatedRuns(bands: readonly BandRow[], bandMs = BAND_MS): { startMs: number; endMs: number }[] {
  const runs: { startMs: number; endMs: number; length: number }[] = [];
  let run: { startMs: number; endMs: number; length: number } | undefined;
  for (const b of bands) {
    if (!isSaturated(b)) {
      run = undefined;
      continue;
    }
    if (run && b.bandStartMs === run.endMs + bandMs) {
      run.endMs = b.bandStartMs;
      run.length++;
    } else {
      run = { startMs: b.bandStartMs, endMs: b.bandStartMs, length: 1 };
      runs.push(run);
    }
  }
  return runs.filter((r) => r.length >= 2).map(({ startMs, endMs }) => ({ startMs, endMs }));
}

// ----- labels ------------------------------------------------------------------------------

const clock = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** `HH:MM` on the Rome clock. */
export const romeTime = (at: Date | number) => clock.format(at);

/** How the alerts name the lines. */
const LINE_LABELS: Record<LineId, string> = {
  cup: 'CUP',
  csb: 'CSB (Contact Center Regionale)',
  tributi: 'Tributi regionali',
  'cup-second-level': 'CUP secondo livello',
};

/** The alert's text: the two bands that saturated and the channels the contract asks for. */
export function saturationMessage(line: LineId, runStart: Date, channels: number): string {
  const [y, m, d] = dayInRome(runStart).split('-');
  const span = `${romeTime(runStart)}–${romeTime(runStart.getTime() + 2 * BAND_MS)}`;
  return (
    `Linea ${LINE_LABELS[line]} satura per due fasce consecutive (${d}/${m}/${y} ${span}): ` +
    `si raccomanda di aumentare i canali del 20 % (da ${channels} a ${scaledChannels(channels)})`
  );
}

// ----- the service -------------------------------------------------------------------------

export interface VoiceAlert {
  id: number;
  kind: 'channels-saturated';
  line: LineId;
  raisedAt: string;
  /** The first band of the run of saturated bands that raised it. */
  bandStart: string;
  message: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface OccupancyBand {
  bandStart: string;
  bandEnd: string;
  /** The band's day and start on the Rome clock. */
  day: string;
  time: string;
  peak: number;
  refused: number;
  channels: number;
  saturated: boolean;
}

export interface MonthReport {
  line: LineId;
  month: string;
  /** The line's channels as configured now (each band keeps the channels it had). */
  channels: number;
  summary: {
    maxPeak: number;
    saturatedBands: number;
    refused: number;
    /** Bands of the month already closed, of all the month's bands (1 488 in a 31-day month). */
    bandsClosed: number;
    bandsInMonth: number;
  };
  /** The month's bands, closed ones only, in time order. */
  bands: OccupancyBand[];
  /** The same bands by time of day (`HH:MM`): the monthly occupancy per time band. */
  byTimeOfDay: { time: string; maxPeak: number; averagePeak: number; saturatedBands: number; refused: number }[];
  /** Saturation alerts raised for the month's bands. */
  alerts: VoiceAlert[];
}

export interface OccupancyOptions {
  lines?: readonly Line[];
  /** Channels per line beyond the contract's minimum, when the carrier gives more. */
  channels?: Partial<Record<LineId, number>>;
  /** How far back a run catches up when it finds no band closed recently (default 35 days). */
  catchUpDays?: number;
}

interface BandDbRow {
  band_start: Date;
  peak: number;
  refused: number;
  channels: number;
}

interface AlertDbRow {
  id: string;
  kind: 'channels-saturated';
  line: LineId;
  raised_at: Date;
  band_start: Date;
  message: string;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
}

const toAlert = (r: AlertDbRow): VoiceAlert => ({
  id: Number(r.id),
  kind: r.kind,
  line: r.line,
  raisedAt: r.raised_at.toISOString(),
  bandStart: r.band_start.toISOString(),
  message: r.message,
  acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
  acknowledgedBy: r.acknowledged_by,
});

/**
 * Closes the occupancy bands and reads them back. Several API processes may close at once:
 * each line is closed under an advisory lock, and closing a band again writes the same row.
 */
export class Occupancy {
  private readonly lines: readonly Line[];
  private readonly catchUpMs: number;

  constructor(
    private readonly db: DataSource,
    private readonly opts: OccupancyOptions = {},
    private readonly now: () => Date = () => new Date(),
    private readonly log?: Logger,
  ) {
    this.lines = opts.lines ?? DEFAULT_LINES;
    this.catchUpMs = (opts.catchUpDays ?? 35) * 86_400_000;
  }

  /** The line's channels as configured now. */
  channels(line: LineId): number {
    const l = this.line(line);
    return channelsOf(l, this.opts.channels?.[line]);
  }

  /**
   * Closes every band that ended by `until`: from the last band closed (the last
   * {@link RECHECK_BANDS} computed again), or from `from` when given (those bands are computed
   * again), catching up at most `catchUpDays` after a downtime. Raises the saturation alerts.
   */
  async closeBands(
    until: Date,
    opts: { from?: Date; lines?: readonly LineId[] } = {},
  ): Promise<{ line: LineId; bandsClosed: number; alerts: VoiceAlert[] }[]> {
    const out: { line: LineId; bandsClosed: number; alerts: VoiceAlert[] }[] = [];
    const endMs = bandStartOf(until).getTime();
    for (const line of opts.lines ?? this.lines.map((l) => l.id)) {
      const channels = this.channels(line);
      let startMs: number;
      if (opts.from) startMs = bandStartOf(opts.from).getTime();
      else {
        const rows: { last: Date | null }[] = await this.db.query(
          `SELECT max(band_start) AS last FROM voice_occupancy_bands WHERE line = $1`,
          [line],
        );
        const last = rows[0]?.last?.getTime();
        const earliest = endMs - this.catchUpMs;
        startMs = last === undefined ? earliest : last - (RECHECK_BANDS - 1) * BAND_MS;
        if (startMs < earliest) {
          if (last !== undefined) {
            this.log?.warn(
              { line, from: new Date(startMs).toISOString() },
              'occupancy bands older than the catch-up left open',
            );
          }
          startMs = earliest;
        }
      }
      const result = { line, bandsClosed: 0, alerts: [] as VoiceAlert[] };
      for (let chunk = startMs; chunk < endMs; chunk += CHUNK_BANDS * BAND_MS) {
        const chunkEnd = Math.min(chunk + CHUNK_BANDS * BAND_MS, endMs);
        const done = await this.db.transaction((m) => this.closeChunk(m, line, channels, chunk, chunkEnd));
        result.bandsClosed += done.bands;
        result.alerts.push(...done.alerts);
      }
      out.push(result);
    }
    return out;
  }

  private async closeChunk(
    m: EntityManager,
    line: LineId,
    channels: number,
    startMs: number,
    endMs: number,
  ): Promise<{ bands: number; alerts: VoiceAlert[] }> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`voice-occupancy:${line}`]);
    const bands: number[] = [];
    for (let t = startMs; t < endMs; t += BAND_MS) bands.push(t);
    const calls: { arrived_at: Date; ended_at: Date | null; busy: boolean }[] = await m.query(
      `SELECT arrived_at, ended_at, outcome IS NOT DISTINCT FROM 'busy' AS busy
         FROM call_records
        WHERE line = $1 AND arrived_at < $3 AND arrived_at > $2::timestamptz - $4::interval
          AND (ended_at IS NULL OR ended_at > $2 OR arrived_at >= $2)`,
      [line, new Date(startMs), new Date(endMs), `${LONGEST_CALL_MS} milliseconds`],
    );
    const nowMs = this.now().getTime();
    const held: CallInterval[] = [];
    const refusedAt: number[] = [];
    for (const c of calls) {
      const start = c.arrived_at.getTime();
      if (c.busy) refusedAt.push(start);
      else held.push({ startMs: start, endMs: c.ended_at?.getTime() ?? Math.min(nowMs, start + OPEN_CALL_LIMIT_MS) });
    }
    const peaks = peakPerBand(held, bands);
    const refused = countPerBand(refusedAt, bands);
    // A band computed again keeps the channels it was closed with: they were the line's then.
    await m.query(
      `INSERT INTO voice_occupancy_bands (line, band_start, peak, refused, channels)
       SELECT $1, b, p, r, $5 FROM unnest($2::timestamptz[], $3::int[], $4::int[]) AS t(b, p, r)
       ON CONFLICT (line, band_start) DO UPDATE SET peak = EXCLUDED.peak, refused = EXCLUDED.refused`,
      [line, bands.map((b) => new Date(b)), peaks, refused, channels],
    );
    return { bands: bands.length, alerts: await this.raiseAlerts(m, line, startMs, endMs) };
  }

  /**
   * One alert per run of two or more saturated bands that ends in `[startMs, endMs)`: unless an
   * alert was already raised for a band of the same run (a run computed again, or still going).
   */
  private async raiseAlerts(m: EntityManager, line: LineId, startMs: number, endMs: number): Promise<VoiceAlert[]> {
    const rows: BandDbRow[] = await m.query(
      `SELECT band_start, peak, refused, channels FROM voice_occupancy_bands
        WHERE line = $1 AND band_start >= $2 AND band_start < $3 ORDER BY band_start`,
      [line, new Date(startMs - RUN_LOOKBACK_MS), new Date(endMs)],
    );
    const bands = rows.map((r) => ({ bandStartMs: r.band_start.getTime(), ...r }));
    const raised: VoiceAlert[] = [];
    for (const run of saturatedRuns(bands)) {
      if (run.endMs < startMs) continue;
      if (await this.alerted(m, line, run.endMs)) continue;
      const first = new Date(run.startMs);
      const channels = bands.find((b) => b.bandStartMs === run.startMs)?.channels ?? this.channels(line);
      const inserted = await returning<AlertDbRow>(
        m,
        `INSERT INTO voice_alerts (kind, line, raised_at, band_start, message)
         VALUES ('channels-saturated', $1, $2, $3, $4)
         ON CONFLICT (kind, line, band_start) DO NOTHING RETURNING *`,
        [line, this.now(), first, saturationMessage(line, first, channels)],
      );
      for (const a of inserted) {
        raised.push(toAlert(a));
        this.log?.warn({ line, bandStart: first.toISOString() }, 'voice channels saturated in two consecutive bands');
      }
    }
    return raised;
  }

  /** Whether the run ending at `runEndMs` already has its alert: the last one raised before its end, with every band since saturated. */
  private async alerted(m: EntityManager, line: LineId, runEndMs: number): Promise<boolean> {
    const last: { band_start: Date }[] = await m.query(
      `SELECT band_start FROM voice_alerts WHERE kind = 'channels-saturated' AND line = $1 AND band_start <= $2
        ORDER BY band_start DESC LIMIT 1`,
      [line, new Date(runEndMs)],
    );
    const since = last[0]?.band_start;
    if (!since) return false;
    const rows: { n: string }[] = await m.query(
      `SELECT count(*) AS n FROM voice_occupancy_bands
        WHERE line = $1 AND band_start >= $2 AND band_start <= $3 AND peak >= channels`,
      [line, since, new Date(runEndMs)],
    );
    return Number(rows[0]?.n ?? 0) === (runEndMs - since.getTime()) / BAND_MS + 1;
  }

  /** The month's bands of a line (`YYYY-MM`, Europe/Rome), its summary and its alerts. */
  async month(line: LineId, month: string): Promise<MonthReport> {
    this.line(line);
    const { from, to } = monthRange(month);
    const rows: BandDbRow[] = await this.db.query(
      `SELECT band_start, peak, refused, channels FROM voice_occupancy_bands
        WHERE line = $1 AND band_start >= $2 AND band_start < $3 ORDER BY band_start`,
      [line, from, to],
    );
    const bands: OccupancyBand[] = rows.map((r) => ({
      bandStart: r.band_start.toISOString(),
      bandEnd: new Date(r.band_start.getTime() + BAND_MS).toISOString(),
      day: dayInRome(r.band_start),
      time: romeTime(r.band_start),
      peak: r.peak,
      refused: r.refused,
      channels: r.channels,
      saturated: isSaturated(r),
    }));
    const byTime = new Map<string, { peaks: number[]; saturatedBands: number; refused: number }>();
    for (const b of bands) {
      const t = byTime.get(b.time) ?? { peaks: [], saturatedBands: 0, refused: 0 };
      t.peaks.push(b.peak);
      t.saturatedBands += b.saturated ? 1 : 0;
      t.refused += b.refused;
      byTime.set(b.time, t);
    }
    const alerts: AlertDbRow[] = await this.db.query(
      `SELECT * FROM voice_alerts WHERE line = $1 AND band_start >= $2 AND band_start < $3 ORDER BY band_start`,
      [line, from, to],
    );
    return {
      line,
      month,
      channels: this.channels(line),
      summary: {
        maxPeak: bands.reduce((max, b) => Math.max(max, b.peak), 0),
        saturatedBands: bands.filter((b) => b.saturated).length,
        refused: bands.reduce((sum, b) => sum + b.refused, 0),
        bandsClosed: bands.length,
        bandsInMonth: (to.getTime() - from.getTime()) / BAND_MS,
      },
      bands,
      byTimeOfDay: [...byTime.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([time, t]) => ({
          time,
          maxPeak: Math.max(...t.peaks),
          averagePeak: Math.round((t.peaks.reduce((s, p) => s + p, 0) / t.peaks.length) * 100) / 100,
          saturatedBands: t.saturatedBands,
          refused: t.refused,
        })),
      alerts: alerts.map(toAlert),
    };
  }

  /** The alerts, newest first; only those not yet acknowledged with `open`. */
  async alerts(opts: { open?: boolean; limit?: number } = {}): Promise<VoiceAlert[]> {
    const rows: AlertDbRow[] = await this.db.query(
      `SELECT * FROM voice_alerts WHERE NOT $1::boolean OR acknowledged_at IS NULL
        ORDER BY raised_at DESC, id DESC LIMIT $2`,
      [opts.open === true, Math.min(opts.limit ?? 200, 1000)],
    );
    return rows.map(toAlert);
  }

  /** A supervisor has seen the alert: the first acknowledgment is kept; `changed` is false on a repeat. */
  async acknowledge(id: number, by: string): Promise<{ alert: VoiceAlert; changed: boolean }> {
    const updated = await returning<AlertDbRow>(
      this.db,
      `UPDATE voice_alerts SET acknowledged_at = $2, acknowledged_by = $3
        WHERE id = $1 AND acknowledged_at IS NULL RETURNING *`,
      [id, this.now(), by],
    );
    if (updated[0]) return { alert: toAlert(updated[0]), changed: true };
    const rows: AlertDbRow[] = await this.db.query(`SELECT * FROM voice_alerts WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('Avviso inesistente.');
    return { alert: toAlert(rows[0]), changed: false };
  }

  private line(id: LineId): Line {
    const line = this.lines.find((l) => l.id === id);
    if (!line) throw new NotFoundError(`Linea inesistente: ${id}.`);
    return line;
  }
}

/** The instants a month (`YYYY-MM`) of the Rome calendar starts and ends at. */
export function monthRange(month: string): { from: Date; to: Date } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new ValidationError('Mese non valido: AAAA-MM.', [{ field: 'month', message: 'formato AAAA-MM' }]);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const next = mo === 12 ? `${y + 1}-01-01` : `${y}-${String(mo + 1).padStart(2, '0')}-01`;
  return { from: startOfDayInRome(`${month}-01`), to: startOfDayInRome(next) };
}

/**
 * Runs `task` every `everyMs`, never two at once; the returned stop waits for a run in progress
 * (so the database is not closed under it).
 */
export function repeating(task: () => Promise<unknown>, everyMs: number, log: Logger, what: string) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .catch((err: Error) => log.warn({ err: { name: err.name, message: err.message } }, `${what} failed`))
      .finally(() => (running = undefined));
  }, everyMs);
  return async (): Promise<void> => {
    clearInterval(timer);
    await running;
  };
}

/** Closes the bands that ended, every minute (V7). */
export function startClosingBands(occupancy: Occupancy, now: () => Date, log: Logger): () => Promise<void> {
  return repeating(() => occupancy.closeBands(now()), 60_000, log, 'closing the occupancy bands');
}
