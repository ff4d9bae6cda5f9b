import { useEffect, useRef, useState } from 'preact/hooks';
import NavigatedViewer from 'camunda-bpmn-js/lib/camunda-platform/NavigatedViewer';
import { api, query } from '../api';
import { Problem } from '../components/problem';
import { useFilters } from '../router';
import { processLabel } from '../tasks';

/** The shapes of `GET /api/process-kpis` and `GET /api/process-kpis/:id/elements`. */
interface Percentiles {
  p50: number | null;
  p90: number | null;
  p95: number | null;
}
interface VersionRow {
  processDefinitionId: string;
  key: string;
  name: string | null;
  version: number;
  started: number;
  completed: number;
  canceled: number;
  running: number;
  withIncidents: number;
  withOpenIncidents: number;
  durationMs: Percentiles;
  businessHours: Percentiles;
}
interface ElementRow {
  activityId: string;
  name: string | null;
  type: string;
  count: number;
  waitingNow: number;
  medianMs: number | null;
  p90Ms: number | null;
  longestWaitingMs: number | null;
  incidents: number;
  openIncidents: number;
  incidentRate: number | null;
}
interface ElementsReport {
  definition: { processDefinitionId: string; key: string; name: string | null; version: number };
  instances: number;
  computedAt: string;
  items: ElementRow[];
}

type Metric = 'medianMs' | 'p90Ms';
const METRIC_LABELS: Record<Metric, string> = { medianMs: 'mediana', p90Ms: '90° percentile' };

const TYPE_LABELS: Record<string, string> = {
  startEvent: 'Evento di inizio',
  messageStartEvent: 'Inizio su messaggio',
  startTimerEvent: 'Inizio a tempo',
  noneEndEvent: 'Evento di fine',
  endEvent: 'Evento di fine',
  errorEndEvent: 'Fine con errore',
  terminateEndEvent: 'Fine con terminazione',
  userTask: 'Compito utente',
  serviceTask: 'Attività di servizio',
  externalTask: 'Attività esterna',
  scriptTask: 'Script',
  businessRuleTask: 'Regola di business',
  sendTask: 'Invio',
  receiveTask: 'Ricezione',
  callActivity: 'Sottoprocesso richiamato',
  subProcess: 'Sottoprocesso',
  multiInstanceBody: 'Ripetizione multipla',
  exclusiveGateway: 'Gateway esclusivo',
  parallelGateway: 'Gateway parallelo',
  inclusiveGateway: 'Gateway inclusivo',
  eventBasedGateway: 'Gateway a eventi',
  intermediateTimer: 'Attesa a tempo',
  intermediateMessageCatch: 'Attesa di messaggio',
  intermediateSignalCatch: 'Attesa di segnale',
  boundaryTimer: 'Timer di confine',
  boundaryMessage: 'Messaggio di confine',
  boundaryError: 'Errore di confine',
};
const typeLabel = (t: string) => TYPE_LABELS[t] ?? t;

