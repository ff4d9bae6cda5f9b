import { businessHoursBetween } from '../business-calendar.js';
import type { KpiContact, KpiDefinitions, OtherPenalty, SlaId, SlaReport, SlaRow, SlaStatus } from './types.js';
import { SLA_IDS } from './types.js';

/**
 * The §6 SLAs computed from contact records: one function decides, for each contact, whether it
 * is in each SLA's base and whether it met it. The SLA report, its drill-down and the
 * wallboard's service level all call it, so they cannot disagree (docs/kpi.md has the
 * definitions and the seed sentences they implement).
 */

/** Seed 003's "OBIETTIVO" and "INDICATORE E UNITA' DI MISURA" for each SLA. */
export const SLA_LABELS: Record<SlaId, { objective: string; indicator: string }> = {
  'answered-within-20s': {
    objective: 'Monitoraggio tempo massimo di attesa',
    indicator: '% di chiamate risposte entro 20”',
  },
  'written-contacts-24h': {
    objective: 'Monitoraggio tempo massimo di risposta nel caso di contatto via Mail, Fax, SMS, Lettere',
    indicator: '% contatti email/PEC/fax/SMS/lettere chiusi entro 24 ore lavorative',
  },
  'lost-calls': {
    objective: 'Percentuale chiamate entranti perse',
    indicator:
      'Percentuale di chiamate pervenute al Call Center e terminate prima di avere ottenuto risposta (rispetto al totale delle chiamate)',
  },
  'first-contact-resolution': {
    objective: 'Percentuale chiamate evase al primo contatto',
    indicator: 'Percentuale di casi risolti e chiusi senza fare ricorso a procedure di escalation',
  },
  'first-contact-solution-time': {
    objective: 'Tempo medio di soluzione al primo contatto',
    indicator: '% chiamate risolte al primo contatto entro il tempo di soglia (4′ CUP, 9′ Contact Center)',
  },
  'second-level-resolution': {
    objective: 'Percentuale di chiamate risolte al secondo livello',
    indicator: 'Numero di casi risolti e chiusi dopo il ricorso al secondo livello',
  },
  'second-level-solution-time': {
    objective: 'Tempo medio di soluzione al secondo livello',
    indicator: '% chiamate risolte al II livello entro 4 h',
  },
  'outbound-efficacy': {
    objective: 'Efficacia di acquisizione dati (outbound)',
    indicator: 'Contatti con esito positivo rispetto al totale delle chiamate effettuate',
  },
  'outbound-efficiency': {
    objective: 'Efficienza operativa (outbound)',
    indicator: '% pacchetti da 100 contatti evasi entro 24 ore di servizio',
  },
  'ivr-continuity': {
    objective: 'Continuità di funzionamento',
    indicator: '% minuti di funzionamento del sistema sul totale del periodo (manutenzione esclusa)',
  },
};

/** Outcomes that close a call by design, not a loss: the line was closed, the number retired, … */
const CLOSED_BY_DESIGN = new Set(['out-of-hours', 'retired-number', 'not-allowed', 'callback-requested']);
const WRITTEN = new Set(['email', 'pec', 'fax', 'sms', 'letter']);
const ESCALATED = new Set(['escalated-level-2', 'escalated-level-3']);

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** What happened to an inbound call, for the call SLAs. */
export function callFate(c: KpiContact): 'answered' | 'lost' | 'excluded' | 'in-progress' | 'not-a-call' {
  if (c.channel !== 'voice' || c.direction !== 'inbound') return 'not-a-call';
  if (c.answeredAt) return 'answered';
  if (c.outcome && CLOSED_BY_DESIGN.has(c.outcome)) return 'excluded';
  if (c.abandonedAt || c.endedAt || c.outcome === 'busy' || c.outcome === 'abandoned') return 'lost';
  return 'in-progress';
}

/** The seconds a call waited: to the answer, or, lost, its whole duration (§6.1's note). */
function waitSeconds(c: KpiContact): number | null {
  const start = ms(c.startedAt);
  const end = ms(c.answeredAt ?? c.abandonedAt ?? c.endedAt);
  return start === null || end === null ? null : Math.max(0, (end - start) / 1000);
}

/** A lost call shorter than the short-abandon limit (the `exclude-short` variant's). */
function shortAbandon(c: KpiContact, d: KpiDefinitions): boolean {
  if (c.outcome === 'busy') return false;
  const w = waitSeconds(c);
  return w !== null && w < d.shortAbandonS;
}

