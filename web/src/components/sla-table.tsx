import type { ComponentChildren } from 'preact';
import { Link } from '../router';
import {
  ANSWERED_WITHIN_LABELS,
  dateTime,
  day,
  eur,
  lineLabel,
  num,
  pct,
  POINT_ROUNDING_LABELS,
  SOLUTION_TIME_FROM_LABELS,
  type SlaReport,
  type SlaRow,
  type SlaStatus,
} from '../kpi';

const UNIT_SUFFIX: Record<SlaRow['unit'], string> = { contacts: '', minutes: ' min', packages: ' pacchetti' };

/** "≥ 90%" (at least) or "≤ 10%" (at most, lost calls). */
export function thresholdLabel(r: Pick<SlaRow, 'comparison' | 'thresholdPct'>): string {
  return `${r.comparison === 'min' ? '≥' : '≤'} ${pct(r.thresholdPct)}`;
}

/** OK / KO / n/a as text, the colour only repeating it. */
function Outcome({ ok }: { ok: boolean | null }) {
  if (ok === null) return <span class="kpi-outcome kpi-outcome-none">n/a</span>;
  return <span class={`kpi-outcome ${ok ? 'kpi-outcome-ok' : 'kpi-outcome-ko'}`}>{ok ? 'OK' : 'KO'}</span>;
}

/**
 * The SLA table in seed 003's layout (objective, indicator, threshold, target, reached, OK/KO)
 * with the counts, the penalty, the other penalties and the total; above it, the period and
 * the definitions it was computed with. The live report links each count to the contacts
 * behind it (`drill`); a stored report shows the frozen figures only.
 */
