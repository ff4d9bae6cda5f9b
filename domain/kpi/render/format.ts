import {
  ANSWERED_WITHIN_LABELS,
  KPI_LINE_LABELS,
  POINT_ROUNDING_LABELS,
  SOLUTION_TIME_FROM_LABELS,
  type SlaReport,
} from '../types.js';

/** A calendar day (`YYYY-MM-DD`) as Italians write it: 01/10/2026. */
export const day = (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
const dateTime = new Intl.DateTimeFormat('it-IT', {
  timeZone: 'Europe/Rome',
  dateStyle: 'short',
  timeStyle: 'short',
});
/** An instant in Rome's time: 10/11/2026, 10:00. */
export const when = (iso: string) => dateTime.format(new Date(iso));

/** Italian figures as seed 003 writes them: decimal comma, "n/a" without data. */
export const pct = (x: number | null) =>
  x === null ? 'n/a' : `${x.toLocaleString('it-IT', { maximumFractionDigits: 2 })}%`;
export const eur = (x: number | null) =>
  x === null ? 'n/d' : `${x.toLocaleString('it-IT', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} €`;
export const outcome = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'OK' : 'KO');
export const title = (r: SlaReport) =>
  `Resoconto livelli di servizio — ${KPI_LINE_LABELS[r.line]} — dal ${day(r.from)} al ${day(r.to)}`;
export const definitionsLine = (r: SlaReport) =>
  `Definizioni versione ${r.definitions.version}: attesa ${ANSWERED_WITHIN_LABELS[r.definitions.answeredWithin]}; ` +
  `abbandono breve entro ${r.definitions.shortAbandonS} s; tempo di soluzione ${SOLUTION_TIME_FROM_LABELS[r.definitions.solutionTimeFrom]}; ` +
  `penali per ${POINT_ROUNDING_LABELS[r.definitions.pointRounding]}`;

/** The table's rows: seed 003's columns, then the counts and the penalty. */
export const TABLE_HEADER = [
  'Obiettivo',
  'Indicatore',
  'Soglia',
  'Valore da raggiungere',
  'Valore raggiunto',
  'Esito',
  'Conformi',
  'Base',
  'In sospeso',
  'Penale %',
  'Penale €',
];
export function tableRows(r: SlaReport): string[][] {
  return r.sla.map((s) => [
    s.objective,
    s.indicator,
    `${s.comparison === 'max' ? '≤ ' : '≥ '}${pct(s.thresholdPct)}`,
    s.targetPct === null ? '' : pct(s.targetPct),
    pct(s.reachedPct),
    outcome(s.ok),
    String(s.met),
    String(s.base),
    String(s.pending),
    pct(s.penaltyPct),
    eur(s.penaltyEur),
  ]);
}
