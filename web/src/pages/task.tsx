import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Diagram } from '../components/diagram';
import { FormView, type FormHandle } from '../components/form-view';
import { HelpDeskTaskPanels } from '../components/mail-panel';
import { TAX_PROCESSES, TaxPanel } from '../components/tax-panel';
import { Notice, Problem } from '../components/problem';
import { priorityLabel, STATE_LABELS, when } from '../format';
import { Link, navigate } from '../router';
import { can, useSession } from '../session';
import { useTaskEvents } from '../task-events';
import { groupLabel, processLabel, type TaskDetail } from '../tasks';

/** One task: its form (form-js), claim / release / complete, and the diagram with the current step. */
export function TaskPage({ taskKey }: { taskKey: string }) {
  const { session } = useSession();
  const user = session.user;
  const [task, setTask] = useState<TaskDetail>();
  const [xml, setXml] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const form = useRef<FormHandle>();
  // The heading arrives with the task, after the navigation focused an empty page: focus it
  // once per task, as every other page does, so keyboard and screen-reader users know where they are.
  const focusedFor = useRef<string>();
  useEffect(() => {
    if (!task || focusedFor.current === taskKey) return;
    focusedFor.current = taskKey;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [task, taskKey]);

  const load = async () => {
    try {
      const t = await api<TaskDetail>(`/api/tasks/${taskKey}`);
      setTask(t);
      if (!xml) {
        setXml(
          await api<string>(`/api/process-definitions/${t.processDefinitionKey}/xml`, { text: true }).catch(
            () => undefined,
          ),
        );
      }
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    setTask(undefined);
    setXml(undefined);
    void load();
  }, [taskKey]);
  useTaskEvents((e) => {
    // 'created' for the task on screen says nothing new (the engine's creation is announced by
    // a watcher, often after the page loaded): reloading would reset what the person filled in.
    if (e.key !== taskKey || e.action === 'created') return;
    // Our own claim or release: the page has the task from the API's answer already, and the
    // announcement often arrives while the person fills the form, which a reload would reset.
    if ((e.action === 'claimed' || e.action === 'unclaimed') && e.by === user?.id) return;
    if (e.action === 'claimed' && e.by !== user?.id)
      setNotice(`Il compito è stato preso in carico da ${e.by ?? 'un collega'}.`);
    if (e.action === 'completed' && e.by !== user?.id) setNotice('Il compito è stato completato da un collega.');
    void load();
  });

  const act = async (what: 'claim' | 'unclaim') => {
    setBusy(true);
    setError(undefined);
    try {
      setTask({
        ...(task as TaskDetail),
        ...(await api<TaskDetail>(`/api/tasks/${taskKey}/${what}`, { method: 'POST' })),
      });
      setNotice(what === 'claim' ? 'Compito preso in carico: compila il modulo.' : 'Compito rilasciato.');
    } catch (err) {
      setError(err);
      void load();
    } finally {
      setBusy(false);
    }
  };
  const complete = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const result = form.current?.submit() ?? { data: {}, errors: {} };
    const invalid = Object.entries(result.errors).filter(([, list]) => list.length > 0);
    if (invalid.length > 0) {
      setError(
        new ApiError(
          400,
          'Il modulo contiene errori',
          'Correggere i campi evidenziati.',
          invalid.map(([field, list]) => ({ field, message: list.join(', ') })),
        ),
      );
      document
        .querySelector<HTMLElement>(
          '.task-form .fjs-has-errors input, .task-form .fjs-has-errors select, .task-form .fjs-has-errors textarea',
        )
        ?.focus();
      return;
    }
    setBusy(true);
    try {
      await api(`/api/tasks/${taskKey}/complete`, { method: 'POST', body: { variables: result.data } });
      // The slot choice is followed by the booking: show its outcome to read to the patient.
      if (task?.bpmnProcessId === 'cup-booking' && task.elementId === 'choose-slot') {
        navigate(`/prenotazioni/${task.processInstanceKey}`);
      } else if (task?.bpmnProcessId === 'inbound-call') {
        // The call's contact closed: back to the telephone, available again.
        navigate('/telefono');
      } else navigate('/compiti?completato=1');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (!task) return error ? <Problem error={error} /> : <p aria-busy="true">Caricamento…</p>;
  const mine = task.assignee === user?.id;
  const open = task.state === 'CREATED';
  const mayWork = can(user, 'tasks:work');
  return (
    <section>
      <p>
        <Link href="/compiti">← Torna ai compiti</Link>
      </p>
      <h1 tabIndex={-1}>{task.name}</h1>
      <dl class="facts">
        <dt>Processo</dt>
        <dd>
          {processLabel(task.bpmnProcessId)} (versione {task.processVersion ?? '?'})
        </dd>
        <dt>Riferimento</dt>
        <dd>{task.businessKey ?? '—'}</dd>
        <dt>Stato</dt>
        <dd>{STATE_LABELS[task.state]}</dd>
        <dt>Coda</dt>
        <dd>{task.candidateGroups.map(groupLabel).join(', ') || 'Tutti'}</dd>
        <dt>In carico a</dt>
        <dd data-testid="assignee">{task.assignee ?? 'nessuno'}</dd>
        <dt>Priorità</dt>
        <dd>{priorityLabel(task.priority)}</dd>
        <dt>Creato</dt>
        <dd>{when(task.createdAt)}</dd>
        {task.reason && (
          <>
            <dt>Motivo dell’escalation</dt>
            <dd>{task.reason}</dd>
          </>
        )}
      </dl>
      <Notice text={notice} />
      <Problem error={error} />
      {mayWork && open && (
        <div class="actions">
          {!task.assignee && (
            <button type="button" class="primary" disabled={busy} onClick={() => void act('claim')}>
              Prendi in carico
            </button>
          )}
          {mine && (
            <button type="button" disabled={busy} onClick={() => void act('unclaim')}>
              Rilascia
            </button>
          )}
        </div>
      )}
      <HelpDeskTaskPanels variables={task.variables} />
      {TAX_PROCESSES.includes(task.bpmnProcessId) &&
        (can(user, 'helpdesk:manage') || can(user, 'helpdesk:contact')) && (
          <TaxPanel fiscalCode={typeof task.variables['fiscalCode'] === 'string' ? task.variables['fiscalCode'] : ''} />
        )}
      <div class="task-layout">
        <div class="task-form-panel" role="group" aria-label="Modulo del compito">
          <h2>Modulo</h2>
          {task.form ? (
            <FormView
              schema={task.form}
              data={task.variables}
              readOnly={!(mine && open)}
              onReady={(h) => (form.current = h)}
            />
          ) : (
            <p class="muted">Questo compito non ha un modulo.</p>
          )}
          {mine && open && (
            <button type="button" class="primary" disabled={busy} onClick={(e) => void complete(e)}>
              Completa il compito
            </button>
          )}
          {!mine && open && mayWork && <p class="muted">Prendi in carico il compito per compilare il modulo.</p>}
        </div>
        <div class="task-diagram-panel">
          <h2>Dove si trova nel processo</h2>
          <Diagram
            xml={xml}
            markers={{ current: [task.elementId] }}
            label={`Diagramma del processo ${processLabel(task.bpmnProcessId)}, passo corrente: ${task.name}`}
          />
        </div>
      </div>
    </section>
  );
}
