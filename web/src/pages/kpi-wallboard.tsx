import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api';
import { Chart } from '../components/chart';
import { Problem } from '../components/problem';
import { thresholdLabel } from '../components/sla-table';
import { useFilters } from '../router';
import {
  clock,
  getDefinitions,
  KPI_LINE_LABELS,
  KPI_LINES,
  lineOf,
  num,
  pct,
  waitLabel,
  type KpiDefinitions,
  type KpiLine,
  type Wallboard,
  type WallboardWindow,
} from '../kpi';
import { label, QUEUE_LABELS } from '../voice';

type Connection = 'connecting' | 'live' | 'lost';

/** How often, at most, the screen-reader summary is spoken again. */
const ANNOUNCE_EVERY_MS = 30_000;
/** After the browser gives the stream up (an error answer), how long before it is opened again. */
const REOPEN_MS = 5000;

/**
 * The line's wallboard, live: the current one at once, then each one the server pushes
 * (`event: wallboard`). The browser reconnects a dropped stream by itself; a stream it gave
 * up on (an error answer) is opened again after a pause, with one plain read meanwhile.
 */
function useWallboard(line: KpiLine) {
  const [board, setBoard] = useState<Wallboard>();
  const [receivedAt, setReceivedAt] = useState(0);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let alive = true;
    let source: EventSource | undefined;
    let reopen: number | undefined;
    setBoard(undefined);
    setConnection('connecting');
    const accept = (b: Wallboard) => {
      if (!alive || b.line !== line) return;
      setBoard(b);
      setReceivedAt(Date.now());
      setError(undefined);
    };
    const readOnce = () =>
      api<Wallboard>(`/api/kpi/wallboard?line=${line}`).then(accept, (err: unknown) => {
        if (alive) setError(err);
      });
    const open = () => {
      if (!alive) return;
      const s = new EventSource(`/api/kpi/wallboard/stream?line=${line}`);
      source = s;
      s.addEventListener('open', () => {
        if (alive) setConnection('live');
      });
      s.addEventListener('wallboard', (e) => {
        try {
          accept(JSON.parse((e as MessageEvent<string>).data) as Wallboard);
          if (alive) setConnection('live');
        } catch {
          // A malformed event: the next one replaces it.
        }
      });
      s.addEventListener('error', () => {
        if (!alive) return;
        setConnection('lost');
        if (s.readyState === EventSource.CLOSED) {
          s.close();
          void readOnce();
          reopen = window.setTimeout(open, REOPEN_MS);
        }
      });
    };
    void readOnce();
    open();
    return () => {
      alive = false;
      source?.close();
      window.clearTimeout(reopen);
    };
  }, [line]);
  return { board, receivedAt, connection, error };
}

/** The spoken summary: the few figures a supervisor listens for, not every change. */
function summary(b: Wallboard): string {
  return [
    `${KPI_LINE_LABELS[b.line]}: ${b.now.waiting === 1 ? '1 chiamata' : `${b.now.waiting} chiamate`} in coda`,
    `${b.now.operatorsActive} operatori attivi`,
    `risposte entro 20 secondi oggi ${pct(b.today.answeredWithinPct)}`,
  ].join(', ');
}

/** Speaks the summary when it changed, at most every 30 s (the latest one, once the pause is over). */
function useAnnouncement(board: Wallboard | undefined): string {
  const [spoken, setSpoken] = useState('');
  const last = useRef({ text: '', at: 0 });
  const timer = useRef<number>();
  useEffect(() => {
    if (!board) return;
    const text = summary(board);
    window.clearTimeout(timer.current);
    if (text === last.current.text) return;
    const say = () => {
      last.current = { text, at: Date.now() };
      setSpoken(text);
    };
    const wait = last.current.at + ANNOUNCE_EVERY_MS - Date.now();
    if (wait <= 0) say();
    else timer.current = window.setTimeout(say, wait);
  }, [board]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return spoken;
}

function useFullScreen(el: { current: HTMLElement | null }) {
  const [on, setOn] = useState(false);
  useEffect(() => {
    const changed = () => setOn(document.fullscreenElement !== null && document.fullscreenElement === el.current);
    document.addEventListener('fullscreenchange', changed);
    return () => document.removeEventListener('fullscreenchange', changed);
  }, []);
  const toggle = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    else void el.current?.requestFullscreen().catch(() => undefined);
  };
  return { on, toggle, available: typeof document !== 'undefined' && document.fullscreenEnabled };
}

