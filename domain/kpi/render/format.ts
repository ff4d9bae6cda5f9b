import { KPI_LINE_LABELS, type SlaReport } from '../types.js';

/** Italian figures as seed 003 writes them: decimal comma, "n/a" without data. */
export const pct = (x: number | null) =>
  x === null ? 'n/a' : `${x.toLocaleString('it-IT', { maximumFractionDigits: 2 })}%`;
export const eur = (x: number | null) =>
  x === null ? 'n/d' : `${x.toLocaleString('it-IT', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} €`;
export const outcome = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'OK' : 'KO');
export const title = (r: SlaReport) =>
  `Resoconto livelli di servizio — ${KPI_LINE_LABELS[r.line]} — dal ${r.from} al ${r.to}`;
export const definitionsLine = (r: SlaReport) =>
  `Definizioni versione ${r.definitions.version} (attesa: ${r.definitions.answeredWithin}, abbandono breve ${r.definitions.shortAbandonS} s, soluzione da ${r.definitions.solutionTimeFrom}, punti ${r.definitions.pointRounding})`;

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
