import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Diagram } from '../components/diagram';
import { Notice, Problem } from '../components/problem';
import { OUTCOME_LABELS, STATE_LABELS, when } from '../format';
import { Link } from '../router';
import { can, useSession } from '../session';
import { processLabel } from '../tasks';

/** One outcome a worker recorded for an external task (`jobKey` is the external task's id). */
interface Job {
  jobKey: string;
  taskType: string;
  elementId: string;
  outcome: string;
  errorCode: string | null;
  message: string | null;
  retriesLeft: number | null;
  durationMs: number;
  at: string;
}
interface Detail {
  instance: {
    key: string;
    bpmnProcessId: string;
    version: number;
    processDefinitionKey: string;
    businessKey: string | null;
    startedBy: string | null;
    startedAt: string;
    endedAt: string | null;
    state: string;
    variables: Record<string, unknown>;
  };
  variablesMasked: boolean;
  jobs: Job[];
  tasks: {
    key: string;
    name: string;
    elementId: string;
    state: string;
    assignee: string | null;
    createdAt: string;
    completedAt: string | null;
    completedBy: string | null;
  }[];
  /** What the engine's history says ran, where the tokens are, where incidents are open. */
  markers: { done: string[]; current: string[]; incident: string[] };
  incidents: { id: string; elementId: string; type: string; message: string | null; at: string }[];
}

/** One instance: diagram with the path taken and where it waits, variables, tasks, worker outcomes, incidents. */
export function InstancePage({ instanceKey }: { instanceKey: string }) {
  const { session } = useSession();
  const [d, setD] = useState<Detail>();
  const [xml, setXml] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const load = async () => {
    try {
      const detail = await api<Detail>(`/api/process-instances/${instanceKey}`);
      setD(detail);
      setXml(
        await api<string>(`/api/process-definitions/${detail.instance.processDefinitionKey}/xml`, { text: true }).catch(
          () => undefined,
        ),
      );
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [instanceKey]);
  if (!d) return error ? <Problem error={error} /> : <p aria-busy="true">Caricamento…</p>;

  const { done, current, incident: incidentElements } = d.markers;
  const retry = async (incidentId: string) => {
    setError(undefined);
    try {
      await api(`/api/incidents/${incidentId}/retry`, { method: 'POST' });
      setNotice('Nuovo tentativo avviato: il passo viene eseguito di nuovo.');
      await new Promise((r) => setTimeout(r, 800));
      await load();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <p>
        <Link href="/istanze">← Torna alle istanze</Link>
      </p>
      <h1 tabIndex={-1}>
        Istanza {d.instance.key} — {processLabel(d.instance.bpmnProcessId)}
      </h1>
      <dl class="facts">
        <dt>Stato</dt>
        <dd data-testid="instance-state">{STATE_LABELS[d.instance.state] ?? d.instance.state}</dd>
        <dt>Versione del processo</dt>
        <dd>v{d.instance.version}</dd>
        <dt>Riferimento</dt>
        <dd>{d.instance.businessKey ?? '—'}</dd>
        <dt>Avviata</dt>
        <dd>
          {when(d.instance.startedAt)} {d.instance.startedBy ? `da ${d.instance.startedBy}` : ''}
        </dd>
        <dt>Conclusa</dt>
        <dd>{when(d.instance.endedAt)}</dd>
      </dl>
      <Notice text={notice} />
      <Problem error={error} />
      {d.incidents.length > 0 && (
        <section aria-labelledby="incidents-title" class="incidents">
          <h2 id="incidents-title">Incidenti aperti</h2>
          <ul>
            {d.incidents.map((j) => (
              <li key={j.id} data-incident-id={j.id}>
                <p>
                  <strong>{j.elementId}</strong>, {when(j.at)}: {j.message}
                </p>
                {can(session.user, 'incidents:retry') && (
                  <button type="button" class="primary" onClick={() => void retry(j.id)}>
                    Riprova<span class="visually-hidden"> il passo {j.elementId}</span>
                  </button>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
      <h2>Diagramma</h2>
      <ul class="legend" aria-label="Legenda">
        <li class="legend-done">eseguito</li>
        <li class="legend-current">in attesa</li>
        <li class="legend-incident">incidente</li>
      </ul>
      <Diagram
        xml={xml}
        markers={{ done, current, incident: incidentElements }}
        label={`Diagramma dell'istanza: ${done.length} passi eseguiti, ${current.length} in attesa, ${incidentElements.length} incidenti`}
      />
      <h2>Variabili {d.variablesMasked && <small>(i dati personali sono oscurati per il tuo ruolo)</small>}</h2>
      <table class="list" aria-label="Variabili dell'istanza">
        <thead>
          <tr>
            <th scope="col">Nome</th>
            <th scope="col">Valore</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(d.instance.variables).map(([k, v]) => (
            <tr key={k}>
              <td>
                <code>{k}</code>
              </td>
              <td>
                <code class="value">{JSON.stringify(v)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Compiti</h2>
      <table class="list" aria-label="Compiti dell'istanza">
        <thead>
          <tr>
            <th scope="col">Compito</th>
            <th scope="col">Stato</th>
            <th scope="col">Creato</th>
            <th scope="col">Completato</th>
            <th scope="col">Da</th>
          </tr>
        </thead>
        <tbody>
          {d.tasks.map((t) => (
            <tr key={t.key}>
              <td>{t.name}</td>
              <td>{STATE_LABELS[t.state] ?? t.state}</td>
              <td>{when(t.createdAt)}</td>
              <td>{when(t.completedAt)}</td>
              <td>{t.completedBy ?? t.assignee ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Esiti dei passi automatici</h2>
      <table class="list" aria-label="Esiti dei passi automatici">
        <thead>
          <tr>
            <th scope="col">Quando</th>
            <th scope="col">Elemento</th>
            <th scope="col">Topic</th>
            <th scope="col">Esito</th>
            <th scope="col">Messaggio</th>
            <th scope="col">Durata</th>
          </tr>
        </thead>
        <tbody>
          {d.jobs.map((j, i) => (
            <tr key={`${j.jobKey}:${i}`}>
              <td>{when(j.at)}</td>
              <td>{j.elementId}</td>
              <td>{j.taskType}</td>
              <td>
                {OUTCOME_LABELS[j.outcome] ?? j.outcome}
                {j.errorCode ? ` (${j.errorCode})` : ''}
              </td>
              <td>{j.message ?? '—'}</td>
              <td>{j.durationMs} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
