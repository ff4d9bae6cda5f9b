import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import { Problem } from '../components/problem';
import { age, priorityLabel, when } from '../format';
import { Link, navigate, useFilters } from '../router';
import { can, useSession } from '../session';
import { useTaskEvents } from '../task-events';
import { groupLabel, processLabel, PROCESS_LABELS, type Task } from '../tasks';

const CLAIM_FILTERS = [
  { value: '', label: 'Tutti i compiti aperti' },
  { value: 'unassigned', label: 'Da prendere in carico' },
  { value: 'mine', label: 'In carico a me' },
  { value: 'completed', label: 'Completati' },
];

/**
 * The tasklist: tasks the person may work, with filters in the address (so a view can be
 * bookmarked), live refresh when tasks appear or are claimed elsewhere.
 */
export function TasklistPage({ escalations = false }: { escalations?: boolean }) {
  const { session } = useSession();
  const user = session.user;
  const { loc, filters: f, setFilter } = useFilters();
  const [tasks, setTasks] = useState<Task[]>();
  const [error, setError] = useState<unknown>();
  const [live, setLive] = useState('');
  const [busyKey, setBusyKey] = useState<string>();
  const groups = escalations
    ? (user?.groups ?? []).filter((g) => g.startsWith('cup-back-office'))
    : (user?.groups ?? []);

  const load = async () => {
    try {
      const list = await api<{ items: Task[] }>(
        `/api/tasks${query({
          process: f.process,
          group: escalations ? (f.group ?? groups[0]) : f.group,
          priorityMin: f.priority,
          dueBefore: f.due ? new Date(`${f.due}T23:59:59`).toISOString() : undefined,
          claim: f.claim === 'completed' ? undefined : f.claim,
          state: f.claim === 'completed' ? 'COMPLETED' : undefined,
          sort: f.sort,
        })}`,
      );
      setTasks(
        escalations
          ? list.items.filter((t) => t.candidateGroups.some((g) => g.startsWith('cup-back-office')))
          : list.items,
      );
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [loc.search, escalations]);
  useTaskEvents((e) => {
    setLive(
      e.action === 'created'
        ? 'Nuovo compito in arrivo: elenco aggiornato.'
        : e.action === 'claimed' && e.by !== user?.id
          ? `Un compito è stato preso in carico da ${e.by ?? 'un collega'}: elenco aggiornato.`
          : 'Elenco aggiornato.',
    );
    void load();
  });

  const claim = async (t: Task) => {
    setBusyKey(t.key);
    try {
      await api(`/api/tasks/${t.key}/claim`, { method: 'POST' });
      navigate(`/compiti/${t.key}`);
    } catch (err) {
      setError(err);
      void load();
    } finally {
      setBusyKey(undefined);
    }
  };
  const mayWork = can(user, 'tasks:work');

  return (
    <section>
      <h1 tabIndex={-1}>{escalations ? 'Escalation al back office' : 'Compiti'}</h1>
      <p class="visually-hidden" aria-live="polite">
        {live}
      </p>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filtri dei compiti">
        <div>
          <label for="f-process">Processo</label>
          <select id="f-process" value={f.process ?? ''} onChange={(e) => setFilter('process', e.currentTarget.value)}>
            <option value="">Tutti</option>
            {Object.entries(PROCESS_LABELS).map(([id, label]) => (
              <option key={id} value={id}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-group">Coda</label>
          <select id="f-group" value={f.group ?? ''} onChange={(e) => setFilter('group', e.currentTarget.value)}>
            {!escalations && <option value="">Tutte le mie code</option>}
            {groups.map((g) => (
              <option key={g} value={g}>
                {groupLabel(g)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-claim">Stato</label>
          <select id="f-claim" value={f.claim ?? ''} onChange={(e) => setFilter('claim', e.currentTarget.value)}>
            {CLAIM_FILTERS.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="f-priority">Priorità minima</label>
          <select
            id="f-priority"
            value={f.priority ?? ''}
            onChange={(e) => setFilter('priority', e.currentTarget.value)}
          >
            <option value="">Qualsiasi</option>
            <option value="50">Normale o più alta</option>
            <option value="75">Solo urgenti</option>
          </select>
        </div>
        <div>
          <label for="f-due">Scadenza entro il</label>
          <input id="f-due" type="date" value={f.due ?? ''} onChange={(e) => setFilter('due', e.currentTarget.value)} />
        </div>
        <div>
          <label for="f-sort">Ordina per</label>
          <select id="f-sort" value={f.sort ?? ''} onChange={(e) => setFilter('sort', e.currentTarget.value)}>
            <option value="">Priorità</option>
            <option value="due">Scadenza</option>
            <option value="created">Più recenti</option>
          </select>
        </div>
      </form>
      <Problem error={error} />
      {tasks === undefined ? (
        <p aria-busy="true">Caricamento…</p>
      ) : tasks.length === 0 ? (
        <p class="empty">Nessun compito con questi filtri.</p>
      ) : (
        <table class="list" aria-label="Elenco dei compiti">
          <thead>
            <tr>
              <th scope="col">Compito</th>
              <th scope="col">Processo</th>
              {escalations && <th scope="col">Motivo</th>}
              <th scope="col">Riferimento</th>
              <th scope="col">Coda</th>
              <th scope="col">Priorità</th>
              <th scope="col">Scadenza</th>
              <th scope="col">{escalations ? 'In attesa da' : 'Creato'}</th>
              <th scope="col">In carico a</th>
              <th scope="col">
                <span class="visually-hidden">Azioni</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => (
              <tr key={t.key} data-task-key={t.key}>
                <td>
                  <Link href={`/compiti/${t.key}`}>{t.name}</Link>
                </td>
                <td>{processLabel(t.bpmnProcessId)}</td>
                {escalations && <td>{t.reason ?? '—'}</td>}
                <td>{t.businessKey ?? '—'}</td>
                <td>{t.candidateGroups.map(groupLabel).join(', ') || 'Tutti'}</td>
                <td>{priorityLabel(t.priority)}</td>
                <td>{when(t.dueDate)}</td>
                <td>{escalations ? age(t.createdAt) : when(t.createdAt)}</td>
                <td>{t.assignee ?? (t.state === 'CREATED' ? 'nessuno' : (t.completedBy ?? '—'))}</td>
                <td>
                  {mayWork && t.state === 'CREATED' && !t.assignee && (
                    <button type="button" disabled={busyKey === t.key} onClick={() => void claim(t)}>
                      Prendi in carico<span class="visually-hidden"> {t.name}</span>
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
