import { useEffect, useState } from 'preact/hooks';
import { LineSelect } from '../components/line-select';
import { api, query } from '../api';
import { Chart, SERIES_STYLES } from '../components/chart';
import { Problem } from '../components/problem';
import { download } from '../format';
import { eur, lineOf, num, pct } from '../kpi';
import { useFilters } from '../router';
import { DAY_LABELS, PLAN_DAYS, type PlanDay, type StaffingReport, type StaffingRequest } from '../staffing';

/** The month before the current one, `YYYY-MM` (a month with a report to compare). */
function previousMonth(now = new Date()): string {
  const d = new Date(Date.UTC(now.getFullYear(), now.getMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

/** A number typed by a person ("30", "2,5"), or undefined when left empty. */
const typed = (v: string | undefined): number | undefined => {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v.replace(',', '.'));
  return Number.isFinite(n) ? n : Number.NaN;
};
const share = (v: string | undefined) => {
  const n = typed(v);
  return n === undefined ? undefined : n / 100;
};

/**
 * Dimensionamento (issue 14): how many operators each half-hour of a line's month needs for
 * the contract's targets (Erlang A or C, checked by a simulation), the shifts that cover
 * them, and, for a roster the supervisor edits (or the operators on the phones now), the
 * expected §6.1 figures, the penalty in € and the cost of the hours that would avoid it.
 */
export function StaffingPage() {
  const { filters: f, setFilter } = useFilters();
  const line = lineOf(f.line);
  const month = /^\d{4}-\d{2}$/.test(f.month ?? '') ? (f.month as string) : previousMonth();
  const [day, setDay] = useState<PlanDay>('mon');
  const [report, setReport] = useState<StaffingReport>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  /** The roster being edited: per weekday, half-hour start → operators on the phones. */
  const [roster, setRoster] = useState<Record<PlanDay, Record<string, number>>>();
  const [presence, setPresence] = useState<number>();

  const request = (withRoster: boolean): StaffingRequest => ({
    line,
    month,
    ahtS: typed(f.aht),
    patienceS: typed(f.patience),
    shrinkage: share(f.shrinkage ?? '30'),
    serviceLevel: share(f.sl ?? '90'),
    targetS: typed(f.target ?? '20'),
    maxLost: share(f.lost ?? '10'),
    reading: f.reading === 'contract' ? 'contract' : 'answered',
    shiftHours: (f.shifts ?? '4,6,8')
      .split(',')
      .map((x) => typed(x))
      .filter((x): x is number => x !== undefined),
    hourCostEur: typed(f.cost ?? '22'),
    serviceValueEur: typed(f.value),
    simulateDays: typed(f.simulate ?? '0') ?? 0,
    ...(withRoster && roster ? { roster } : {}),
  });

  const calculate = async (withRoster: boolean) => {
    setBusy(true);
    try {
      const r = await api<StaffingReport>('/api/staffing/plan', { method: 'POST', body: request(withRoster) });
      setReport(r);
      setError(undefined);
      if (!withRoster) setRoster(rosterOf(r));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void calculate(false);
    api<{ onPhones: number }>(`/api/staffing/presence${query({ line })}`).then(
      (p) => setPresence(p.onPhones),
      () => setPresence(undefined),
    );
    // Recomputed when the line or month changes; the other fields wait for «Calcola».
  }, [line, month]);

  const exportCsv = async () => {
    try {
      const csv = await api<string>('/api/staffing/plan?format=csv', {
        method: 'POST',
        body: request(true),
        text: true,
      });
      download(`dimensionamento-${line}-${month}.csv`, csv, 'text/csv;charset=utf-8');
    } catch (err) {
      setError(err);
    }
  };

  const halfHours = report?.halfHours[day] ?? [];
  const needed = report?.needed ?? report;
  const field = (name: string, label: string, fallback: string, hint?: string) => (
    <div>
      <label for={`s-${name}`}>{label}</label>
      <input
        id={`s-${name}`}
        inputMode="decimal"
        value={f[name] ?? fallback}
        placeholder={hint}
        onChange={(e) => setFilter(name, e.currentTarget.value)}
      />
    </div>
  );

  return (
    <section>
      <h1 tabIndex={-1}>Dimensionamento</h1>
      <form
        class="filters"
        aria-label="Linea, mese e obiettivi"
        onSubmit={(e) => {
          e.preventDefault();
          void calculate(false);
        }}
      >
        <LineSelect id="s-line" value={line} onChange={(v) => setFilter('line', v)} />
        <div>
          <label for="s-month">Mese</label>
          <input id="s-month" type="month" value={month} onChange={(e) => setFilter('month', e.currentTarget.value)} />
        </div>
        {field('aht', 'Durata media di gestione (s)', '', 'dal capitolato')}
        {field('patience', 'Pazienza media (s, 0 = nessun abbandono)', '', '120')}
        {field('shrinkage', 'Shrinkage (%)', '30')}
        {field('sl', 'Risposte entro il limite (%)', '90')}
        {field('target', 'Limite di attesa (s)', '20')}
        {field('lost', 'Perse al massimo (%)', '10')}
        <div>
          <label for="s-reading">Chiamate perse entro il limite</label>
          <select
            id="s-reading"
            value={f.reading ?? 'answered'}
            onChange={(e) => setFilter('reading', e.currentTarget.value)}
          >
            <option value="answered">non conformi (rigorosa)</option>
            <option value="contract">conformi (come da contratto)</option>
          </select>
        </div>
        {field('shifts', 'Turni ammessi (ore)', '4,6,8')}
        {field('cost', 'Costo di un’ora operatore (€)', '22')}
        {field('value', 'Valore del servizio nel mese (€)', '', 'quello configurato')}
        {field('simulate', 'Giorni simulati per verifica (0 = no)', '0')}
        <div>
          <button type="submit" disabled={busy}>
            Calcola il fabbisogno
          </button>
        </div>
      </form>
      <Problem error={error} />
      {!report && !error && <p aria-busy="true">Calcolo…</p>}
      {report && needed && (
        <>
          <h2>Il mese</h2>
          <dl class="kpi-summary" data-testid="staffing-summary">
            <dt>Chiamate attese</dt>
            <dd>{num(report.totals.calls, 0)}</dd>
            <dt>Risposte entro {report.inputs.targetS} s (attese)</dt>
            <dd data-testid="expected-sl">{pct(report.totals.serviceLevelPct)}</dd>
            <dt>Chiamate perse (attese)</dt>
            <dd>{pct(report.totals.lostPct)}</dd>
            <dt>Occupazione</dt>
            <dd>{pct(report.totals.occupancyPct)}</dd>
            <dt>Ore pagate nei turni</dt>
            <dd>
              {num(report.totals.shiftHoursPaid, 0)} ({num(report.totals.fte, 1)} FTE, {eur(report.totals.costEur)})
            </dd>
            <dt>Capitolato</dt>
            <dd>{num(report.comparison.specificationFrontEndFte, 1)} FTE di front end</dd>
            {report.comparison.reported2024 && (
              <>
                <dt>2024 (report di monitoraggio)</dt>
                <dd>
                  {pct(report.comparison.reported2024.answeredWithinPct)} entro 20 s,{' '}
                  {pct(report.comparison.reported2024.lostPct)} perse
                  {report.comparison.staffingShareMatching2024Pct !== null &&
                    `: come con il ${num(report.comparison.staffingShareMatching2024Pct, 0)} % degli operatori necessari`}
                </dd>
              </>
            )}
          </dl>
          {report.penalties && (
            <table class="list" aria-label="Penali attese del mese (§6.1)" data-testid="staffing-penalties">
              <thead>
                <tr>
                  <th scope="col">Indicatore</th>
                  <th scope="col" class="kpi-num">
                    Atteso
                  </th>
                  <th scope="col" class="kpi-num">
                    Soglia
                  </th>
                  <th scope="col" class="kpi-num">
                    Punti
                  </th>
                  <th scope="col" class="kpi-num">
                    Penale
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.penalties.map((p) => (
                  <tr key={p.id}>
                    <th scope="row">{p.objective}</th>
                    <td class="kpi-num">{pct(p.reachedPct)}</td>
                    <td class="kpi-num">
                      {p.comparison === 'max' ? '≤ ' : '≥ '}
                      {pct(p.thresholdPct)}
                    </td>
                    <td class="kpi-num">{num(p.penaltyPoints, 2)}</td>
                    <td class="kpi-num">
                      {pct(p.penaltyPct)} · {eur(p.penaltyEur)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.needed && (
            <p data-testid="staffing-extra">
              Per gli obiettivi servono {num(needed.totals.shiftHoursPaid, 0)} ore pagate nel mese:{' '}
              {num(needed.totals.shiftHoursPaid - report.totals.shiftHoursPaid, 0)} ore in più, pari a{' '}
              {eur((needed.totals.shiftHoursPaid - report.totals.shiftHoursPaid) * report.inputs.hourCostEur)}, contro
              una penale attesa di {eur(report.penalties?.reduce((s, p) => s + (p.penaltyEur ?? 0), 0) ?? null)}.
            </p>
          )}
          {report.simulation && (
            <p data-testid="staffing-simulation">
              Simulazione di {report.simulation.days} giorni per giorno della settimana:{' '}
              {pct(report.simulation.totals.serviceLevelPct)} entro il limite, {pct(report.simulation.totals.lostPct)}{' '}
              perse, {report.simulation.meetsTargets ? 'obiettivi raggiunti' : 'obiettivi non raggiunti'};{' '}
              {report.simulation.differences.length} mezz’ore differiscono dal calcolo di oltre 3 punti.
            </p>
          )}
          <div role="tablist" aria-label="Giorno della settimana" class="tabs">
            {PLAN_DAYS.map((d) => (
              <button key={d} type="button" role="tab" aria-selected={d === day} onClick={() => setDay(d)}>
                {DAY_LABELS[d]} ({report.days[d]})
              </button>
            ))}
          </div>
          <div class="kpi-charts">
            <Chart
              title={`Chiamate per mezz’ora, ${DAY_LABELS[day].toLowerCase()}`}
              xLabel="Mezz’ora"
              yLabel="Chiamate"
              x={halfHours.map((h) => h.start)}
              series={[{ label: 'Chiamate attese', values: halfHours.map((h) => h.calls), bars: true, ...style(0) }]}
            />
            <Chart
              title="Operatori"
              xLabel="Mezz’ora"
              yLabel="Operatori"
              x={halfHours.map((h) => h.start)}
              series={[
                {
                  label: 'Necessari al telefono',
                  values: (needed.halfHours[day] ?? []).map((h) => h.onPhones),
                  ...style(0),
                },
                {
                  label: 'In turno (con shrinkage)',
                  values: (needed.halfHours[day] ?? []).map((h) => h.scheduled),
                  ...style(1),
                },
                ...(report.needed
                  ? [{ label: 'Nel turno valutato', values: halfHours.map((h) => h.onPhones), ...style(2) }]
                  : []),
              ]}
            />
            <Chart
              title="Livello di servizio atteso (%)"
              xLabel="Mezz’ora"
              yLabel="%"
              x={halfHours.map((h) => h.start)}
              series={[
                { label: 'Entro il limite', values: halfHours.map((h) => h.serviceLevelPct), ...style(0) },
                { label: 'Perse', values: halfHours.map((h) => h.lostPct), ...style(4) },
              ]}
            />
          </div>
          <h2>Turno del {DAY_LABELS[day].toLowerCase()}</h2>
          <p>
            Modificare gli operatori al telefono e valutare: il calcolo dà le figure attese e la penale del mese.
            {presence !== undefined && (
              <>
                {' '}
                <button
                  type="button"
                  onClick={() => roster && setRoster(fill(roster, report, presence))}
                  data-testid="use-presence"
                >
                  Usa gli operatori collegati ora ({presence})
                </button>
              </>
            )}
          </p>
          <div class="table-scroll">
            <table class="list" aria-label="Mezz’ore del giorno" data-testid="staffing-half-hours">
              <thead>
                <tr>
                  <th scope="col">Mezz’ora</th>
                  <th scope="col" class="kpi-num">
                    Chiamate
                  </th>
                  <th scope="col" class="kpi-num">
                    Necessari
                  </th>
                  <th scope="col" class="kpi-num">
                    Al telefono
                  </th>
                  <th scope="col" class="kpi-num">
                    In turno
                  </th>
                  <th scope="col" class="kpi-num">
                    Entro il limite
                  </th>
                  <th scope="col" class="kpi-num">
                    Perse
                  </th>
                  <th scope="col" class="kpi-num">
                    Occupazione
                  </th>
                </tr>
              </thead>
              <tbody>
                {halfHours.map((h, i) => (
                  <tr key={h.start}>
                    <th scope="row">{h.start}</th>
                    <td class="kpi-num">{num(h.calls, 1)}</td>
                    <td class="kpi-num">{needed.halfHours[day]?.[i]?.onPhones ?? '—'}</td>
                    <td class="kpi-num">
                      <input
                        type="number"
                        min={0}
                        max={10000}
                        class="narrow"
                        aria-label={`Operatori al telefono alle ${h.start}`}
                        value={roster?.[day]?.[h.start] ?? h.onPhones}
                        onChange={(e) => {
                          const n = Math.max(0, Math.round(Number(e.currentTarget.value) || 0));
                          if (roster) setRoster({ ...roster, [day]: { ...roster[day], [h.start]: n } });
                        }}
                      />
                    </td>
                    <td class="kpi-num">{h.scheduled}</td>
                    <td class="kpi-num">{pct(h.serviceLevelPct)}</td>
                    <td class="kpi-num">{pct(h.lostPct)}</td>
                    <td class="kpi-num">{pct(h.occupancyPct)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            <button type="button" disabled={busy} onClick={() => void calculate(true)} data-testid="evaluate-roster">
              Valuta questo turno
            </button>{' '}
            <button type="button" onClick={() => void exportCsv()}>
              Esporta CSV
            </button>
          </p>
          <h2>Turni di lavoro</h2>
          <ul data-testid="staffing-shifts">
            {(needed.shifts[day] ?? []).map((s) => (
              <li key={`${s.start}-${s.hours}`}>
                {s.count} × {s.start}–{s.end} ({num(s.hours, 1)} ore)
              </li>
            ))}
          </ul>
          <h2>Da dove vengono i numeri</h2>
          <ul>
            {report.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

const style = (i: number) => SERIES_STYLES[i % SERIES_STYLES.length] ?? { stroke: '#0b4f8a', dash: [] };

/** The report's operators on the phones as an editable roster. */
function rosterOf(r: StaffingReport): Record<PlanDay, Record<string, number>> {
  return Object.fromEntries(
    PLAN_DAYS.map((d) => [d, Object.fromEntries((r.halfHours[d] ?? []).map((h) => [h.start, h.onPhones]))]),
  ) as Record<PlanDay, Record<string, number>>;
}

/** Every open half-hour of every weekday with `n` operators (those on the phones now). */
function fill(
  roster: Record<PlanDay, Record<string, number>>,
  r: StaffingReport,
  n: number,
): Record<PlanDay, Record<string, number>> {
  const out = { ...roster };
  for (const d of PLAN_DAYS) out[d] = Object.fromEntries((r.halfHours[d] ?? []).map((h) => [h.start, n]));
  return out;
}
