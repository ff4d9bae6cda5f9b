import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Problem } from '../components/problem';
import { useFilters } from '../router';
import {
  CALL_STATUS_LABELS,
  FINAL_STATUSES,
  label,
  phone,
  SIMULATOR_LINES,
  transcript,
  usePolling,
  type SimulatedCall,
} from '../voice';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

const DIRECTION_LABELS: Record<string, string> = {
  inbound: 'In entrata',
  'outbound-api': 'Dalla piattaforma (richiamata o sondaggio)',
};

/**
 * The local call simulator (embedded default, without Twilio): a person calls one of the
 * lines, reads what the caller hears, presses keys, speaks, keeps silent or hangs up. Calls
 * the platform places (call-backs, surveys) show up in the list, to be answered here.
 */
export function CallSimulatorPage() {
  const { filters, setFilter } = useFilters();
  const selected = filters['chiamata'];
  const [to, setTo] = useState<string>(SIMULATOR_LINES[0].number);
  const [from, setFrom] = useState('+393331234567');
  const [speech, setSpeech] = useState('');
  const [calls, setCalls] = useState<SimulatedCall[]>();
  const [call, setCall] = useState<SimulatedCall>();
  const [off, setOff] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const loadCalls = async () => {
    try {
      setCalls(await api<SimulatedCall[]>('/api/voice/simulator/calls'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setOff(true);
      else setError(err);
    }
  };
  usePolling(loadCalls, 3000);
  usePolling(
    async () => {
      if (!selected || off) return;
      // An ended call changes no more.
      if (call?.sid === selected && FINAL_STATUSES.has(call.status)) return;
      try {
        setCall(await api<SimulatedCall>(`/api/voice/simulator/calls/${selected}`));
      } catch (err) {
        setError(err);
      }
    },
    500,
    [selected, off],
  );

  const act = async (fn: () => Promise<SimulatedCall>) => {
    setBusy(true);
    setError(undefined);
    try {
      const c = await fn();
      setCall(c);
      return c;
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const place = async (e: Event) => {
    e.preventDefault();
    const c = await act(() => api<SimulatedCall>('/api/voice/simulator/calls', { method: 'POST', body: { from, to } }));
    if (c) {
      setFilter('chiamata', c.sid);
      void loadCalls();
    }
  };
  const on = (what: string, body?: unknown) =>
    act(() =>
      api<SimulatedCall>(`/api/voice/simulator/calls/${selected ?? ''}/${what}`, {
        method: 'POST',
        ...(body === undefined ? {} : { body }),
      }),
    );
  const speak = async (e: Event) => {
    e.preventDefault();
    if (await on('speak', { text: speech })) setSpeech('');
  };

  if (off) {
    return (
      <section>
        <h1 tabIndex={-1}>Simulatore chiamate</h1>
        <div class="alert alert-warn" role="status">
          <strong>Il simulatore è spento</strong>
          <p>Questa installazione usa Twilio: le chiamate arrivano dai numeri reali delle linee.</p>
        </div>
      </section>
    );
  }
  const shown = call && call.sid === selected ? call : undefined;
  const ended = shown ? FINAL_STATUSES.has(shown.status) : true;
  const gathering = Boolean(shown?.gathering) && !ended && !busy;
  const lines = shown ? transcript(shown.events) : [];
  return (
    <section>
      <h1 tabIndex={-1}>Simulatore chiamate</h1>
      <p class="muted">
        Telefono di prova, senza Twilio: chiama una linea come farebbe un cittadino e ascolta, come testo, ciò che
        sentirebbe.
      </p>
      <Problem error={error} />
      <div class="simulator-layout">
        <form class="stack" onSubmit={(e) => void place(e)} aria-labelledby="sim-call-title">
          <h2 id="sim-call-title">Nuova chiamata</h2>
          <div role="group" aria-label="Linee" class="line-buttons">
            {SIMULATOR_LINES.map((l) => (
              <button
                key={l.number}
                type="button"
                aria-pressed={to === l.number}
                class={to === l.number ? 'primary' : undefined}
                onClick={() => setTo(l.number)}
              >
                {l.label} {l.number}
              </button>
            ))}
          </div>
          <label for="sim-to">Numero chiamato</label>
          <input id="sim-to" type="tel" required value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          <label for="sim-from">Numero del chiamante</label>
          <input id="sim-from" type="tel" required value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          <button type="submit" class="primary" disabled={busy}>
            Chiama
          </button>
        </form>

        <section class="voice-card" aria-labelledby="sim-current-title">
          <h2 id="sim-current-title">Chiamata</h2>
          {!shown ? (
            <p class="muted">{selected ? 'Caricamento…' : 'Nessuna chiamata scelta: chiama una linea o aprine una.'}</p>
          ) : (
            <>
              <p>
                <code data-testid="sim-call-sid">{shown.sid}</code> · {phone(shown.from)} → {phone(shown.to)} ·{' '}
                <strong data-testid="sim-call-status">{label(CALL_STATUS_LABELS, shown.status)}</strong>
              </p>
              <ol class="transcript" data-testid="transcript" aria-live="polite" aria-label="Cosa sente il chiamante">
                {lines.map((l, i) => (
                  <li key={i} class={`transcript-${l.kind}`}>
                    {l.text}
                    {l.times > 1 && <span class="muted"> (× {l.times})</span>}
                  </li>
                ))}
              </ol>
              <div class="keypad" role="group" aria-label="Tastiera">
                {KEYS.map((k) => (
                  <button key={k} type="button" disabled={!gathering} onClick={() => void on('press', { digits: k })}>
                    {k}
                  </button>
                ))}
              </div>
              <form class="inline-form" onSubmit={(e) => void speak(e)}>
                <label for="sim-speech">Frase del chiamante</label>
                <input
                  id="sim-speech"
                  value={speech}
                  maxLength={300}
                  disabled={!gathering}
                  onInput={(e) => setSpeech(e.currentTarget.value)}
                />
                <button type="submit" disabled={!gathering || !speech.trim()}>
                  Parla
                </button>
                <button type="button" disabled={!gathering} onClick={() => void on('silence')}>
                  Silenzio
                </button>
              </form>
              <div class="actions">
                <button type="button" disabled={ended || busy} onClick={() => void on('hangup')}>
                  Riaggancia
                </button>
              </div>
            </>
          )}
        </section>
      </div>

      <h2>Chiamate recenti</h2>
      {calls === undefined ? (
        <p aria-busy="true">Caricamento…</p>
      ) : calls.length === 0 ? (
        <p class="empty">Nessuna chiamata finora.</p>
      ) : (
        <table class="list" aria-label="Chiamate recenti del simulatore">
          <thead>
            <tr>
              <th scope="col">Chiamata</th>
              <th scope="col">Direzione</th>
              <th scope="col">Da</th>
              <th scope="col">A</th>
              <th scope="col">Stato</th>
              <th scope="col">
                <span class="visually-hidden">Azioni</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {calls.map((c) => (
              <tr key={c.sid} data-sid={c.sid}>
                <td>
                  <code>{c.sid.slice(0, 10)}…</code>
                </td>
                <td>{label(DIRECTION_LABELS, c.direction)}</td>
                <td>{phone(c.from)}</td>
                <td>{phone(c.to)}</td>
                <td>{label(CALL_STATUS_LABELS, c.status)}</td>
                <td>
                  {c.sid !== selected && (
                    <button type="button" onClick={() => setFilter('chiamata', c.sid)}>
                      {c.direction === 'outbound-api' && !FINAL_STATUSES.has(c.status) ? 'Rispondi' : 'Apri'}
                      <span class="visually-hidden"> la chiamata {c.sid}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
