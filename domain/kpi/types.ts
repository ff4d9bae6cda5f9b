/**
 * The shapes the KPIs are read in (K1–K5): the contact row every figure is computed from, the
 * versioned definitions, the SLA report (the `npm run report -- sla` JSON, a stable interface),
 * the wallboard and the distributions. The web workspace imports these types too.
 */

/** The two lines the contract measures (§6: "Servizio CUP", "Servizio Contact Center"). */
export const KPI_LINES = ['cup', 'csb'] as const;
export type KpiLine = (typeof KPI_LINES)[number];

export const KPI_LINE_LABELS: Record<KpiLine, string> = {
  cup: 'CUP',
  csb: 'Contact Center',
};

/** The §6 SLAs, in the order of the seed's table and of seed 003's report. */
export const SLA_IDS = [
  'answered-within-20s',
  'written-contacts-24h',
  'lost-calls',
  'first-contact-resolution',
  'first-contact-solution-time',
  'second-level-resolution',
  'second-level-solution-time',
  'outbound-efficacy',
  'outbound-efficiency',
  'ivr-continuity',
] as const;
export type SlaId = (typeof SLA_IDS)[number];

/** How a contact counts for one SLA; a contact outside an SLA's base has no entry. */
export type SlaStatus = 'met' | 'missed' | 'pending';