const WINDOWS: { key: keyof Wallboard['windows']; label: string }[] = [
  { key: 'lastServiceHour', label: 'Ultima ora di servizio' },
  { key: 'week', label: 'Ultima settimana' },
  { key: 'month', label: 'Ultimo mese' },
];

const WINDOW_ROWS: { label: string; value: (w: WallboardWindow) => string; id: string }[] = [
  { id: 'accepted', label: 'Chiamate accettate', value: (w) => num(w.accepted, 0) },
  { id: 'refused', label: 'Chiamate rifiutate (linee occupate)', value: (w) => num(w.refused, 0) },
  { id: 'lost', label: 'Chiamate perse', value: (w) => num(w.lost, 0) },
  { id: 'wait', label: 'Attesa media', value: (w) => waitLabel(w.averageWaitS) },
  { id: 'operators', label: 'Operatori attivi in media', value: (w) => num(w.averageOperatorsActive, 1) },
];

/** A figure against its threshold, in words (the colour only repeats it). */
function Against(props: { value: number | null; comparison: 'min' | 'max'; threshold: number | undefined }) {
  if (props.value === null || props.threshold === undefined) return <span class="kpi-against">nessun dato</span>;
  const ok = props.comparison === 'min' ? props.value >= props.threshold : props.value <= props.threshold;
  return (
    <span class={`kpi-against ${ok ? 'kpi-against-ok' : 'kpi-against-ko'}`}>
      {ok ? 'entro la soglia' : 'fuori soglia'} (
      {thresholdLabel({ comparison: props.comparison, thresholdPct: props.threshold })})
    </span>
  );
}

function Tile(props: { title: string; value: string; testId: string; children?: ComponentChildren }) {
  return (
    <div class="kpi-tile" data-testid={props.testId}>
      <span class="kpi-tile-label">{props.title}</span>
      <span class="kpi-big" data-value>
        {props.value}
      </span>
      {props.children && <span class="kpi-tile-note">{props.children}</span>}
    </div>
  );
}

/**
 * Cruscotto (K2, §5.1): per line, live without reloading — calls refused, accepted and lost
 * and the average wait over the last service hour, week and month; the calls queued now and
 * the longest wait; the operators active now and on average; the arrival rate by hour against
 * the seed's curve; today's service level. Big figures for a wall screen, a full-screen mode,
 * every control reachable by keyboard, and a short spoken summary at most every 30 s.
 */
