import { useEffect, useState } from 'preact/hooks';
import { BpmnDiff } from '../components/bpmn-diff';
import { Diagram } from '../components/diagram';
import { Notice, Problem } from '../components/problem';
import { when } from '../format';
import { approvalDetail, approve, pendingApprovals, refuse, type Approval } from '../model-approvals';

type Shown =
  | { kind: 'diff'; older: { label: string; xml: string }; newer: { label: string; xml: string } }
  | { kind: 'new'; label: string; xml: string };

/**
 * Deploys from the modeler waiting for four eyes: each says which tasks make which worker
 * act and with which permission. Whoever holds those permissions (and is not the requester)
 * approves, and the model is deployed, or refuses with a note. Compare with the deployed
 * version before deciding.
 */
export function ModelApprovalsPage() {
  const [items, setItems] = useState<Approval[]>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [shown, setShown] = useState<Shown>();
  const load = () => pendingApprovals().then(setItems, setError);
  useEffect(() => void load(), []);

  const act = async (decide: () => Promise<string>) => {
    setError(undefined);
    setNotice(undefined);
    try {
      setNotice(await decide());
      setShown(undefined);
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const show = async (a: Approval) => {
    try {
      const d = await approvalDetail(a.id);
      setShown(
        d.deployed
          ? {
              kind: 'diff',
              older: { label: `v${d.deployed.version ?? '?'} distribuita`, xml: d.deployed.content },
              newer: { label: `richiesta n. ${a.id}`, xml: d.content },
            }
          : { kind: 'new', label: `${a.resourceId}: nuovo processo, nessuna versione distribuita`, xml: d.content },
      );
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Approvazioni dei modelli</h1>
      <p class="muted">
        Un modello le cui attività fanno agire worker con permessi che chi lo distribuisce non ha (per esempio disdire
        prenotazioni o cancellare dati) aspetta qui l’approvazione di un’altra persona che li abbia.
      </p>
      <Notice text={notice} />
      <Problem error={error} />
      {items && items.length === 0 && <p>Nessuna richiesta in attesa.</p>}
      {items && items.length > 0 && (
        <table class="list" aria-label="Richieste in attesa">
          <thead>
            <tr>
              <th scope="col">Richiesta</th>
              <th scope="col">Modello</th>
              <th scope="col">Chi e quando</th>
              <th scope="col">Perché serve un’approvazione</th>
              <th scope="col">
                <span class="visually-hidden">Azioni</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id} data-approval={a.id}>
                <td>n. {a.id}</td>
                <td>
                  <code>{a.resourceName}</code>
                  <br />
                  {a.comment}
                  {a.override && <span class="muted"> (con avvisi confermati)</span>}
                </td>
                <td>
                  {a.requestedBy}
                  <br />
                  {when(a.createdAt)}
                </td>
                <td>
                  <ul>
                    {a.reasons.map((r) => (
                      <li key={r.permission}>{r.message}</li>
                    ))}
                  </ul>
                </td>
                <td class="row-actions stack">
                  <button type="button" onClick={() => void show(a)}>
                    Confronta con la versione distribuita
                    <span class="visually-hidden"> (richiesta {a.id})</span>
                  </button>
                  {a.mayApprove ? (
                    <>
                      <label for={`note-${a.id}`}>Nota della decisione</label>
                      <input
                        id={`note-${a.id}`}
                        value={notes[a.id] ?? ''}
                        onInput={(e) => setNotes({ ...notes, [a.id]: e.currentTarget.value })}
                      />
                      <button
                        type="button"
                        class="primary"
                        onClick={() =>
                          void act(async () => {
                            const res = await approve(a.id, notes[a.id]?.trim() ?? '');
                            return `Approvata la richiesta n. ${a.id}: ${res.deployed.resourceId} distribuito, versione ${res.deployed.version}.`;
                          })
                        }
                      >
                        Approva e distribuisci<span class="visually-hidden"> (richiesta {a.id})</span>
                      </button>
                      <button
                        type="button"
                        onClick={() =>
                          void act(async () => {
                            const note = notes[a.id]?.trim() ?? '';
                            if (note.length < 3) throw new Error('Per rifiutare scrivere il motivo nella nota.');
                            await refuse(a.id, note);
                            return `Rifiutata la richiesta n. ${a.id}.`;
                          })
                        }
                      >
                        Rifiuta<span class="visually-hidden"> (richiesta {a.id})</span>
                      </button>
                    </>
                  ) : (
                    <p class="muted">{a.whyNot}</p>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown?.kind === 'diff' && (
        <BpmnDiff older={shown.older} newer={shown.newer} onClose={() => setShown(undefined)} />
      )}
      {shown?.kind === 'new' && (
        <section class="diff" aria-labelledby="new-model-title">
          <h2 id="new-model-title">{shown.label}</h2>
          <button type="button" onClick={() => setShown(undefined)}>
            Chiudi
          </button>
          <Diagram xml={shown.xml} label={shown.label} />
        </section>
      )}
    </section>
  );
}
