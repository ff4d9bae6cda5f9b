import type {
  EngineClient,
  HistoricActivityInstanceWithDuration,
  HistoricIncident,
  HistoricProcessInstance,
  Incident,
  ProcessDefinition,
} from '../../platform/engine/operaton.js';
import { businessHoursBetween } from '../business-calendar.js';
import { NotFoundError } from '../errors.js';
import { fromEngine } from '../processes/engine-call.js';
import { engineDate, isoFromEngine } from '../tasks/inbox.js';
import { nextDay, startOfDayInRome } from '../time.js';

/**
 * Process KPIs (issue 12, requirement K5): per process definition version, how many instances
 * started, completed, were cancelled, run, had incidents, and how long they took (in
 * milliseconds and in the contract's business hours); per element of one version, how many
 * times it ran, how long tokens stayed there (median, 90th percentile), how many wait there
 * now and how often it raised an incident. Everything is read from the engine's own history
 * (Operaton's REST API); nothing is copied elsewhere, so the figures are gone with the history
 * the engine's cleanup removes (`historyTimeToLive`). See docs/kpi-processes.md.
 */

/** Calendar days of Europe/Rome (`YYYY-MM-DD`), both included; either may be open. */
export interface KpiPeriod {
  from?: string | undefined;
  to?: string | undefined;
}

export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p95: number | null;
}

export interface VersionKpis {
  processDefinitionId: string;
  key: string;
  name: string | null;
  version: number;
  /** Instances started in the period. */
  started: number;
  /** Of those, ended normally (reached an end event). */
  completed: number;
  /** Of those, ended by cancellation (deleted, or terminated by the engine). */
  canceled: number;
  /** Of those, still running (active or suspended). */
  running: number;
  /** Of those, instances that had at least one incident, open or resolved. */
  withIncidents: number;
  /** Of those, instances with an incident open now. */
  withOpenIncidents: number;
  /** Durations of the completed instances (cancelled and running ones are left out). */
  durationMs: Percentiles;
  /**
   * The same durations counted in the contract's business hours (domain/business-calendar.ts),
   * in hours, to seven decimals (0.36 ms).
   */
  businessHours: Percentiles;
}

export interface ElementKpis {
  activityId: string;
  name: string | null;
  type: string;
  /** Activity instances of this element started in the period (ended, cancelled and running). */
  count: number;
  /** Of those, still running: tokens waiting there now. */
  waitingNow: number;
  /**
   * Time spent in the element: the engine's duration for ended activity instances, the age so
   * far for running ones (a token waiting for a week counts its week, not nothing).
   */
  medianMs: number | null;
  p90Ms: number | null;
  /** The longest time a running token has waited there so far; null when none waits. */
  longestWaitingMs: number | null;
  /** Incidents raised at the element in the instances that reached it in the period. */
  incidents: number;
  /** Of those, open now. */
  openIncidents: number;
  /**
   * Share (0–1) of the instances that reached the element in the period that had an incident
   * there; null when none reached it.
   */
  incidentRate: number | null;
}

export interface DefinitionRef {
  processDefinitionId: string;
  key: string;
  name: string | null;
  version: number;
}

export interface VersionsReport {
  period: { from: string | null; to: string | null };
  computedAt: string;
  items: VersionKpis[];
}

export interface ElementsReport {
  definition: DefinitionRef;
  period: { from: string | null; to: string | null };
  computedAt: string;
  /** Instances of this version started in the period. */
  instances: number;
  items: ElementKpis[];
}

// ----- pure helpers (unit tested) --------------------------------------------------------

/**
 * The nearest-rank percentile of values sorted ascending: the value at rank ⌈p·n/100⌉ (1-based),
 * i.e. the smallest value such that at least p % of the values are less than or equal to it.
 * No interpolation: every figure is a duration that really occurred. Null for no values.
 */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  // p is a whole number of percent: p·n/100 in integers, no floating-point rounding at the edge.
  const rank = Math.min(n, Math.max(1, Math.ceil((p * n) / 100)));
  return sorted[rank - 1] ?? null;
}

/** p50, p90 and p95 (nearest rank) of unsorted values. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: nearestRank(sorted, 50), p90: nearestRank(sorted, 90), p95: nearestRank(sorted, 95) };
}

const HOUR = 3_600_000;

/**
 * Business hours between instants for many intervals at once. `businessHoursBetween` walks hour
 * by hour (one time-zone lookup per hour); a history of thousands of instances lasting weeks
 * would make millions of lookups. Each UTC hour counts wholly or not at all (the calendar's
 * own rule), so this asks the calendar once per distinct hour and keeps running totals:
 * every interval is then O(1), and the result is the calendar's own to the millisecond.
 */