const decimal = new Intl.NumberFormat('it-IT', { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('it-IT', { style: 'percent', maximumFractionDigits: 1 });

/** "850 ms", "1,2 s", "3 min 20 s", "2 h 15 min", "3 g 4 h". */
function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${decimal.format(s)} s`;
  const totalS = Math.round(s);
  const min = Math.floor(totalS / 60);
  if (min < 60) return totalS % 60 ? `${min} min ${totalS % 60} s` : `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  return h % 24 ? `${Math.floor(h / 24)} g ${h % 24} h` : `${Math.floor(h / 24)} g`;
}
/** Business hours as a duration of working time. */
const workingTime = (hours: number | null) => (hours === null ? '—' : duration(hours * 3_600_000));
const rate = (r: number | null) => (r === null ? '—' : percent.format(r));

/** The heat scale: five steps from pale yellow to dark red, each with a readable text colour. */
const STEPS = [
  { fill: '#ffffcc', text: '#1f2328' },
  { fill: '#ffeda0', text: '#1f2328' },
  { fill: '#feb24c', text: '#1f2328' },
  { fill: '#f03b20', text: '#1f2328' },
  { fill: '#99000d', text: '#ffffff' },
] as const;
const stepOf = (value: number | null, max: number): number => {
  if (value === null || max <= 0) return 0;
  return Math.min(STEPS.length - 1, Math.floor((value / max) * STEPS.length));
};

const versionLabel = (r: { key: string; version: number }) => `${processLabel(r.key)} v${r.version}`;

/** The overlay's text for one element: readable without the colour. */
function overlayLines(e: ElementRow): string[] {
  const lines = [`${e.count}× · med ${duration(e.medianMs)} · p90 ${duration(e.p90Ms)}`];
  const more: string[] = [];
  if (e.waitingNow > 0) more.push(`in attesa ${e.waitingNow}`);
  if (e.incidents > 0) more.push(`incidenti ${rate(e.incidentRate)}`);
  if (more.length) lines.push(more.join(' · '));
  return lines;
}

interface Overlays {
  add(id: string, type: string, o: { position: Record<string, number>; html: HTMLElement; scale?: unknown }): void;
}
interface ShapeLike {
  type: string;
  width: number;
  height: number;
  waypoints?: unknown;
}

/** The version's diagram, each element tinted by its wait and labelled with its figures. */
function HeatDiagram(props: {
  xml: string | undefined;
  items: ElementRow[];
  metric: Metric;
  max: number;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!host.current || !props.xml) return;
    const viewer = new NavigatedViewer({ container: host.current });
    let alive = true;
    viewer
      .importXML(props.xml)
      .then(() => {
        if (!alive) return;
        const canvas = viewer.get<{ zoom(m: string | number, center?: 'auto'): number }>('canvas');
        const registry = viewer.get<{ get(id: string): ShapeLike | undefined }>('elementRegistry');
        const overlays = viewer.get<Overlays>('overlays');
        // A margin around the fitted diagram for the labels under the outermost elements.
        canvas.zoom(canvas.zoom('fit-viewport', 'auto') * 0.8, 'auto');
        for (const e of props.items) {
          const shape = registry.get(e.activityId);
          if (!shape || shape.waypoints) continue;
          const step = STEPS[stepOf(e[props.metric], props.max)] ?? STEPS[0];
          const tint = document.createElement('div');
          tint.className = 'kpi-heat-tint';
          Object.assign(tint.style, {
            width: `${shape.width}px`,
            height: `${shape.height}px`,
            background: step.fill,
            opacity: '0.55',
            pointerEvents: 'none',
            borderRadius: /Event$/.test(shape.type) ? '50%' : /Gateway$/.test(shape.type) ? '0' : '10px',
            clipPath: /Gateway$/.test(shape.type) ? 'polygon(50% 0, 100% 50%, 50% 100%, 0 50%)' : '',
          });
          overlays.add(e.activityId, 'kpi-heat', { position: { top: 0, left: 0 }, html: tint });
          const label = document.createElement('div');
          label.className = 'kpi-heat-label';
          label.dataset['elementId'] = e.activityId;
          Object.assign(label.style, {
            background: step.fill,
            color: step.text,
            border: '1px solid #5c6670',
            borderRadius: '3px',
            padding: '1px 4px',
            font: '11px/1.3 system-ui, sans-serif',
            whiteSpace: 'nowrap',
            pointerEvents: 'none',
          });
          for (const line of overlayLines(e)) {
            const l = document.createElement('div');
            l.textContent = line;
            label.append(l);
          }
          overlays.add(e.activityId, 'kpi-heat', {
            position: { bottom: -4, left: 0 },
            html: label,
            scale: { min: 0.8 },
          });
        }
      })
      .catch((err: Error) => setError(err.message));
    return () => {
      alive = false;
      viewer.destroy();
    };
  }, [props.xml, props.items, props.metric, props.max]);
  if (!props.xml) return <p class="muted">Diagramma non disponibile.</p>;
  return (
    <figure class="diagram-figure" style={{ minWidth: 0 }}>
      <div class="diagram" ref={host} role="img" aria-label={props.label} style={{ height: '460px' }} />
      {error && <p class="alert alert-error">{error}</p>}
    </figure>
  );
}

