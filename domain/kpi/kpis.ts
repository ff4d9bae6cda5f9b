import type { DataSource } from 'typeorm';
import { isHoliday } from '../business-calendar.js';
import { isServiceHour, serviceHoursBetween } from '../campaigns/service-hours.js';
import { addDays, dayInRome, nextDay, startOfDayInRome } from '../time.js';
import { maskNumber } from '../voice/call-records.js';
import { ValidationError } from '../errors.js';
import { CONTRACT_DEFINITIONS, definitionsSchema, withOverrides } from './definitions.js';
import {
  assembleReport,
  classify,
  countCall,
  emptyTallies,
  tally,
  type NonContactFigures,
  type PeriodValues,
  type Tally,
} from './sla.js';
import type {
  DefinitionOverrides,
  KpiContact,
  KpiDefinitions,
  KpiLine,
  SlaId,
  SlaReport,
  SlaStatus,
  StoredReportSummary,
} from './types.js';

/** A period of whole Rome days, inclusive, as the report and the API name it. */
export interface Period {
  line: KpiLine;
  from: string;
  to: string;
}

export function periodBounds(p: { from: string; to: string }): { start: Date; end: Date } {
  return { start: startOfDayInRome(p.from), end: startOfDayInRome(nextDay(p.to)) };
}