export function SlaTable(props: {
  report: SlaReport;
  /** The address of the contacts behind one count of a row, when the page offers the drill-down. */
  drill?: (row: SlaRow, status: SlaStatus) => string;
  /** The count currently drilled into (shown as the current link). */
  current?: { sla: string; status: string } | undefined;
}) {
  const r = props.report;
  const d = r.definitions;
  const count = (row: SlaRow, status: SlaStatus, n: number, what: string): ComponentChildren => {
    const text = num(n, 0);
    if (!props.drill || row.unit !== 'contacts' || n === 0) return text;
    const current = props.current?.sla === row.id && props.current.status === status;
    return (
      <Link href={props.drill(row, status)} current={current}>
        <span aria-hidden="true">{text}</span>
        <span class="visually-hidden">
          {text} {what}: {row.objective}, elenco dei contatti
        </span>
      </Link>
    );
  };
  return (
    <div class="kpi-sla">
      <dl class="facts kpi-sla-facts" data-testid="sla-definitions">
        <dt>Linea</dt>
        <dd>{lineLabel(r.line)}</dd>
        <dt>Periodo</dt>
        <dd>
          dal {day(r.from, true)} al {day(r.to, true)} (ora di Roma)
        </dd>
        <dt>Definizioni</dt>
        <dd>
          versione <strong data-testid="definitions-version">{d.version}</strong>
        </dd>
        <dt>Risposte entro il limite</dt>
        <dd>{ANSWERED_WITHIN_LABELS[d.answeredWithin]}</dd>
        <dt>Abbandoni brevi</dt>
        <dd>entro {num(d.shortAbandonS, 0)} s</dd>
        <dt>Tempo di soluzione</dt>
        <dd>{SOLUTION_TIME_FROM_LABELS[d.solutionTimeFrom]}</dd>
        <dt>Punti di penale</dt>
        <dd>{POINT_ROUNDING_LABELS[d.pointRounding]}</dd>
        <dt>Chiamate</dt>
        <dd>
          {num(r.offered, 0)} offerte, {num(r.answered, 0)} con risposta, {num(r.lost, 0)} perse
        </dd>
        <dt>Calcolato</dt>
        <dd>{dateTime(r.computedAt)}</dd>
      </dl>
      <div class="table-scroll">
        <table class="list kpi-sla-table" aria-label={`Livelli di servizio ${lineLabel(r.line)}`}>
          <thead>
            <tr>
              <th scope="col">Obiettivo</th>
              <th scope="col">Indicatore e unità di misura</th>
              <th scope="col" class="kpi-num">
                Soglia
              </th>
              <th scope="col" class="kpi-num">
                Valore da raggiungere
              </th>
              <th scope="col" class="kpi-num">
                Valore raggiunto
              </th>
              <th scope="col">Esito</th>
              <th scope="col" class="kpi-num">
                Conformi
              </th>
              <th scope="col" class="kpi-num">
                Non conformi
              </th>
              <th scope="col" class="kpi-num">
                Base
              </th>
              <th scope="col" class="kpi-num">
                In sospeso
              </th>
              <th scope="col" class="kpi-num">
                Penale %
              </th>
              <th scope="col" class="kpi-num">
                Penale €
              </th>
            </tr>
          </thead>
          <tbody>
            {r.sla.map((row) => (
              <tr key={row.id} data-sla={row.id} class={row.ok === false ? 'kpi-row-ko' : undefined}>
                <th scope="row">{row.objective}</th>
                <td>{row.indicator}</td>
                <td class="kpi-num">{thresholdLabel(row)}</td>
                <td class="kpi-num">{row.targetPct === null ? '—' : pct(row.targetPct)}</td>
                <td class="kpi-num" data-cell="reached">
                  {pct(row.reachedPct)}
                </td>
                <td data-cell="outcome">
                  <Outcome ok={row.ok} />
                </td>
                <td class="kpi-num" data-cell="met">
                  {count(row, 'met', row.met, 'conformi')}
                </td>
                <td class="kpi-num" data-cell="missed">
                  {count(row, 'missed', row.base - row.met, 'non conformi')}
                </td>
                <td class="kpi-num" data-cell="base">
                  {num(row.base, 0)}
                  {UNIT_SUFFIX[row.unit]}
                </td>
                <td class="kpi-num" data-cell="pending">
                  {count(row, 'pending', row.pending, 'in sospeso')}
                </td>
                <td class="kpi-num">{row.penaltyPct > 0 ? pct(row.penaltyPct) : '—'}</td>
                <td class="kpi-num" data-cell="penalty">
                  {row.penaltyPct > 0 ? eur(row.penaltyEur) : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Altre penali e totale</h3>
      <table class="list kpi-penalties" aria-label="Altre penali e totale">
        <thead>
          <tr>
            <th scope="col">Penale</th>
            <th scope="col" class="kpi-num">
              Quantità
            </th>
            <th scope="col" class="kpi-num">
              Importo
            </th>
          </tr>
        </thead>
        <tbody>
          {r.otherPenalties.map((p) => (
            <tr key={p.id}>
              <th scope="row">{p.label}</th>
              <td class="kpi-num">
                {num(p.quantity)} {p.unit === 'working-days' ? 'giorni lavorativi' : 'ore lavorative'}
              </td>
              <td class="kpi-num">{eur(p.penaltyEur)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">Valore del servizio nel periodo</th>
            <td />
            <td class="kpi-num">{eur(r.serviceValueEur)}</td>
          </tr>
          <tr>
            <th scope="row">Valore delle campagne in uscita nel periodo</th>
            <td />
            <td class="kpi-num">{eur(r.outboundValueEur)}</td>
          </tr>
          <tr class="kpi-total">
            <th scope="row">Totale penali</th>
            <td />
            <td class="kpi-num" data-testid="penalty-total">
              {eur(r.penaltyTotalEur)}
            </td>
          </tr>
        </tbody>
      </table>
      {(r.serviceValueEur === null || r.outboundValueEur === null) && (
        <p class="muted">
          n/d: valore del servizio non configurato per il periodo (Configurazione SLA); le penali in euro che ne
          dipendono non sono calcolabili.
        </p>
      )}
    </div>
  );
}