export function WallboardPage() {
  const { filters: f, setFilter } = useFilters();
  const line = lineOf(f.line);
  const { board, receivedAt, connection, error } = useWallboard(line);
  const [defs, setDefs] = useState<KpiDefinitions>();
  const root = useRef<HTMLElement>(null);
  const full = useFullScreen(root);
  const spoken = useAnnouncement(board);
  const [, setTick] = useState(0);

  useEffect(() => {
    getDefinitions().then(
      (d) => setDefs(d.current),
      () => undefined,
    );
  }, []);
  // The longest wait grows between pushes: the page counts it on each second while calls wait.
  const waiting = (board?.now.waiting ?? 0) > 0;
  useEffect(() => {
    if (!waiting) return;
    const t = window.setInterval(() => setTick((n) => n + 1), 1000);
    return () => window.clearInterval(t);
  }, [waiting]);
  const grown = (s: number | null) => (s === null ? null : s + Math.max(0, (Date.now() - receivedAt) / 1000));

  const within = defs?.sla['answered-within-20s'];
  const lost = defs?.sla['lost-calls'];
  return (
    <section class={`kpi-wallboard${full.on ? ' kpi-wallboard-full' : ''}`} ref={root} aria-labelledby="wb-title">
      <div class="kpi-wall-head">
        <h1 tabIndex={-1} id="wb-title">
          Cruscotto · {KPI_LINE_LABELS[line]}
        </h1>
        <div class="kpi-line-switch" role="group" aria-label="Linea">
          {KPI_LINES.map((l) => (
            <button
              key={l}
              type="button"
              aria-pressed={l === line}
              class={l === line ? 'primary' : undefined}
              onClick={() => setFilter('line', l)}
            >
              {KPI_LINE_LABELS[l]}
            </button>
          ))}
        </div>
        {full.available && (
          <button type="button" onClick={full.toggle} aria-pressed={full.on}>
            {full.on ? 'Esci dallo schermo intero' : 'Schermo intero'}
          </button>
        )}
        <div class="kpi-wall-status">
          <span role="status" class={`kpi-connection kpi-connection-${connection}`} data-testid="connection">
            <span aria-hidden="true">{connection === 'live' ? '● ' : connection === 'lost' ? '▲ ' : '○ '}</span>
            {connection === 'live'
              ? 'In tempo reale'
              : connection === 'lost'
                ? 'Connessione persa, riconnessione…'
                : 'Connessione…'}
          </span>{' '}
          <span data-testid="updated-at">{board ? `Dati delle ${clock(board.at)}` : ''}</span>
        </div>
      </div>
      <p class="visually-hidden" aria-live="polite" data-testid="announcement">
        {spoken}
      </p>
      <Problem error={error} />
      {!board ? (
        <p aria-busy="true">Caricamento…</p>
      ) : (
        <>
          <h2>Adesso</h2>
          <div class="kpi-tiles">
            <Tile title="Chiamate in coda" value={num(board.now.waiting, 0)} testId="now-waiting">
              nel risponditore (IVR): {num(board.now.inIvr, 0)}
            </Tile>
            <Tile title="Attesa più lunga" value={waitLabel(grown(board.now.longestWaitS))} testId="now-longest" />
            <Tile title="Operatori attivi" value={num(board.now.operatorsActive, 0)} testId="now-operators">
              disponibili: {num(board.now.operatorsAvailable, 0)}
            </Tile>
            <Tile
              title="Risposte entro 20 s, oggi"
              value={pct(board.today.answeredWithinPct)}
              testId="today-answered-within"
            >
              <Against value={board.today.answeredWithinPct} comparison="min" threshold={within?.thresholdPct} /> ·{' '}
              {num(board.today.offered, 0)} chiamate offerte
            </Tile>
            <Tile title="Chiamate perse, oggi" value={pct(board.today.lostPct)} testId="today-lost">
              <Against value={board.today.lostPct} comparison="max" threshold={lost?.thresholdPct} /> ·{' '}
              {num(board.today.lost, 0)} perse
            </Tile>
          </div>

          {board.now.queues.length > 0 && (
            <table class="list kpi-wall-table" aria-label="Code adesso">
              <thead>
                <tr>
                  <th scope="col">Coda</th>
                  <th scope="col" class="kpi-num">
                    In attesa
                  </th>
                  <th scope="col" class="kpi-num">
                    Attesa più lunga
                  </th>
                </tr>
              </thead>
              <tbody>
                {board.now.queues.map((q) => (
                  <tr key={q.queue} data-queue={q.queue}>
                    <th scope="row">{label(QUEUE_LABELS, q.queue)}</th>
                    <td class="kpi-num">{num(q.waiting, 0)}</td>
                    <td class="kpi-num">{waitLabel(grown(q.longestWaitS))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <h2>Chiamate e operatori nel tempo</h2>
          <table class="list kpi-wall-table" aria-label="Chiamate e operatori per periodo" data-testid="windows">
            <thead>
              <tr>
                <th scope="col">Indicatore</th>
                {WINDOWS.map((w) => (
                  <th key={w.key} scope="col" class="kpi-num">
                    {w.label}
                    <span class="kpi-window-span">
                      {w.key === 'lastServiceHour'
                        ? `${clock(board.windows[w.key].from).slice(0, 5)}–${clock(board.windows[w.key].to).slice(0, 5)}`
                        : w.key === 'week'
                          ? '7 giorni'
                          : '30 giorni'}
                    </span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {WINDOW_ROWS.map((r) => (
                <tr key={r.id} data-row={r.id}>
                  <th scope="row">{r.label}</th>
                  {WINDOWS.map((w) => (
                    <td key={w.key} class="kpi-num kpi-mid" data-window={w.key}>
                      {r.value(board.windows[w.key])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>

          <h2>Tasso di arrivo per ora</h2>
          <p class="muted">
            Chiamate in arrivo per ora del giorno, in media sui giorni di servizio degli ultimi 30 giorni, accanto alla
            curva di traffico del capitolato per lo stesso mese.
          </p>
          <Chart
            title={`Tasso di arrivo per ora, ${KPI_LINE_LABELS[line]}`}
            xLabel="Ora"
            yLabel="Chiamate/ora"
            x={board.arrivalRate.map((a) => `${String(a.hour).padStart(2, '0')}:00`)}
            large={full.on}
            height={full.on ? 360 : 280}
            testId="arrival-chart"
            series={[
              {
                label: 'Media degli ultimi 30 giorni',
                values: board.arrivalRate.map((a) => a.average),
                stroke: '#0b4f8a',
              },
              {
                label: 'Curva del capitolato',
                values: board.arrivalRate.map((a) => a.seed),
                stroke: '#b54708',
                dash: [10, 6],
              },
            ]}
          />
          <p class="muted">Definizioni: versione {board.definitionsVersion}.</p>
        </>
      )}
    </section>
  );
}
