import { useState } from 'preact/hooks';
import { api, query } from '../api';
import { Problem } from '../components/problem';
import { useFilters } from '../router';
import {
  CALL_OUTCOME_LABELS,
  clock,
  dateTime,
  DISCONNECT_LABELS,
  ENTRY_STATE_LABELS,
  label,
  LINE_LABELS,
  phone,
  PRESENCE_LABELS,
  QUEUE_LABELS,
  REQUEST_TYPE_LABELS,
  seconds,
  serverNow,
  usePolling,
  getTimed,
  type Board,
  type CallRecord,
  type QueueEntry,
} from '../voice';

/** The timestamps of a contact record, in the order a call lives them. */
const STEPS: { key: keyof CallRecord; label: string }[] = [
  { key: 'arrivedAt', label: 'Arrivata' },
  { key: 'ivrEnteredAt', label: 'Ingresso IVR' },
  { key: 'ivrLeftAt', label: 'Uscita IVR' },
  { key: 'offeredAt', label: 'In coda' },
  { key: 'firstOfferedToOperatorAt', label: 'Prima offerta' },
  { key: 'answeredAt', label: 'Risposta' },
  { key: 'abandonedAt', label: 'Abbandono' },
  { key: 'endedAt', label: 'Fine' },
  { key: 'wrapUpEndedAt', label: 'Fine post-chiamata' },
];

function entryState(e: QueueEntry): string {
  if (e.state === 'offered' && e.offeredTo) return `Offerta a ${e.offeredTo}`;
  if (e.state === 'connected' && e.offeredTo) return `In conversazione con ${e.offeredTo}`;
  return label(ENTRY_STATE_LABELS, e.state);
}

/**
 * The supervisors' board: every operator's presence and since when, the calls waiting,
 * offered or talking in each queue with how long they have waited, and the latest contact
 * records with every step's time. Refreshed every two seconds while the page is shown.
 */
