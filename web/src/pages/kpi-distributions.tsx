import { useEffect, useState } from 'preact/hooks';
import { LineSelect } from '../components/line-select';
import { api, query } from '../api';
import { Chart, SERIES_STYLES, type ChartSeries } from '../components/chart';
import { Problem } from '../components/problem';
import { useFilters } from '../router';
import {
  addDays,
  BUCKET_LABELS,
  bucketLabel,
  DISTRIBUTION_BUCKETS,
  CHANNEL_LABELS,
  isDay,
  lineOf,
  num,
  pct,
  today,
  waitLabel,
  type Distribution,
  type DistributionBucket,
  type DistributionRow,
} from '../kpi';
import { label, QUEUE_LABELS, REQUEST_TYPE_LABELS } from '../voice';

type Column = {
  key: keyof Omit<DistributionRow, 'key'>;
  label: string;
  format: (v: number | null) => string;
  /** Counts add up to a total; averages and rates do not. */
  sum?: boolean;
};

const count = (v: number | null) => num(v, 0);
const average = (v: number | null) => num(v, 2);

/** Every column of a distribution row, with its Italian heading. */
const COLUMNS: Column[] = [
  { key: 'inbound', label: 'Chiamate in entrata', format: count, sum: true },
  { key: 'answered', label: 'Contatti in entrata con risposta', format: count, sum: true },
  { key: 'outbound', label: 'Chiamate in uscita', format: count, sum: true },
  { key: 'outboundAnswered', label: 'Chiamate in uscita con risposta', format: count, sum: true },
  { key: 'averageTalkS', label: 'Durata media della conversazione', format: waitLabel },
  { key: 'firstContactResolutionPct', label: 'Risolte al primo contatto', format: pct },
  { key: 'abandonedWithin20s', label: 'Abbandonate entro 20 s', format: count, sum: true },
  { key: 'abandonedAfter20s', label: 'Abbandonate dopo 20 s', format: count, sum: true },
  { key: 'busy', label: 'Rifiutate (linee occupate)', format: count, sum: true },
  { key: 'averageWaitingInQueue', label: 'Chiamate in coda in media', format: average },
  { key: 'averageInIvr', label: 'Chiamate nel risponditore (IVR) in media', format: average },
  { key: 'averageOperatorsActive', label: 'Operatori attivi in media', format: average },
  { key: 'operatorLoadPct', label: 'Carico degli operatori', format: pct },
];
const column = (k: Column['key']) => COLUMNS.find((c) => c.key === k) as Column;

/** The charts: which columns each draws. */
const CHARTS: { title: string; yLabel: string; keys: Column['key'][] }[] = [
  { title: 'Chiamate', yLabel: 'Chiamate', keys: ['inbound', 'answered', 'outbound', 'outboundAnswered'] },
  {
    title: 'Chiamate perse e rifiutate',
    yLabel: 'Chiamate',
    keys: ['abandonedWithin20s', 'abandonedAfter20s', 'busy'],
  },
  {
    title: 'Code, risponditore e operatori (valori medi)',
    yLabel: 'Numero medio',
    keys: ['averageWaitingInQueue', 'averageInIvr', 'averageOperatorsActive'],
  },
  {
    title: 'Risoluzione al primo contatto e carico (%)',
    yLabel: '%',
    keys: ['firstContactResolutionPct', 'operatorLoadPct'],
  },
];

const bucketOf = (v: string | undefined): DistributionBucket =>
  (DISTRIBUTION_BUCKETS as readonly string[]).includes(v ?? '') ? (v as DistributionBucket) : 'hour';

/**
 * Statistiche (K1): the §5 parameters of a line and period per hour of the day, weekday, day
 * or month, as charts and a table of every figure; the response time per request type and
 * channel, and the calls waiting per queue.
 */