interface ContactRow {
  contact_id: string;
  source: KpiContact['source'];
  line: KpiLine;
  original_line: string;
  channel: KpiContact['channel'];
  direction: KpiContact['direction'];
  request_type: string | null;
  queue: string | null;
  priority: number | null;
  started_at: Date;
  arrival_known: boolean;
  offered_at: Date | null;
  answered_at: Date | null;
  abandoned_at: Date | null;
  ended_at: Date | null;
  wrap_up_ended_at: Date | null;
  resolved_at: Date | null;
  resolved_level: number | null;
  operator: string | null;
  outcome: string | null;
  positive: boolean | null;
  caller: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toContact(r: ContactRow, personal: boolean): KpiContact {
  return {
    contactId: r.contact_id,
    source: r.source,
    line: r.line,
    originalLine: r.original_line,
    channel: r.channel,
    direction: r.direction,
    requestType: r.request_type,
    queue: r.queue,
    priority: r.priority,
    startedAt: r.started_at.toISOString(),
    arrivalKnown: r.arrival_known,
    offeredAt: iso(r.offered_at),
    answeredAt: iso(r.answered_at),
    abandonedAt: iso(r.abandoned_at),
    endedAt: iso(r.ended_at),
    wrapUpEndedAt: iso(r.wrap_up_ended_at),
    resolvedAt: iso(r.resolved_at),
    resolvedLevel: r.resolved_level,
    operator: r.operator,
    outcome: r.outcome,
    positive: r.positive,
    caller: personal ? r.caller : r.channel === 'voice' ? maskNumber(r.caller) : r.caller ? '***' : null,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Mon–Fri days that are not holidays strictly after `after` up to and including `until`. */
export function workingDaysAfter(after: string, until: string): number {
  let n = 0;
  for (let d = nextDay(after); d <= until; d = nextDay(d)) {
    const x = new Date(`${d}T12:00:00Z`);
    const wd = x.getUTCDay();
    if (wd !== 0 && wd !== 6 && !isHoliday(x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate())) n++;
  }
  return n;
}

/** The day a monthly report is due: the `dueDay`th of the month after the period. */
export function dueOn(periodTo: string, dueDay: number): string {
  const [y, m] = periodTo.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return `${next}-${String(dueDay).padStart(2, '0')}`;
}

interface StoredRow {
  id: string;
  kind: 'weekly' | 'monthly';
  line: KpiLine;
  period_from: string;
  period_to: string;
  definitions_version: string;
  produced_at: Date;
  due_on: string | null;
  published_at: Date | null;
  published_by: string | null;
  late_eur: number;
}

/**
 * The KPIs over the platform's database: the versioned definitions, the SLA report and its
 * drill-down from the `kpi_contacts` view, service values, maintenance windows and the stored
 * reports (K3, K4).
 */
export class Kpis {
  constructor(
    private readonly db: DataSource,
    private readonly now: () => Date = () => new Date(),
  ) {}

  // ---- definitions -------------------------------------------------------------------------

  async currentDefinitions(): Promise<KpiDefinitions> {
    const [row] = await this.db.query<{ definitions: KpiDefinitions }[]>(
      `SELECT definitions FROM kpi_definitions ORDER BY created_at DESC, version DESC LIMIT 1`,
    );
    return row?.definitions ?? CONTRACT_DEFINITIONS;
  }

  async definitions(version?: string): Promise<KpiDefinitions> {
    if (!version) return this.currentDefinitions();
    const [row] = await this.db.query<
      {
        definitions: KpiDefinitions;
      }[]
    >(`SELECT definitions FROM kpi_definitions WHERE version = $1`, [version]);
    if (!row) throw new ValidationError(`Versione delle definizioni sconosciuta: ${version}.`);
    return row.definitions;
  }

  async definitionVersions(): Promise<
    { version: string; createdAt: string; createdBy: string; note: string | null }[]
  > {
    const rows = await this.db.query<{ version: string; created_at: Date; created_by: string; note: string | null }[]>(
      `SELECT version, created_at, created_by, note FROM kpi_definitions ORDER BY created_at DESC, version DESC`,
    );
    return rows.map((r) => ({
      version: r.version,
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
      note: r.note,
    }));
  }

  /** A new version; an existing version is never replaced. */
  async addDefinitions(input: unknown, note: string | null, by: string): Promise<KpiDefinitions> {
    const parsed = definitionsSchema.safeParse(input);
    if (!parsed.success) {
      throw new ValidationError(
        'Le definizioni non sono valide.',
        parsed.error.issues.map((i) => ({ field: `definitions.${i.path.join('.')}`, message: i.message })),
      );
    }
    const inserted = await this.db.query<unknown[]>(
      `INSERT INTO kpi_definitions (version, definitions, note, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING version`,
      [parsed.data.version, JSON.stringify(parsed.data), note, by],
    );
    if (inserted.length === 0) {
      throw new ValidationError(`La versione ${parsed.data.version} esiste già: le versioni non si modificano.`, [
        { field: 'definitions.version', message: 'versione già esistente' },
      ]);
    }
    return parsed.data;
  }

  // ---- contacts ----------------------------------------------------------------------------

  /** The contacts of a line that started in [start, end). */
  async contacts(line: KpiLine, start: Date, end: Date, personal = false): Promise<KpiContact[]> {
    const rows = await this.db.query<ContactRow[]>(
      `SELECT * FROM kpi_contacts WHERE line = $1 AND started_at >= $2 AND started_at < $3 ORDER BY started_at, contact_id`,
      [line, start, end],
    );
    return rows.map((r) => toContact(r, personal));
  }

  // ---- the SLA report ----------------------------------------------------------------------

  async slaReport(p: Period, overrides: DefinitionOverrides = {}, version?: string): Promise<SlaReport> {
    const defs = withOverrides(await this.definitions(version), overrides);
    const { start, end } = periodBounds(p);
    const now = this.now();
    const contacts = await this.contacts(p.line, start, end);
    const tallies = emptyTallies();
    const calls = { offered: 0, answered: 0, lost: 0 };
    for (const c of contacts) {
      tally(tallies, classify(c, defs, now));
      countCall(calls, c);
    }
    const figures = await this.nonContactFigures(p.line, start, end, defs, now);
    return assembleReport({
      line: p.line,
      from: p.from,
      to: p.to,
      definitions: defs,
      tallies,
      calls,
      figures,
      values: await this.periodValues(p),
      computedAt: now,
    });
  }

  /** The contacts behind one figure of the report. */
  async drill(
    p: Period,
    sla: SlaId,
    status: SlaStatus,
    page: { offset: number; limit: number },
    personal: boolean,
    overrides: DefinitionOverrides = {},
  ): Promise<{ total: number; contacts: KpiContact[] }> {
    const defs = withOverrides(await this.currentDefinitions(), overrides);
    const { start, end } = periodBounds(p);
    const now = this.now();
    const all = (await this.contacts(p.line, start, end, personal)).filter(
      (c) => classify(c, defs, now)[sla] === status,
    );
    return { total: all.length, contacts: all.slice(page.offset, page.offset + page.limit) };
  }

  private async nonContactFigures(
    line: KpiLine,
    start: Date,
    end: Date,
    defs: KpiDefinitions,
    now: Date,
  ): Promise<NonContactFigures> {
    const until = new Date(Math.min(end.getTime(), now.getTime()));
    const minutes = await this.probedMinutes(start, until);
    const hours = minutes.downHours.filter((h) => isServiceHour(h)).length;
    return {
      packages: await this.packages(line, start, end, defs, now),
      continuity: { met: minutes.up, base: minutes.base, pending: 0 },
      other: [
        {
          id: 'operator-service-down',
          label: 'Indisponibilità del servizio per problemi tecnici (ore lavorative)',
          quantity: hours,
          unit: 'working-hours',
          penaltyEur: hours * defs.operatorDowntimeEurPerHour,
        },
      ],
    };
  }

  /** §6.2 efficiency: each campaign package started in the period, in service hours. */
  private async packages(
    line: KpiLine,
    start: Date,
    end: Date,
    defs: KpiDefinitions,
    now: Date,
  ): Promise<Tally & { overHours: number }> {
    const rows = await this.db.query<{ started_at: Date; closed_at: Date | null; contacts: number }[]>(
      `SELECT p.started_at, COALESCE(p.closed_at, CASE WHEN c.status = 'completed' THEN c.completed_at END) AS closed_at,
              COALESCE(p.contacts_total, (SELECT count(*) FROM campaign_contacts k
                                            WHERE k.campaign_id = p.campaign_id AND k.package_no = p.package_no))::int AS contacts
         FROM campaign_packages p JOIN campaigns c ON c.id = p.campaign_id
        WHERE p.started_at >= $2 AND p.started_at < $3
          AND (CASE WHEN c.kind = 'agenda-cleanup' THEN 'cup' ELSE 'csb' END) = $1`,
      [line, start, end],
    );
    const t = { met: 0, base: 0, pending: 0, overHours: 0 };
    for (const r of rows) {
      const limit = defs.outboundPackageHours * Math.max(1, Math.ceil(r.contacts / defs.outboundPackageSize));
      const elapsed = serviceHoursBetween(r.started_at, r.closed_at ?? now);
      if (elapsed > limit + 1e-9) {
        t.base++;
        t.overHours += Math.ceil(elapsed - limit - 1e-9);
      } else if (r.closed_at) {
        t.base++;
        t.met++;
      } else t.pending++;
    }
    return t;
  }

  /**
   * §6.3 continuity and §6.4 downtime from the probe (one query): the minutes of [start,
   * until) since the probe first ran, outside planned maintenance (`base`), those with a
   * successful probe (`up`), and the hours with a minute down. The successful minutes are
   * read once from the probe's index and joined, not looked up minute by minute.
   */
  private async probedMinutes(start: Date, until: Date): Promise<{ base: number; up: number; downHours: Date[] }> {
    const [row] = await this.db.query<{ base: number; up: number; down: Date[] | null }[]>(
      `WITH first AS (SELECT min(at) AS at FROM voice_probes),
            minutes AS (
              SELECT m FROM first, generate_series(date_trunc('minute', GREATEST($1::timestamptz, first.at)),
                                                   $2::timestamptz - interval '1 minute', interval '1 minute') m
               WHERE first.at IS NOT NULL),
            up AS (
              SELECT DISTINCT date_trunc('minute', at) AS m FROM voice_probes
               WHERE ok AND at >= date_trunc('minute', $1::timestamptz) AND at < $2),
            windows AS MATERIALIZED (
              SELECT starts_at, ends_at FROM maintenance_windows WHERE ends_at > $1 AND starts_at < $2),
            x AS (
              SELECT minutes.m, up.m IS NOT NULL AS up,
                     EXISTS (SELECT 1 FROM windows w WHERE minutes.m >= w.starts_at AND minutes.m < w.ends_at) AS maint
                FROM minutes LEFT JOIN up ON up.m = minutes.m)
       SELECT count(*) FILTER (WHERE NOT maint)::int AS base,
              count(*) FILTER (WHERE NOT maint AND up)::int AS up,
              array_agg(DISTINCT date_trunc('hour', m)) FILTER (WHERE NOT maint AND NOT up) AS down
         FROM x`,
      [start, until],
    );
    return { base: row?.base ?? 0, up: row?.up ?? 0, downHours: (row?.down ?? []).map((d) => new Date(d)) };
  }

  // ---- service values and maintenance ------------------------------------------------------

  /** The period's share of each month's configured value (by days), or null if a month has none. */
  async periodValues(p: Period): Promise<PeriodValues> {
    const rows = await this.db.query<{ month: string; s: number | null; o: number | null }[]>(
      `SELECT to_char(month, 'YYYY-MM') AS month, service_value_eur::float8 AS s, outbound_value_eur::float8 AS o
         FROM kpi_service_values WHERE line = $1`,
      [p.line],
    );
    const byMonth = new Map(rows.map((r) => [r.month, r]));
    const perMonthDays = new Map<string, number>();
    for (let d = p.from; d <= p.to; d = nextDay(d))
      perMonthDays.set(d.slice(0, 7), (perMonthDays.get(d.slice(0, 7)) ?? 0) + 1);
    let s: number | null = 0;
    let o: number | null = 0;
    for (const [month, days] of perMonthDays) {
      const [y, m] = month.split('-').map(Number) as [number, number];
      const inMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
      const v = byMonth.get(month);
      s = s === null || v?.s == null ? null : s + (v.s * days) / inMonth;
      o = o === null || v?.o == null ? null : o + (v.o * days) / inMonth;
    }
    return { serviceEur: s === null ? null : round2(s), outboundEur: o === null ? null : round2(o) };
  }

  async serviceValues(): Promise<
    {
      line: KpiLine;
      month: string;
      serviceValueEur: number | null;
      outboundValueEur: number | null;
      enteredBy: string;
      enteredAt: string;
    }[]
  > {
    const rows = await this.db.query<
      { line: KpiLine; month: string; s: number | null; o: number | null; entered_by: string; entered_at: Date }[]
    >(
      `SELECT line, to_char(month, 'YYYY-MM') AS month, service_value_eur::float8 AS s, outbound_value_eur::float8 AS o,
              entered_by, entered_at FROM kpi_service_values ORDER BY month DESC, line`,
    );
    return rows.map((r) => ({
      line: r.line,
      month: r.month,
      serviceValueEur: r.s,
      outboundValueEur: r.o,
      enteredBy: r.entered_by,
      enteredAt: r.entered_at.toISOString(),
    }));
  }

  async setServiceValue(
    line: KpiLine,
    month: string,
    serviceEur: number | null,
    outboundEur: number | null,
    by: string,
  ) {
    await this.db.query(
      `INSERT INTO kpi_service_values (line, month, service_value_eur, outbound_value_eur, entered_by)
       VALUES ($1, ($2 || '-01')::date, $3, $4, $5)
       ON CONFLICT (line, month) DO UPDATE SET service_value_eur = $3, outbound_value_eur = $4, entered_by = $5, entered_at = now()`,
      [line, month, serviceEur, outboundEur, by],
    );
  }

  async maintenanceWindows(): Promise<
    {
      id: string;
      startsAt: string;
      endsAt: string;
      reason: string;
      enteredBy: string;
      enteredAt: string;
      enteredAfterStart: boolean;
    }[]
  > {
    const rows = await this.db.query<
      { id: string; starts_at: Date; ends_at: Date; reason: string; entered_by: string; entered_at: Date }[]
    >(
      `SELECT id::text, starts_at, ends_at, reason, entered_by, entered_at FROM maintenance_windows ORDER BY starts_at DESC`,
    );
    return rows.map((r) => ({
      id: r.id,
      startsAt: r.starts_at.toISOString(),
      endsAt: r.ends_at.toISOString(),
      reason: r.reason,
      enteredBy: r.entered_by,
      enteredAt: r.entered_at.toISOString(),
      enteredAfterStart: r.entered_at > r.starts_at,
    }));
  }

  async addMaintenanceWindow(startsAt: Date, endsAt: Date, reason: string, by: string): Promise<string> {
    if (!(endsAt > startsAt))
      throw new ValidationError('La fine deve seguire l’inizio.', [
        { field: 'endsAt', message: 'la fine deve seguire l’inizio' },
      ]);
    const [row] = await this.db.query<{ id: string }[]>(
      `INSERT INTO maintenance_windows (starts_at, ends_at, reason, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id::text`,
      [startsAt, endsAt, reason, by, this.now()],
    );
    return row?.id ?? '';
  }

  // ---- stored reports (K4) -----------------------------------------------------------------

  /**
   * The reports due by now and not yet stored: weekly (Monday–Sunday) for the first four
   * months after go-live, monthly after that, per line. Each is computed with the current
   * definitions and stored once (a unique key per kind, line and start); returns how many
   * were stored now.
   */
  async produceDue(goLive: string): Promise<number> {
    const today = dayInRome(this.now());
    const defs = await this.currentDefinitions();
    const periods: { kind: 'weekly' | 'monthly'; from: string; to: string }[] = [];
    const weeklyUntil = addMonthsDay(goLive, 4);
    // Weeks starting on the Monday of go-live's week.
    let monday = goLive;
    while (new Date(`${monday}T12:00:00Z`).getUTCDay() !== 1) monday = previousDay(monday);
    for (let from = monday; from < weeklyUntil; from = addDays(from, 7)) {
      const to = addDays(from, 6);
      if (to >= today) break;
      periods.push({ kind: 'weekly', from, to });
    }
    const firstMonth = weeklyUntil.endsWith('-01') ? weeklyUntil.slice(0, 7) : nextMonth(weeklyUntil.slice(0, 7));
    for (let month = firstMonth; ; month = nextMonth(month)) {
      const from = `${month}-01`;
      const to = previousDay(`${nextMonth(month)}-01`);
      if (to >= today) break;
      periods.push({ kind: 'monthly', from, to });
    }
    let stored = 0;
    for (const p of periods) {
      for (const line of ['cup', 'csb'] as const) {
        const exists = await this.db.query<unknown[]>(
          `SELECT 1 FROM kpi_reports WHERE kind = $1 AND line = $2 AND period_from = $3`,
          [p.kind, line, p.from],
        );
        if (exists.length > 0) continue;
        const report = await this.slaReport({ line, from: p.from, to: p.to }, {}, defs.version);
        const inserted = await this.db.query<unknown[]>(
          `INSERT INTO kpi_reports (kind, line, period_from, period_to, definitions_version, report, produced_at, due_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
          [
            p.kind,
            line,
            p.from,
            p.to,
            defs.version,
            JSON.stringify(report),
            this.now(),
            p.kind === 'monthly' ? dueOn(p.to, defs.reportDueDay) : null,
          ],
        );
        stored += inserted.length;
      }
    }
    return stored;
  }

  private summary(r: StoredRow, defs: KpiDefinitions): StoredReportSummary {
    const until = r.published_at ? dayInRome(r.published_at) : dayInRome(this.now());
    const late = r.due_on && until > r.due_on ? workingDaysAfter(r.due_on, until) : 0;
    return {
      id: r.id,
      kind: r.kind,
      line: r.line,
      from: r.period_from,
      to: r.period_to,
      definitionsVersion: r.definitions_version,
      producedAt: r.produced_at.toISOString(),
      dueOn: r.due_on,
      publishedAt: iso(r.published_at),
      publishedBy: r.published_by,
      lateWorkingDays: late,
      latePenaltyEur: late * defs.lateReportEurPerDay,
    };
  }

  private static readonly STORED = `SELECT id::text, kind, line, to_char(period_from, 'YYYY-MM-DD') AS period_from,
      to_char(period_to, 'YYYY-MM-DD') AS period_to, definitions_version, produced_at,
      to_char(due_on, 'YYYY-MM-DD') AS due_on, published_at, published_by FROM kpi_reports`;

  async reports(
    filter: { line?: KpiLine | undefined; kind?: 'weekly' | 'monthly' | undefined } = {},
  ): Promise<StoredReportSummary[]> {
    const rows = await this.db.query<StoredRow[]>(
      `${Kpis.STORED} WHERE ($1::text IS NULL OR line = $1) AND ($2::text IS NULL OR kind = $2)
        ORDER BY period_from DESC, kind, line`,
      [filter.line ?? null, filter.kind ?? null],
    );
    const defs = await this.currentDefinitions();
    return rows.map((r) => this.summary(r, defs));
  }

  async report(id: string): Promise<SlaReport | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const [row] = await this.db.query<
      (StoredRow & {
        report: SlaReport;
      })[]
    >(`${Kpis.STORED.replace('SELECT', 'SELECT report,')} WHERE id = $1`, [id]);
    if (!row) return undefined;
    return { ...row.report, stored: this.summary(row, await this.definitions(row.definitions_version)) };
  }

  /** Publishes once: a second call changes nothing and answers the first publication. */
  async publish(id: string, by: string): Promise<StoredReportSummary | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    await this.db.query(
      `UPDATE kpi_reports SET published_at = $2, published_by = $3 WHERE id = $1 AND published_at IS NULL`,
      [id, this.now(), by],
    );
    const [row] = await this.db.query<StoredRow[]>(`${Kpis.STORED} WHERE id = $1`, [id]);
    return row ? this.summary(row, await this.definitions(row.definitions_version)) : undefined;
  }
}

const previousDay = (day: string) => addDays(day, -1);
function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}
/** The first day of the month `n` months after `day`'s month, when `day` is a first; else the same day n months on. */
function addMonthsDay(day: string, n: number): string {
  let month = day.slice(0, 7);
  for (let i = 0; i < n; i++) month = nextMonth(month);
  return `${month}-${day.slice(8, 10)}`;
}