export const CONTACT_CHANNELS = ['voice', 'email', 'pec', 'fax', 'sms', 'letter'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

/** Where a contact record comes from: the platform's own records, or an imported file. */
export type ContactSource = 'voice' | 'mail' | 'campaign' | 'import';

/**
 * One contact as every KPI reads it: the rows of the `kpi_contacts` view (calls, written
 * contacts, outbound campaign contacts and imported rows, one shape). Times are ISO strings.
 */
export interface KpiContact {
  contactId: string;
  source: ContactSource;
  line: KpiLine;
  /** The line as recorded (`tributi`, `cup-second-level`, …), for drill-down. */
  originalLine: string;
  channel: ContactChannel;
  direction: 'inbound' | 'outbound';
  requestType: string | null;
  queue: string | null;
  priority: number | null;
  /** The start of the call: its arrival (IVR included) when known, else when it reached the queue. */
  startedAt: string;
  /** Whether `startedAt` is the arrival (true) or, the IVR time being unknown, the queue (false). */
  arrivalKnown: boolean;
  offeredAt: string | null;
  answeredAt: string | null;
  abandonedAt: string | null;
  endedAt: string | null;
  wrapUpEndedAt: string | null;
  /** When the case was closed after the first contact (a second-level case, a written contact's ticket). */
  resolvedAt: string | null;
  /** The level that closed the case, when known (2 or 3). */
  resolvedLevel: number | null;
  operator: string | null;
  outcome: string | null;
  /** Outbound: whether the outcome is positive (§6.2 "esito positivo"). */
  positive: boolean | null;
  /** The caller's number or address, masked unless the reader may read personal data. */
  caller: string | null;
}

/** How the answered-within-20 s SLA treats a lost call (§6.1 "Tempo massimo di attesa"). */
export const ANSWERED_WITHIN_VARIANTS = ['contract', 'strict', 'exclude-short'] as const;
export type AnsweredWithinVariant = (typeof ANSWERED_WITHIN_VARIANTS)[number];

export const SOLUTION_TIME_FROM = ['call-start', 'answer'] as const;
export type SolutionTimeFrom = (typeof SOLUTION_TIME_FROM)[number];

/** How a shortfall in percentage points becomes the points a penalty multiplies. */
export const POINT_ROUNDING = ['begun', 'whole', 'exact'] as const;
export type PointRounding = (typeof POINT_ROUNDING)[number];

/** The options of the definitions as the report, its files and the pages name them. */
export const ANSWERED_WITHIN_LABELS: Record<AnsweredWithinVariant, string> = {
  contract: 'come da contratto: una chiamata persa entro il limite di attesa è conforme',
  strict: 'rigorosa: ogni chiamata persa è non conforme',
  'exclude-short': 'abbandoni brevi esclusi dalla base, le altre perse non conformi',
};
export const SOLUTION_TIME_FROM_LABELS: Record<SolutionTimeFrom, string> = {
  'call-start': "dall'inizio della chiamata",
  answer: 'dalla risposta',
};
export const POINT_ROUNDING_LABELS: Record<PointRounding, string> = {
  begun: 'ogni punto iniziato',
  whole: 'solo punti interi',
  exact: 'punti esatti (frazioni comprese)',
};
/** One SLA's threshold and penalty, as configured in a version of the definitions. */
export interface SlaRule {
  /** `min`: reached must be at least the threshold; `max`: at most (lost calls). */
  comparison: 'min' | 'max';
  thresholdPct: number;
  /** What the Regione's report shows as "valore da raggiungere" (seed 003), when it differs. */
  targetPct: number | null;
  /** Penalty per point short of the threshold, in % of `penaltyBase`'s value for the period. */
  penaltyPctPerPoint: number;
  penaltyBase: 'service' | 'outbound';
}

/** A version of the definitions: stored once, never changed; a report names the one it used. */
export interface KpiDefinitions {
  version: string;
  answeredWithin: AnsweredWithinVariant;
  shortAbandonS: number;
  solutionTimeFrom: SolutionTimeFrom;
  pointRounding: PointRounding;
  /** The wait limit of "Tempo massimo di attesa" (20 s). */
  waitLimitS: number;
  /** First-contact solution time limit per line (4′ CUP, 9′ CSB). */
  firstContactLimitS: Record<KpiLine, number>;
  /** Second-level solution time limit (4 h), wall clock from the start of the call. */
  secondLevelLimitS: number;
  /** Written contacts: business hours from receipt to closure (24). */
  writtenLimitBusinessHours: number;
  /** Outbound efficiency: service hours per package of `outboundPackageSize` contacts (24 per 100). */
  outboundPackageHours: number;
  outboundPackageSize: number;
  /** Outbound efficiency penalty: % of the outbound value per service hour begun beyond the limit. */
  outboundLatePenaltyPctPerHour: number;
  /** §6.4: € per working day a monthly report is published after its due day. */
  lateReportEurPerDay: number;
  /** §5: the monthly report is due by this day of the next month. */
  reportDueDay: number;
  /** §6.4: € per working hour the operator service was down for technical reasons. */
  operatorDowntimeEurPerHour: number;
  sla: Record<SlaId, SlaRule>;
}

/** The variants a report may ask for on top of a stored version (stated in the report). */
export interface DefinitionOverrides {
  answeredWithin?: AnsweredWithinVariant | undefined;
  shortAbandonS?: number | undefined;
  solutionTimeFrom?: SolutionTimeFrom | undefined;
}

/** One row of the SLA table (seed 003's layout plus the counts and the penalty). */
export interface SlaRow {
  id: SlaId;
  /** Seed 003's "OBIETTIVO" (Italian). */
  objective: string;
  /** Seed 003's "INDICATORE E UNITA' DI MISURA" (Italian). */
  indicator: string;
  /** Counts, or minutes for `ivr-continuity`, or packages for `outbound-efficiency`. */
  unit: 'contacts' | 'minutes' | 'packages';
  met: number;
  base: number;
  /** Cases whose deadline has not passed yet and are still open: not in `met` nor `base`. */
  pending: number;
  /** met / base × 100, two decimals; null without data (base 0). */
  reachedPct: number | null;
  comparison: 'min' | 'max';
  thresholdPct: number;
  targetPct: number | null;
  /** null without data. */
  ok: boolean | null;
  /** Exact percentage points short of (or beyond, for `max`) the threshold; 0 when ok. */
  shortfallPoints: number | null;
  /** The points the penalty multiplies after `pointRounding` (hours over, for outbound efficiency). */
  penaltyPoints: number;
  penaltyPct: number;
  penaltyBase: 'service' | 'outbound';
  /** null when the period's value is not configured. */
  penaltyEur: number | null;
}

/** §6.4's penalties the platform can see. */
export interface OtherPenalty {
  id: 'late-report' | 'operator-service-down';
  label: string;
  quantity: number;
  unit: 'working-days' | 'working-hours';
  penaltyEur: number;
}

/** The SLA report: what `npm run report -- sla --format json` prints and the API serves. */
export interface SlaReport {
  line: KpiLine;
  /** Inclusive days, Europe/Rome. */
  from: string;
  to: string;
  timeZone: 'Europe/Rome';
  definitions: {
    version: string;
    answeredWithin: AnsweredWithinVariant;
    shortAbandonS: number;
    solutionTimeFrom: SolutionTimeFrom;
    pointRounding: PointRounding;
  };
  /** Inbound calls offered to the service (answered + lost). */
  offered: number;
  answered: number;
  lost: number;
  sla: SlaRow[];
  otherPenalties: OtherPenalty[];
  serviceValueEur: number | null;
  outboundValueEur: number | null;
  penaltyTotalEur: number | null;
  computedAt: string;
  /** Set on a stored report (K4). */
  stored?: StoredReportSummary | undefined;
}

/** A stored report (K4): its period, definitions, production, publication and lateness. */
export interface StoredReportSummary {
  id: string;
  kind: 'weekly' | 'monthly';
  line: KpiLine;
  from: string;
  to: string;
  definitionsVersion: string;
  producedAt: string;
  /** Monthly reports: the day by which it must be published (§6.4); null for weekly ones. */
  dueOn: string | null;
  publishedAt: string | null;
  publishedBy: string | null;
  /** Working days past `dueOn` at publication (or today, while unpublished). */
  lateWorkingDays: number;
  latePenaltyEur: number;
}

/** One window of the wallboard (§5.1: last service hour, last week, last month). */
export interface WallboardWindow {
  from: string;
  to: string;
  /** Calls the line refused (busy: "chiamate rifiutate"). */
  refused: number;
  /** Calls an operator answered ("chiamate accettate"). */
  accepted: number;
  lost: number;
  /** Average wait of the answered calls, seconds (null without any). */
  averageWaitS: number | null;
  /** Average number of operators signed in (present, not "assente") over the window. */
  averageOperatorsActive: number;
}

export interface WallboardQueue {
  queue: string;
  waiting: number;
  longestWaitS: number | null;
}

export interface Wallboard {
  line: KpiLine;
  at: string;
  definitionsVersion: string;
  windows: { lastServiceHour: WallboardWindow; week: WallboardWindow; month: WallboardWindow };
  now: {
    waiting: number;
    longestWaitS: number | null;
    inIvr: number;
    operatorsActive: number;
    operatorsAvailable: number;
    queues: WallboardQueue[];
  };
  /** Today's answered-within-20 s and lost calls, computed as the SLA report computes them. */
  today: {
    from: string;
    offered: number;
    answered: number;
    lost: number;
    answeredWithinPct: number | null;
    lostPct: number | null;
  };
  /**
   * Arrivals per hour of the day (0–23), averaged over the service days of the last 30 days,
   * next to the seed's 2014 curve for the same line scaled to a day.
   */
  arrivalRate: { hour: number; average: number; seed: number | null }[];
}

export const DISTRIBUTION_BUCKETS = ['hour', 'weekday', 'day', 'month'] as const;
export type DistributionBucket = (typeof DISTRIBUTION_BUCKETS)[number];

/** K1: one bucket (an hour of the day, a weekday, a day, a month) of the §5 parameters. */
export interface DistributionRow {
  key: string;
  inbound: number;
  outbound: number;
  answered: number;
  /** Outbound calls the person answered (outbound with an outcome). */
  outboundAnswered: number;
  averageTalkS: number | null;
  firstContactResolutionPct: number | null;
  abandonedWithin20s: number;
  abandonedAfter20s: number;
  busy: number;
  /** Average number of calls waiting in a queue, and in the IVR, over the bucket's time. */
  averageWaitingInQueue: number;
  averageInIvr: number;
  /** Average operators signed in over the bucket's time, and the share of it spent on calls. */
  averageOperatorsActive: number;
  operatorLoadPct: number | null;
}

export interface Distribution {
  line: KpiLine;
  from: string;
  to: string;
  by: DistributionBucket;
  rows: DistributionRow[];
  /** Average response time per request type and channel (§5 "per ogni tipologia e mezzo di contatto"). */
  responseTimes: { channel: string; requestType: string | null; contacts: number; averageResponseS: number | null }[];
  /** Calls waiting per queue, averaged over the period. */
  queues: { queue: string; averageWaiting: number }[];
}

/** The import's columns (`npm run contacts:import`, the upload page): required, then read when present. */
export const IMPORT_REQUIRED_COLUMNS = [
  'contactId',
  'line',
  'channel',
  'direction',
  'requestType',
  'offeredAt',
  'answeredAt',
  'abandonedAt',
  'endedAt',
  'wrapUpEndedAt',
  'operator',
  'outcome',
] as const;
export const IMPORT_OPTIONAL_COLUMNS = ['startedAt', 'queue', 'priority', 'resolvedAt', 'resolvedLevel'] as const;
