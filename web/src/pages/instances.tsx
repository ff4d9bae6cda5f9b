import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import { Problem } from '../components/problem';
import { STATE_LABELS, when } from '../format';
import { Link, useFilters } from '../router';
import { processLabel, PROCESS_LABELS } from '../tasks';

interface InstanceRow {
  key: string;
  bpmnProcessId: string;
  version: number;
  businessKey: string | null;
  state: string;
  startedAt: string;
  endedAt: string | null;
  incidents: number;
  openTasks: number;
}

/** Process instances from the platform's records: search by process, state, reference, dates. */
export function InstancesPage() {
  const { loc, filters: f, setFilter: set } = useFilters();
  const [rows, setRows] = useState<InstanceRow[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ items: InstanceRow[] }>(
      `/api/process-instances${query({
        process: f.process,
        state: f.state,
        businessKey: f.businessKey,
        key: f.key,
        from: f.from ? new Date(`${f.from}T00:00:00`).toISOString() : undefined,
        to: f.to ? new Date(`${f.to}T23:59:59`).toISOString() : undefined,
      })}`,
    ).then((r) => {
      setRows(r.items);
      setError(undefined);
    }, setError);
  }, [loc.search]);
  return (
    <section>
      <h1 tabIndex={-1}>Istanze di processo</h1>
      <form class="filters" aria-label="Ricerca delle istanze" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="i-process">Processo</label>
          <select id="i-process" value={f.process ?? ''} onChange={(e) => set('process', e.currentTarget.value)}>
            <option value="">Tutti</option>
            {Object.entries(PROCESS_LABELS).map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="i-state">Stato</label>
          <select id="i-state" value={f.state ?? ''} onChange={(e) => set('state', e.currentTarget.value)}>
            <option value="">Tutti</option>
            {['ACTIVE', 'INCIDENT', 'COMPLETED', 'CANCELED'].map((s) => (
              <option key={s} value={s}>
                {STATE_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="i-business">Riferimento</label>
          <input
            id="i-business"
            value={f.businessKey ?? ''}
            onChange={(e) => set('businessKey', e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="i-key">Chiave istanza</label>
          <input
            id="i-key"
            inputMode="numeric"
            value={f.key ?? ''}
            onChange={(e) => set('key', e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="i-from">Avviate dal</label>
          <input id="i-from" type="date" value={f.from ?? ''} onChange={(e) => set('from', e.currentTarget.value)} />
        </div>
        <div>
          <label for="i-to">al</label>
          <input id="i-to" type="date" value={f.to ?? ''} onChange={(e) => set('to', e.currentTarget.value)} />
        </div>
      </form>
      <Problem error={error} />
      {rows === undefined ? (
        <p aria-busy="true">Caricamento…</p>
      ) : rows.length === 0 ? (
        <p class="empty">Nessuna istanza con questi criteri.</p>
      ) : (
        <table class="list" aria-label="Elenco delle istanze">
          <thead>
            <tr>
              <th scope="col">Istanza</th>
              <th scope="col">Processo</th>
              <th scope="col">Versione</th>
              <th scope="col">Stato</th>
              <th scope="col">Riferimento</th>
              <th scope="col">Avviata</th>
              <th scope="col">Conclusa</th>
              <th scope="col">Incidenti</th>
              <th scope="col">Compiti aperti</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} class={r.state === 'INCIDENT' ? 'row-incident' : undefined}>
                <td>
                  <Link href={`/istanze/${r.key}`}>{r.key}</Link>
                </td>
                <td>{processLabel(r.bpmnProcessId)}</td>
                <td>v{r.version}</td>
                <td>{STATE_LABELS[r.state] ?? r.state}</td>
                <td>{r.businessKey ?? '—'}</td>
                <td>{when(r.startedAt)}</td>
                <td>{when(r.endedAt)}</td>
                <td>{r.incidents}</td>
                <td>{r.openTasks}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