/** How one contact counts for each SLA it is in (IVR continuity and outbound packages are not per contact). */
export function classify(c: KpiContact, d: KpiDefinitions, now: Date): Partial<Record<SlaId, SlaStatus>> {
  const out: Partial<Record<SlaId, SlaStatus>> = {};
  const fate = callFate(c);
  if (fate === 'answered' || fate === 'lost') {
    const excludedShort = d.answeredWithin === 'exclude-short' && fate === 'lost' && shortAbandon(c, d);
    if (!excludedShort) {
      out['lost-calls'] = fate === 'lost' ? 'met' : 'missed';
      // A busy refusal never waited for an operator: it is lost, but not in the wait's base.
      if (c.outcome !== 'busy' || fate === 'answered') {
        const w = waitSeconds(c);
        const within = w !== null && w <= d.waitLimitS;
        if (fate === 'answered') out['answered-within-20s'] = within ? 'met' : 'missed';
        else out['answered-within-20s'] = d.answeredWithin === 'contract' && within ? 'met' : 'missed';
      }
    }
  }
  if (fate === 'answered' && c.outcome && c.outcome !== 'out-of-scope') {
    if (c.outcome === 'resolved' || ESCALATED.has(c.outcome)) {
      out['first-contact-resolution'] = c.outcome === 'resolved' ? 'met' : 'missed';
    }
    if (c.outcome === 'resolved') {
      const from = ms(d.solutionTimeFrom === 'answer' ? c.answeredAt : c.startedAt);
      const to = ms(c.wrapUpEndedAt ?? c.endedAt);
      if (from !== null && to !== null) {
        out['first-contact-solution-time'] = (to - from) / 1000 <= d.firstContactLimitS[c.line] ? 'met' : 'missed';
      }
    }
  }
  if (c.outcome === 'escalated-level-2') {
    const start = ms(c.startedAt) ?? 0;
    const resolved = ms(c.resolvedAt);
    const deadlinePassed = now.getTime() - start > d.secondLevelLimitS * 1000;
    if (resolved === null) {
      out['second-level-resolution'] = 'pending';
      out['second-level-solution-time'] = deadlinePassed ? 'missed' : 'pending';
    } else if (c.resolvedLevel === 3) {
      out['second-level-resolution'] = 'missed';
    } else {
      out['second-level-resolution'] = 'met';
      out['second-level-solution-time'] = (resolved - start) / 1000 <= d.secondLevelLimitS ? 'met' : 'missed';
    }
  }
  if (WRITTEN.has(c.channel) && c.direction === 'inbound') {
    const start = new Date(c.startedAt);
    const closed = c.resolvedAt ?? c.endedAt;
    const hours = businessHoursBetween(start, closed ? new Date(closed) : now);
    if (hours > d.writtenLimitBusinessHours) out['written-contacts-24h'] = 'missed';
    else out['written-contacts-24h'] = closed ? 'met' : 'pending';
  }
  // Outbound campaigns' contacts with an outcome; the platform's survey calls are not campaigns.
  if (c.direction === 'outbound' && c.source !== 'voice' && c.outcome && c.positive !== null) {
    out['outbound-efficacy'] = c.positive ? 'met' : 'missed';
  }
  return out;
}

/** met / base for the SLAs computed per contact. */
export interface Tally {
  met: number;
  base: number;
  pending: number;
}

export function emptyTallies(): Record<SlaId, Tally> {
  return Object.fromEntries(SLA_IDS.map((id) => [id, { met: 0, base: 0, pending: 0 }])) as Record<SlaId, Tally>;
}

export function tally(t: Record<SlaId, Tally>, statuses: Partial<Record<SlaId, SlaStatus>>): void {
  for (const [id, s] of Object.entries(statuses) as [SlaId, SlaStatus][]) {
    const x = t[id];
    if (s === 'pending') x.pending++;
    else {
      x.base++;
      if (s === 'met') x.met++;
    }
  }
}

/** Offered, answered and lost calls (the report's header counts). */
export interface CallCounts {
  offered: number;
  answered: number;
  lost: number;
}