export class BusinessHours {
  private base = 0;
  /** counts[i]: whether hour base+i counts (1) or not (0). */
  private counts: number[] = [];
  /** totals[i]: business hours in hours base … base+i-1. */
  private totals: number[] = [0];

  private ensure(fromHour: number, toHour: number): void {
    if (this.counts.length === 0) {
      this.base = fromHour;
    } else if (fromHour < this.base) {
      // Rebuild from the earlier hour (rare: callers pass the earliest start first).
      const old = { base: this.base, counts: this.counts };
      this.base = fromHour;
      this.counts = [];
      this.totals = [0];
      this.ensure(fromHour, old.base - 1);
      for (const c of old.counts) this.push(c);
    }
    while (this.base + this.counts.length <= toHour) {
      const h = this.base + this.counts.length;
      this.push(businessHoursBetween(new Date(h * HOUR), new Date((h + 1) * HOUR)) > 0.5 ? 1 : 0);
    }
  }

  private push(c: number): void {
    this.counts.push(c);
    this.totals.push((this.totals[this.totals.length - 1] ?? 0) + c);
  }

  /** Business hours (fractional) from `from` to `to`; 0 when `to` is not after `from`. */
  between(from: Date, to: Date): number {
    const a = from.getTime();
    const b = to.getTime();
    if (!(b > a)) return 0;
    const ha = Math.floor(a / HOUR);
    const hb = Math.floor(b / HOUR);
    this.ensure(ha, hb);
    const c = (h: number) => this.counts[h - this.base] ?? 0;
    const total = (h: number) => this.totals[h - this.base] ?? 0;
    if (ha === hb) return (c(ha) * (b - a)) / HOUR;
    const first = (c(ha) * ((ha + 1) * HOUR - a)) / HOUR;
    const whole = total(hb) - total(ha + 1);
    const last = (c(hb) * (b - hb * HOUR)) / HOUR;
    return first + whole + last;
  }
}

const ms = (engineTime: string | null): number | null => {
  const iso = isoFromEngine(engineTime);
  return iso ? Date.parse(iso) : null;
};
/** Rounded to `digits` decimals: rates to 0.1 %, business hours to 0.36 ms (10⁻⁷ h). */
const round = (x: number | null, digits: number) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/**
 * Per version, from the instances started in the period, the incidents raised in them (open or
 * resolved, from the history) and the ones open now (the runtime). Every definition listed
 * gets a row, with zeros when nothing started; instances of a definition missing from the list
 * (deleted since) get a row from their own fields.
 */