export function DistributionsPage() {
  const { filters: f, setFilter } = useFilters();
  const [dist, setDist] = useState<Distribution>();
  const [error, setError] = useState<unknown>();
  const to = isDay(f.to) ? f.to : today();
  const from = isDay(f.from) ? f.from : addDays(to, -29);
  const line = lineOf(f.line);
  const by = bucketOf(f.by);
  const q = query({ line, from, to, by });

  useEffect(() => {
    let alive = true;
    api<Distribution>(`/api/kpi/distribution${q}`).then(
      (d) => {
        if (!alive) return;
        setDist(d);
        setError(undefined);
      },
      (err: unknown) => {
        if (!alive) return;
        setDist(undefined);
        setError(err);
      },
    );
    return () => {
      alive = false;
    };
  }, [q]);

  const xs = dist ? dist.rows.map((r) => bucketLabel(dist.by, r.key)) : [];
  const seriesOf = (keys: Column['key'][]): ChartSeries[] =>
    keys.map((k, i) => {
      const c = column(k);
      const style = SERIES_STYLES[i % SERIES_STYLES.length] ?? { stroke: '#0b4f8a', dash: [] };
      return { label: c.label, values: (dist?.rows ?? []).map((r) => r[k]), format: c.format, ...style };
    });

  return (
    <section>
      <h1 tabIndex={-1}>Statistiche</h1>
      <form class="filters" aria-label="Linea, periodo e raggruppamento" onSubmit={(e) => e.preventDefault()}>
        <LineSelect id="d-line" value={line} onChange={(v) => setFilter('line', v)} />
        <div>
          <label for="d-from">Dal</label>
          <input id="d-from" type="date" value={from} onChange={(e) => setFilter('from', e.currentTarget.value)} />
        </div>
        <div>
          <label for="d-to">al</label>
          <input id="d-to" type="date" value={to} onChange={(e) => setFilter('to', e.currentTarget.value)} />
        </div>
        <div>
          <label for="d-by">Raggruppa per</label>
          <select id="d-by" value={by} onChange={(e) => setFilter('by', e.currentTarget.value)}>
            {DISTRIBUTION_BUCKETS.map((b) => (
              <option key={b} value={b}>
                {BUCKET_LABELS[b]}
              </option>
            ))}
          </select>
        </div>
      </form>
      <Problem error={error} />
      {!dist && !error && <p aria-busy="true">Caricamento…</p>}
      {dist && dist.rows.length === 0 && <p class="empty">Nessun contatto nel periodo.</p>}
      {dist && dist.rows.length > 0 && (
        <>
          <div class="kpi-charts">
            {CHARTS.map((c) => (
              <Chart
                key={c.title}
                title={`${c.title} per ${BUCKET_LABELS[dist.by].toLowerCase()}`}
                xLabel={BUCKET_LABELS[dist.by]}
                yLabel={c.yLabel}
                x={xs}
                series={seriesOf(c.keys)}
              />
            ))}
          </div>
          <h2>Tutti i valori</h2>
          <div class="table-scroll">
            <table class="list kpi-distribution" aria-label="Parametri per periodo" data-testid="distribution">
              <thead>
                <tr>
                  <th scope="col">{BUCKET_LABELS[dist.by]}</th>
                  {COLUMNS.map((c) => (
                    <th key={c.key} scope="col" class="kpi-num">
                      {c.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {dist.rows.map((r) => (
                  <tr key={r.key} data-key={r.key}>
                    <th scope="row">{bucketLabel(dist.by, r.key)}</th>
                    {COLUMNS.map((c) => (
                      <td key={c.key} class="kpi-num">
                        {c.format(r[c.key])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">Totale</th>
                  {COLUMNS.map((c) => (
                    <td key={c.key} class="kpi-num">
                      {c.sum ? count(dist.rows.reduce((s, r) => s + (r[c.key] ?? 0), 0)) : ''}
                    </td>
                  ))}
                </tr>
              </tfoot>
            </table>
          </div>
        </>
      )}
      {dist && (
        <div class="two-columns">
          <div>
            <h2>Tempo di risposta per tipo di richiesta e canale</h2>
            {dist.responseTimes.length === 0 ? (
              <p class="empty">Nessun contatto in entrata nel periodo.</p>
            ) : (
              <table class="list" aria-label="Tempo di risposta per tipo di richiesta e canale">
                <thead>
                  <tr>
                    <th scope="col">Canale</th>
                    <th scope="col">Tipo di richiesta</th>
                    <th scope="col" class="kpi-num">
                      Contatti
                    </th>
                    <th scope="col" class="kpi-num">
                      Tempo medio di risposta
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {dist.responseTimes.map((r) => (
                    <tr key={`${r.channel}:${r.requestType ?? ''}`}>
                      <th scope="row">{CHANNEL_LABELS[r.channel as keyof typeof CHANNEL_LABELS] ?? r.channel}</th>
                      <td>{r.requestType ? label(REQUEST_TYPE_LABELS, r.requestType) : 'non indicato'}</td>
                      <td class="kpi-num">{num(r.contacts, 0)}</td>
                      <td class="kpi-num">{waitLabel(r.averageResponseS)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div>
            <h2>Attesa per coda</h2>
            {dist.queues.length === 0 ? (
              <p class="empty">Nessuna chiamata in coda nel periodo.</p>
            ) : (
              <table class="list" aria-label="Chiamate in attesa per coda">
                <thead>
                  <tr>
                    <th scope="col">Coda</th>
                    <th scope="col" class="kpi-num">
                      Chiamate in attesa in media
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {dist.queues.map((r) => (
                    <tr key={r.queue}>
                      <th scope="row">{label(QUEUE_LABELS, r.queue)}</th>
                      <td class="kpi-num">{num(r.averageWaiting, 3)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