export function countCall(counts: CallCounts, c: KpiContact): void {
  const fate = callFate(c);
  if (fate === 'answered') counts.answered++;
  else if (fate === 'lost') counts.lost++;
  else return;
  counts.offered++;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The points a shortfall becomes under the definitions' rounding (epsilon: 87.5 → 2.5, never 2.50000001 → 3). */
export function penaltyPoints(shortfall: number, rounding: KpiDefinitions['pointRounding']): number {
  if (shortfall <= 1e-9) return 0;
  if (rounding === 'exact') return round2(shortfall);
  if (rounding === 'whole') return Math.floor(shortfall + 1e-9);
  return Math.ceil(shortfall - 1e-9);
}

/** The period's values, in €, that penalties are a percentage of (null when not configured). */
export interface PeriodValues {
  serviceEur: number | null;
  outboundEur: number | null;
}

/** One row of the table from its counts (for outbound efficiency, `overHours` are the hours begun beyond the limits). */
export function slaRow(
  id: SlaId,
  t: Tally,
  d: KpiDefinitions,
  values: PeriodValues,
  unit: SlaRow['unit'],
  overHours = 0,
): SlaRow {
  const r = d.sla[id];
  const reachedPct = t.base === 0 ? null : round2((t.met / t.base) * 100);
  const exact = t.base === 0 ? null : (t.met / t.base) * 100;
  const shortfall =
    exact === null
      ? null
      : r.comparison === 'min'
        ? Math.max(0, r.thresholdPct - exact)
        : Math.max(0, exact - r.thresholdPct);
  const ok = shortfall === null ? null : shortfall <= 1e-9;
  let points = shortfall === null ? 0 : penaltyPoints(shortfall, d.pointRounding);
  let penaltyPct = round2(points * r.penaltyPctPerPoint);
  if (id === 'outbound-efficiency') {
    points = overHours;
    penaltyPct = round2(overHours * d.outboundLatePenaltyPctPerHour);
  }
  const base = r.penaltyBase === 'service' ? values.serviceEur : values.outboundEur;
  return {
    id,
    ...SLA_LABELS[id],
    unit,
    met: t.met,
    base: t.base,
    pending: t.pending,
    reachedPct,
    comparison: r.comparison,
    thresholdPct: r.thresholdPct,
    targetPct: r.targetPct,
    ok,
    shortfallPoints: shortfall === null ? null : round2(shortfall),
    penaltyPoints: points,
    penaltyPct,
    penaltyBase: r.penaltyBase,
    penaltyEur: base === null ? null : round2((base * penaltyPct) / 100),
  };
}

/** What the report needs beyond the contacts: packages, continuity minutes, §6.4 quantities. */
export interface NonContactFigures {
  packages: Tally & { overHours: number };
  continuity: Tally;
  other: OtherPenalty[];
}

/** Assembles the report from the per-contact tallies and the other figures. */
export function assembleReport(args: {
  line: SlaReport['line'];
  from: string;
  to: string;
  definitions: KpiDefinitions;
  tallies: Record<SlaId, Tally>;
  calls: CallCounts;
  figures: NonContactFigures;
  values: PeriodValues;
  computedAt: Date;
}): SlaReport {
  const { definitions: d, tallies, values } = args;
  const sla = SLA_IDS.map((id) => {
    if (id === 'ivr-continuity') return slaRow(id, args.figures.continuity, d, values, 'minutes');
    if (id === 'outbound-efficiency')
      return slaRow(id, args.figures.packages, d, values, 'packages', args.figures.packages.overHours);
    return slaRow(id, tallies[id], d, values, 'contacts');
  });
  const slaEur = sla.map((r) => (r.penaltyPct === 0 ? 0 : r.penaltyEur));
  const otherEur = args.figures.other.reduce((s, p) => s + p.penaltyEur, 0);
  const total = slaEur.some((x) => x === null)
    ? null
    : round2(slaEur.reduce<number>((s, x) => s + (x ?? 0), 0) + otherEur);
  return {
    line: args.line,
    from: args.from,
    to: args.to,
    timeZone: 'Europe/Rome',
    definitions: {
      version: d.version,
      answeredWithin: d.answeredWithin,
      shortAbandonS: d.shortAbandonS,
      solutionTimeFrom: d.solutionTimeFrom,
      pointRounding: d.pointRounding,
    },
    offered: args.calls.offered,
    answered: args.calls.answered,
    lost: args.calls.lost,
    sla,
    otherPenalties: args.figures.other,
    serviceValueEur: values.serviceEur,
    outboundValueEur: values.outboundEur,
    penaltyTotalEur: total,
    computedAt: args.computedAt.toISOString(),
  };
}