export function summariseVersions(
  definitions: readonly DefinitionRef[],
  instances: readonly Pick<
    HistoricProcessInstance,
    | 'id'
    | 'processDefinitionId'
    | 'processDefinitionKey'
    | 'processDefinitionName'
    | 'processDefinitionVersion'
    | 'startTime'
    | 'endTime'
    | 'durationInMillis'
    | 'state'
  >[],
  incidents: readonly Pick<HistoricIncident, 'processInstanceId'>[],
  openIncidents: readonly Pick<Incident, 'processInstanceId'>[],
  calendar = new BusinessHours(),
): VersionKpis[] {
  const everIncident = new Set(incidents.map((i) => i.processInstanceId));
  const openIncident = new Set(openIncidents.map((i) => i.processInstanceId));
  const refs = new Map<string, DefinitionRef>(definitions.map((d) => [d.processDefinitionId, d]));
  const grouped = new Map<string, (typeof instances)[number][]>();
  for (const i of instances) {
    if (!refs.has(i.processDefinitionId)) {
      refs.set(i.processDefinitionId, {
        processDefinitionId: i.processDefinitionId,
        key: i.processDefinitionKey,
        name: i.processDefinitionName,
        version: i.processDefinitionVersion,
      });
    }
    const g = grouped.get(i.processDefinitionId) ?? [];
    g.push(i);
    grouped.set(i.processDefinitionId, g);
  }
  const out: VersionKpis[] = [];
  for (const [id, ref] of refs) {
    const list = grouped.get(id) ?? [];
    const completed = list.filter((i) => i.state === 'COMPLETED');
    const durations: number[] = [];
    const hours: number[] = [];
    for (const i of completed) {
      const start = ms(i.startTime);
      const end = ms(i.endTime);
      const d = i.durationInMillis ?? (start !== null && end !== null ? end - start : null);
      if (d !== null) durations.push(d);
      if (start !== null && end !== null) hours.push(calendar.between(new Date(start), new Date(end)));
    }
    const bh = percentiles(hours);
    out.push({
      ...ref,
      started: list.length,
      completed: completed.length,
      canceled: list.filter((i) => i.state === 'EXTERNALLY_TERMINATED' || i.state === 'INTERNALLY_TERMINATED').length,
      running: list.filter((i) => i.state === 'ACTIVE' || i.state === 'SUSPENDED').length,
      withIncidents: list.filter((i) => everIncident.has(i.id)).length,
      withOpenIncidents: list.filter((i) => openIncident.has(i.id)).length,
      durationMs: percentiles(durations),
      businessHours: { p50: round(bh.p50, 7), p90: round(bh.p90, 7), p95: round(bh.p95, 7) },
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key) || b.version - a.version);
}

/**
 * Per element, from its activity instances started in the period, the incidents raised at it
 * (history) and those open now (runtime), both counted only in the instances that reached the
 * element in the period. Sorted by where tokens stay longest (p90, then median), then id.
 */
export function summariseElements(
  activities: readonly Pick<
    HistoricActivityInstanceWithDuration,
    'activityId' | 'activityName' | 'activityType' | 'processInstanceId' | 'startTime' | 'endTime' | 'durationInMillis'
  >[],
  incidents: readonly Pick<HistoricIncident, 'activityId' | 'processInstanceId'>[],
  openIncidents: readonly Pick<Incident, 'activityId' | 'processInstanceId'>[],
  now: Date,
): ElementKpis[] {
  const byElement = new Map<string, (typeof activities)[number][]>();
  for (const a of activities) {
    const g = byElement.get(a.activityId) ?? [];
    g.push(a);
    byElement.set(a.activityId, g);
  }
  const out: ElementKpis[] = [];
  for (const [activityId, list] of byElement) {
    const reached = new Set(list.map((a) => a.processInstanceId));
    const here = incidents.filter((i) => i.activityId === activityId && reached.has(i.processInstanceId));
    const openHere = openIncidents.filter((i) => i.activityId === activityId && reached.has(i.processInstanceId));
    const times: number[] = [];
    const waiting: number[] = [];
    for (const a of list) {
      if (a.endTime) {
        const start = ms(a.startTime);
        const end = ms(a.endTime);
        const d = a.durationInMillis ?? (start !== null && end !== null ? end - start : null);
        if (d !== null) times.push(d);
      } else {
        const age = Math.max(0, now.getTime() - (ms(a.startTime) ?? now.getTime()));
        times.push(age);
        waiting.push(age);
      }
    }
    const sorted = times.sort((x, y) => x - y);
    const first = list[0];
    out.push({
      activityId,
      name: list.find((a) => a.activityName)?.activityName ?? null,
      type: first?.activityType ?? '',
      count: list.length,
      waitingNow: waiting.length,
      medianMs: nearestRank(sorted, 50),
      p90Ms: nearestRank(sorted, 90),
      longestWaitingMs: waiting.length > 0 ? Math.max(...waiting) : null,
      incidents: here.length,
      openIncidents: openHere.length,
      incidentRate: round(new Set(here.map((i) => i.processInstanceId)).size / reached.size, 3),
    });
  }
  return out.sort(
    (a, b) =>
      (b.p90Ms ?? -1) - (a.p90Ms ?? -1) ||
      (b.medianMs ?? -1) - (a.medianMs ?? -1) ||
      a.activityId.localeCompare(b.activityId),
  );
}

/** The period as the engine's `startedAfter` / `startedBefore` (Rome midnights, `to` included). */
export function periodBounds(period: KpiPeriod): { startedAfter?: string; startedBefore?: string } {
  const out: { startedAfter?: string; startedBefore?: string } = {};
  if (period.from) out.startedAfter = engineDate(startOfDayInRome(period.from));
  // The engine's bound is inclusive: the last millisecond of the last day.
  if (period.to) out.startedBefore = engineDate(new Date(startOfDayInRome(nextDay(period.to)).getTime() - 1));
  return out;
}

// ----- reading the engine ---------------------------------------------------------------

/** Every row of a paged engine query, page by page until a short page; duplicates dropped. */
export async function allPages<T>(
  page: (first: number, max: number) => Promise<T[]>,
  idOf: (row: T) => string,
  size: number,
): Promise<T[]> {
  // Offset paging over a unique sort key: a row inserted meanwhile can make a later page
  // repeat one already seen (dropped here), never skip one that existed when the walk began.
  const seen = new Map<string, T>();
  for (let first = 0; ; first += size) {
    const rows = await page(first, size);
    for (const r of rows) seen.set(idOf(r), r);
    if (rows.length < size) break;
  }
  return [...seen.values()];
}

const refOf = (d: ProcessDefinition): DefinitionRef => ({
  processDefinitionId: d.id,
  key: d.key,
  name: d.name,
  version: d.version,
});

export class ProcessKpis {
  private readonly pageSize: number;
  private readonly now: () => Date;

  constructor(
    private readonly engine: EngineClient,
    opts: { pageSize?: number; now?: () => Date } = {},
  ) {
    // Offset paging costs the engine more the deeper the page: 5000 rows a page read 60 000
    // activity instances in 2.9 s where 1000 took 6.3 s (docs/kpi-processes.md).
    this.pageSize = opts.pageSize ?? 5000;
    this.now = opts.now ?? (() => new Date());
  }

  /** Per version of every process (or of one, `process` being its key), for the period. */
  async versions(filter: { process?: string | undefined; period: KpiPeriod }): Promise<VersionsReport> {
    const now = this.now();
    // `processDefinitionKeyIn`: the runtime incident query has no `processDefinitionKey` (and
    // the engine ignores a parameter it does not know, which would count every process).
    const incidentKey = filter.process ? { processDefinitionKeyIn: filter.process } : {};
    const instanceKey = filter.process ? { processDefinitionKey: filter.process } : {};
    const size = this.pageSize;
    const [definitions, instances, incidents, open] = await Promise.all([
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.definitions({
              ...(filter.process ? { key: filter.process } : {}),
              sortBy: 'id',
              sortOrder: 'asc',
              firstResult: first,
              maxResults: max,
            }),
          (d) => d.id,
          size,
        ),
      ),
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.historicProcessInstances(
              { ...instanceKey, ...periodBounds(filter.period), sorting: [{ sortBy: 'instanceId', sortOrder: 'asc' }] },
              { first, max },
            ),
          (i) => i.id,
          size,
        ),
      ),
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.historicIncidents({
              ...incidentKey,
              sortBy: 'incidentId',
              sortOrder: 'asc',
              firstResult: first,
              maxResults: max,
            }),
          (i) => i.id,
          size,
        ),
      ),
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.incidents({
              ...incidentKey,
              sortBy: 'incidentId',
              sortOrder: 'asc',
              firstResult: first,
              maxResults: max,
            }),
          (i) => i.id,
          size,
        ),
      ),
    ]);
    return {
      period: { from: filter.period.from ?? null, to: filter.period.to ?? null },
      computedAt: now.toISOString(),
      items: summariseVersions(definitions.map(refOf), instances, incidents, open),
    };
  }

  /** Per element of one version, for the period; 404 for an unknown version. */
  async elements(processDefinitionId: string, period: KpiPeriod): Promise<ElementsReport> {
    const now = this.now();
    const [definition] = await fromEngine(() => this.engine.definitions({ processDefinitionId }));
    if (!definition) throw new NotFoundError('Versione di processo non trovata.');
    const size = this.pageSize;
    const bounds = periodBounds(period);
    const [activities, incidents, open, instances] = await Promise.all([
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.historicActivityInstances(
              { processDefinitionId, ...bounds, sorting: [{ sortBy: 'activityInstanceId', sortOrder: 'asc' }] },
              { first, max },
            ),
          (a) => a.id,
          size,
        ),
      ),
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.historicIncidents({
              processDefinitionId,
              sortBy: 'incidentId',
              sortOrder: 'asc',
              firstResult: first,
              maxResults: max,
            }),
          (i) => i.id,
          size,
        ),
      ),
      fromEngine(() =>
        allPages(
          (first, max) =>
            this.engine.incidents({
              processDefinitionId,
              sortBy: 'incidentId',
              sortOrder: 'asc',
              firstResult: first,
              maxResults: max,
            }),
          (i) => i.id,
          size,
        ),
      ),
      fromEngine(() => this.engine.historicProcessInstanceCount({ processDefinitionId, ...bounds })),
    ]);
    return {
      definition: refOf(definition),
      period: { from: period.from ?? null, to: period.to ?? null },
      computedAt: now.toISOString(),
      instances,
      items: summariseElements(activities, incidents, open, now),
    };
  }
}