function Legend({ metric, max }: { metric: Metric; max: number }) {
  const bound = (i: number) => duration((max * i) / STEPS.length);
  return (
    <div aria-label="Legenda dei colori" role="group">
      <p class="muted">
        Colore secondo la {METRIC_LABELS[metric]} del tempo passato in ogni elemento (scala comune alle versioni
        mostrate; massimo {duration(max)}). Sul diagramma: passaggi, mediana, 90° percentile, token in attesa ora e
        tasso di incidenti.
      </p>
      <ul style={{ display: 'flex', flexWrap: 'wrap', gap: '0.75rem', listStyle: 'none', padding: 0 }}>
        {STEPS.map((s, i) => (
          <li key={s.fill} style={{ display: 'flex', alignItems: 'center', gap: '0.3rem' }}>
            <span
              aria-hidden="true"
              style={{
                display: 'inline-block',
                width: '1.1rem',
                height: '1.1rem',
                background: s.fill,
                border: '1px solid #5c6670',
              }}
            />
            {i === STEPS.length - 1 ? `da ${bound(i)}` : `${i === 0 ? 'fino a' : `${bound(i)} –`} ${bound(i + 1)}`}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ElementsTable({ report }: { report: ElementsReport }) {
  const label = `Elementi di ${versionLabel(report.definition)}`;
  return (
    <div style={{ minWidth: 0 }}>
      <p class="muted">
        Ordinati per 90° percentile del tempo passato nell'elemento, su {report.instances} istanze avviate nel periodo.
      </p>
      <div role="region" aria-label={label} tabIndex={0} style={{ overflowX: 'auto' }}>
        <table class="list" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Elemento</th>
              <th scope="col">Tipo</th>
              <th scope="col">Passaggi</th>
              <th scope="col">In attesa ora</th>
              <th scope="col">Mediana</th>
              <th scope="col">90° percentile</th>
              <th scope="col">Attesa in corso più lunga</th>
              <th scope="col">Incidenti (aperti)</th>
              <th scope="col">Tasso di incidenti</th>
            </tr>
          </thead>
          <tbody>
            {report.items.length === 0 && (
              <tr>
                <td colSpan={9}>Nessun passaggio nel periodo.</td>
              </tr>
            )}
            {report.items.map((e) => (
              <tr key={e.activityId} data-element-id={e.activityId}>
                <th scope="row">
                  {e.name ?? <code>{e.activityId}</code>}
                  {e.name && (
                    <>
                      {' '}
                      <code class="muted">{e.activityId}</code>
                    </>
                  )}
                </th>
                <td>{typeLabel(e.type)}</td>
                <td>{e.count}</td>
                <td>{e.waitingNow}</td>
                <td>{duration(e.medianMs)}</td>
                <td>{duration(e.p90Ms)}</td>
                <td>{duration(e.longestWaitingMs)}</td>
                <td>
                  {e.incidents} ({e.openIncidents})
                </td>
                <td>{rate(e.incidentRate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** One version: its figures per element and its diagram; loaded when chosen. */
function useVersion(id: string | undefined, period: { from?: string | undefined; to?: string | undefined }) {
  const [state, setState] = useState<{ id: string; report?: ElementsReport; xml?: string; error?: unknown }>();
  useEffect(() => {
    if (!id) {
      setState(undefined);
      return;
    }
    let alive = true;
    setState({ id });
    Promise.all([
      api<ElementsReport>(`/api/process-kpis/${encodeURIComponent(id)}/elements${query(period)}`),
      api<string>(`/api/process-definitions/${encodeURIComponent(id)}/xml`, { text: true }),
    ]).then(
      ([report, xml]) => alive && setState({ id, report, xml }),
      (error: unknown) => alive && setState({ id, error }),
    );
    return () => {
      alive = false;
    };
  }, [id, period.from, period.to]);
  return state?.id === id ? state : undefined;
}

/**
 * Process KPIs (K5): per process and version, instances and durations; for one or two chosen
 * versions, the diagram with where tokens wait longest, and the same figures in a table.
 */
export function ProcessKpisPage() {
  const { filters: f, setFilter } = useFilters();
  const [rows, setRows] = useState<VersionRow[]>();
  const [keys, setKeys] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const period = { from: f.from, to: f.to };
  const metric: Metric = f.metric === 'p90Ms' ? 'p90Ms' : 'medianMs';

  useEffect(() => {
    let alive = true;
    api<{ items: VersionRow[] }>(`/api/process-kpis${query({ process: f.process, from: f.from, to: f.to })}`).then(
      (r) => {
        if (!alive) return;
        setRows(r.items);
        setKeys((known) => [...new Set([...known, ...r.items.map((i) => i.key)])].sort());
        setError(undefined);
      },
      (e: unknown) => alive && setError(e),
    );
    return () => {
      alive = false;
    };
  }, [f.process, f.from, f.to]);

  const first = useVersion(f.a, period);
  const second = useVersion(f.b && f.b !== f.a ? f.b : undefined, period);
  const shown = [first, second].filter((v): v is NonNullable<typeof v> => v !== undefined);
  const max = Math.max(0, ...shown.flatMap((v) => (v.report?.items ?? []).map((e) => e[metric] ?? 0)));
  const versions = rows ?? [];
  const choose = (name: 'a' | 'b', id: string) => setFilter(name, id);

  return (
    <section>
      <h1 tabIndex={-1}>Indicatori di processo</h1>
      <p class="muted">
        Dallo storico del motore dei processi: istanze avviate nel periodo, come sono finite, quanto sono durate, e dove
        i token aspettano di più. Lo storico resta per il tempo di conservazione di ogni processo (180 giorni).
      </p>
      <form class="filters" aria-label="Filtri degli indicatori" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="pk-process">Processo</label>
          <select id="pk-process" value={f.process ?? ''} onChange={(e) => setFilter('process', e.currentTarget.value)}>
            <option value="">Tutti</option>
            {[...new Set([...keys, ...(f.process ? [f.process] : [])])].map((k) => (
              <option key={k} value={k}>
                {processLabel(k)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="pk-from">Avviate dal</label>
          <input
            id="pk-from"
            type="date"
            value={f.from ?? ''}
            onChange={(e) => setFilter('from', e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="pk-to">al</label>
          <input id="pk-to" type="date" value={f.to ?? ''} onChange={(e) => setFilter('to', e.currentTarget.value)} />
        </div>
      </form>
      <Problem error={error} />
      {rows === undefined && !error ? (
        <p aria-busy="true">Caricamento…</p>
      ) : versions.length === 0 ? (
        <p class="empty">Nessun processo distribuito con questi criteri.</p>
      ) : (
        <div role="region" aria-label="Indicatori per versione" tabIndex={0} style={{ overflowX: 'auto' }}>
          <table class="list" aria-label="Indicatori per processo e versione">
            <thead>
              <tr>
                <th scope="col" rowSpan={2}>
                  Processo
                </th>
                <th scope="col" rowSpan={2}>
                  Versione
                </th>
                <th scope="col" rowSpan={2}>
                  Avviate
                </th>
                <th scope="col" rowSpan={2}>
                  Concluse
                </th>
                <th scope="col" rowSpan={2}>
                  Annullate
                </th>
                <th scope="col" rowSpan={2}>
                  In corso
                </th>
                <th scope="col" rowSpan={2}>
                  Con incidenti (aperti ora)
                </th>
                <th scope="colgroup" colSpan={3}>
                  Durata delle concluse
                </th>
                <th scope="colgroup" colSpan={3}>
                  Durata in orario lavorativo
                </th>
                <th scope="col" rowSpan={2}>
                  Diagramma
                </th>
              </tr>
              <tr>
                <th scope="col">p50</th>
                <th scope="col">p90</th>
                <th scope="col">p95</th>
                <th scope="col">p50</th>
                <th scope="col">p90</th>
                <th scope="col">p95</th>
              </tr>
            </thead>
            <tbody>
              {versions.map((r) => (
                <tr
                  key={r.processDefinitionId}
                  data-definition-id={r.processDefinitionId}
                  aria-current={r.processDefinitionId === f.a || r.processDefinitionId === f.b ? 'true' : undefined}
                >
                  <th scope="row">{processLabel(r.key)}</th>
                  <td>v{r.version}</td>
                  <td>{r.started}</td>
                  <td>{r.completed}</td>
                  <td>{r.canceled}</td>
                  <td>{r.running}</td>
                  <td>
                    {r.withIncidents} ({r.withOpenIncidents})
                  </td>
                  <td>{duration(r.durationMs.p50)}</td>
                  <td>{duration(r.durationMs.p90)}</td>
                  <td>{duration(r.durationMs.p95)}</td>
                  <td>{workingTime(r.businessHours.p50)}</td>
                  <td>{workingTime(r.businessHours.p90)}</td>
                  <td>{workingTime(r.businessHours.p95)}</td>
                  <td style={{ whiteSpace: 'nowrap' }}>
                    <button
                      type="button"
                      aria-label={`Esamina ${versionLabel(r)}`}
                      onClick={() => choose('a', r.processDefinitionId)}
                    >
                      Esamina
                    </button>{' '}
                    <button
                      type="button"
                      aria-label={`Confronta con ${versionLabel(r)}`}
                      disabled={!f.a || f.a === r.processDefinitionId}
                      onClick={() => choose('b', r.processDefinitionId)}
                    >
                      Confronta
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {versions.length > 0 && (
        <form class="filters" aria-label="Versioni sul diagramma" onSubmit={(e) => e.preventDefault()}>
          <div>
            <label for="pk-a">Versione</label>
            <select id="pk-a" value={f.a ?? ''} onChange={(e) => setFilter('a', e.currentTarget.value)}>
              <option value="">Scegli…</option>
              {versions.map((r) => (
                <option key={r.processDefinitionId} value={r.processDefinitionId}>
                  {versionLabel(r)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="pk-b">Confronta con</label>
            <select id="pk-b" value={f.b ?? ''} onChange={(e) => setFilter('b', e.currentTarget.value)}>
              <option value="">Nessuna</option>
              {versions
                .filter((r) => r.processDefinitionId !== f.a)
                .map((r) => (
                  <option key={r.processDefinitionId} value={r.processDefinitionId}>
                    {versionLabel(r)}
                  </option>
                ))}
            </select>
          </div>
          <fieldset>
            <legend>Colore secondo</legend>
            {(['medianMs', 'p90Ms'] as const).map((m) => (
              <label key={m} style={{ marginRight: '1rem' }}>
                <input
                  type="radio"
                  name="pk-metric"
                  value={m}
                  checked={metric === m}
                  onChange={() => setFilter('metric', m === 'medianMs' ? '' : m)}
                />{' '}
                {METRIC_LABELS[m]}
              </label>
            ))}
          </fieldset>
        </form>
      )}

      {shown.length > 0 && (
        <section aria-labelledby="pk-diagrams">
          <h2 id="pk-diagrams">Dove i token aspettano di più</h2>
          <Legend metric={metric} max={max} />
          <div class={shown.length === 2 ? 'diff-panes' : undefined} data-testid="kpi-panes">
            {shown.map((v) => (
              // min-width 0: a pane shrinks to its half and its table scrolls, not the page.
              <div key={v.id} data-definition-id={v.id} style={{ minWidth: 0 }}>
                {v.error ? (
                  <Problem error={v.error} />
                ) : !v.report ? (
                  <p aria-busy="true">Caricamento…</p>
                ) : (
                  <>
                    <h3>{versionLabel(v.report.definition)}</h3>
                    <div class={shown.length === 1 ? 'two-columns' : undefined}>
                      <HeatDiagram
                        xml={v.xml}
                        items={v.report.items}
                        metric={metric}
                        max={max}
                        label={`Diagramma di ${versionLabel(v.report.definition)} con i tempi di attesa per elemento`}
                      />
                      <ElementsTable report={v.report} />
                    </div>
                  </>
                )}
              </div>
            ))}
          </div>
        </section>
      )}
    </section>
  );
}