export function VoiceBoardPage() {
  const { loc, filters: f, setFilter } = useFilters();
  const [board, setBoard] = useState<Board>();
  const [records, setRecords] = useState<CallRecord[]>();
  const [error, setError] = useState<unknown>();
  const [, setTick] = useState(0);

  usePolling(async () => {
    try {
      setBoard(await getTimed<Board>('/api/voice/board'));
      setError(undefined);
    } catch (err) {
      setError(err);
    }
    setTick((n) => n + 1);
  }, 2000);
  usePolling(
    async () => {
      try {
        setRecords(await api<CallRecord[]>(`/api/voice/calls${query({ line: f.line })}`));
      } catch (err) {
        setError(err);
      }
    },
    4000,
    [loc.search],
  );

  const now = serverNow();
  const queues = [...new Set((board?.entries ?? []).map((e) => e.queue))].sort();
  return (
    <section>
      <h1 tabIndex={-1}>Code e operatori</h1>
      <Problem error={error} />
      {!board ? (
        <p aria-busy="true">Caricamento…</p>
      ) : (
        <div class="two-columns">
          <div>
            <h2>Operatori</h2>
            {board.operators.length === 0 ? (
              <p class="empty">Nessun operatore ha ancora aperto la console telefonica.</p>
            ) : (
              <table class="list" aria-label="Operatori telefonici">
                <thead>
                  <tr>
                    <th scope="col">Operatore</th>
                    <th scope="col">Codice</th>
                    <th scope="col">Stato</th>
                    <th scope="col">Da</th>
                    <th scope="col">Code</th>
                    <th scope="col">Chiamata</th>
                  </tr>
                </thead>
                <tbody>
                  {board.operators.map((o) => (
                    <tr key={o.username} data-operator={o.username}>
                      <th scope="row">{o.username}</th>
                      <td>{o.code}</td>
                      <td>
                        <span class={`presence-badge presence-${o.presence}`}>{PRESENCE_LABELS[o.presence]}</span>
                      </td>
                      <td>
                        {clock(o.presenceSince)}{' '}
                        <span class="muted">({seconds((now - Date.parse(o.presenceSince)) / 1000)})</span>
                      </td>
                      <td>{o.skills.map((s) => label(QUEUE_LABELS, s)).join(', ') || '—'}</td>
                      <td>
                        {o.currentCall ? (
                          <code>{o.currentCall.slice(0, 10)}…</code>
                        ) : o.offer ? (
                          `offerta ${o.offer.callSid.slice(0, 10)}…`
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
          <div>
            <h2>Code</h2>
            {queues.length === 0 && <p class="empty">Nessuna chiamata in coda o in conversazione.</p>}
            {queues.map((q) => {
              const entries = board.entries.filter((e) => e.queue === q);
              const waiting = entries.filter((e) => e.state !== 'connected').length;
              return (
                <section key={q} aria-labelledby={`queue-${q}`}>
                  <h3 id={`queue-${q}`}>
                    {label(LINE_LABELS, q)} <span class="count">({waiting} in attesa)</span>
                  </h3>
                  <table class="list" aria-label={`Chiamate della coda ${label(LINE_LABELS, q)}`}>
                    <thead>
                      <tr>
                        <th scope="col">Chiamata</th>
                        <th scope="col">Richiesta</th>
                        <th scope="col">Priorità</th>
                        <th scope="col">Attesa</th>
                        <th scope="col">Stato</th>
                        <th scope="col">Rifiuti</th>
                      </tr>
                    </thead>
                    <tbody>
                      {entries.map((e) => (
                        <tr key={e.callSid} data-sid={e.callSid}>
                          <td>
                            <code>{e.callSid.slice(0, 10)}…</code>
                            {e.callback && <span class="muted"> (da richiamare)</span>}
                          </td>
                          <td>{label(REQUEST_TYPE_LABELS, e.requestType)}</td>
                          <td>{e.priority}</td>
                          {/* How long the caller has been waiting; once connected, no longer. */}
                          <td>{e.state === 'connected' ? '—' : seconds((now - Date.parse(e.queuedAt)) / 1000)}</td>
                          <td>{entryState(e)}</td>
                          <td>{e.refusals}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              );
            })}
          </div>
        </div>
      )}

      <h2>Ultimi contatti telefonici</h2>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filtri dei contatti">
        <div>
          <label for="b-line">Linea</label>
          <select id="b-line" value={f.line ?? ''} onChange={(e) => setFilter('line', e.currentTarget.value)}>
            <option value="">Tutte</option>
            {Object.entries(LINE_LABELS).map(([id, l]) => (
              <option key={id} value={id}>
                {l}
              </option>
            ))}
          </select>
        </div>
      </form>
      {records === undefined ? (
        <p aria-busy="true">Caricamento…</p>
      ) : records.length === 0 ? (
        <p class="empty">Nessun contatto telefonico.</p>
      ) : (
        <div class="table-scroll">
          <table class="list call-records" aria-label="Contatti telefonici">
            <thead>
              <tr>
                <th scope="col">Chiamata</th>
                <th scope="col">Linea</th>
                <th scope="col">Chiamante</th>
                <th scope="col">Richiesta</th>
                <th scope="col">Operatore</th>
                {STEPS.map((s) => (
                  <th key={s.key} scope="col">
                    {s.label}
                  </th>
                ))}
                <th scope="col">Esito</th>
              </tr>
            </thead>
            <tbody>
              {records.slice(0, 50).map((r) => (
                <tr key={r.callSid} data-sid={r.callSid}>
                  <td>
                    <code title={r.callSid}>{r.callSid.slice(0, 10)}…</code>
                  </td>
                  <td>{label(LINE_LABELS, r.line)}</td>
                  <td>{phone(r.caller)}</td>
                  <td>{label(REQUEST_TYPE_LABELS, r.requestType)}</td>
                  <td>{r.operator ?? '—'}</td>
                  {STEPS.map((s) => (
                    <td key={s.key} data-step={s.key}>
                      {s.key === 'arrivedAt' ? dateTime(r.arrivedAt) : clock(r[s.key] as string | null)}
                    </td>
                  ))}
                  <td data-step="outcome">
                    {label(CALL_OUTCOME_LABELS, r.outcome)}
                    {r.disconnectReason && (
                      <span class="muted"> (chiusa {label(DISCONNECT_LABELS, r.disconnectReason)})</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
