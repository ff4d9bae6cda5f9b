import { useEffect, useState } from 'preact/hooks';
import { BpmnModdle } from 'bpmn-moddle';
import camundaSchema from 'camunda-bpmn-moddle/resources/camunda.json';
import { diff } from 'bpmn-js-differ';
import { Diagram } from './diagram';

interface Change {
  id: string;
  kind: 'aggiunto' | 'rimosso' | 'modificato' | 'spostato';
  detail?: string;
}

/** Two versions side by side, with what was added, removed, changed or moved marked on each. */
export function BpmnDiff(props: {
  older: { label: string; xml: string };
  newer: { label: string; xml: string };
  onClose: () => void;
}) {
  const [changes, setChanges] = useState<Change[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const moddle = new BpmnModdle({ camunda: camundaSchema });
    Promise.all([moddle.fromXML(props.older.xml), moddle.fromXML(props.newer.xml)])
      .then(([a, b]) => {
        const d = diff(a.rootElement, b.rootElement);
        setChanges([
          ...Object.keys(d._added).map((id) => ({ id, kind: 'aggiunto' as const })),
          ...Object.keys(d._removed).map((id) => ({ id, kind: 'rimosso' as const })),
          ...Object.entries(d._changed).map(([id, c]) => ({
            id,
            kind: 'modificato' as const,
            detail: Object.keys(c.attrs).join(', '),
          })),
          ...Object.keys(d._layoutChanged)
            .filter((id) => !(id in d._changed))
            .map((id) => ({ id, kind: 'spostato' as const })),
        ]);
      })
      .catch((e: Error) => setError(e.message));
  }, [props.older.xml, props.newer.xml]);
  const ids = (k: Change['kind']) => (changes ?? []).filter((c) => c.kind === k).map((c) => c.id);
  return (
    <section class="diff" aria-labelledby="diff-title">
      <h2 id="diff-title" tabIndex={-1}>
        Differenze tra {props.older.label} e {props.newer.label}
      </h2>
      <button type="button" onClick={props.onClose}>
        Chiudi il confronto
      </button>
      {error && <p class="alert alert-error">{error}</p>}
      <ul class="legend" aria-label="Legenda">
        <li class="legend-added">aggiunto</li>
        <li class="legend-removed">rimosso</li>
        <li class="legend-changed">modificato o spostato</li>
      </ul>
      <div class="diff-panes">
        <div>
          <h3>{props.older.label}</h3>
          <Diagram
            xml={props.older.xml}
            markers={{ removed: ids('rimosso'), changed: [...ids('modificato'), ...ids('spostato')] }}
            label={`Diagramma ${props.older.label}`}
          />
        </div>
        <div>
          <h3>{props.newer.label}</h3>
          <Diagram
            xml={props.newer.xml}
            markers={{ added: ids('aggiunto'), changed: [...ids('modificato'), ...ids('spostato')] }}
            label={`Diagramma ${props.newer.label}`}
          />
        </div>
      </div>
      {changes && (
        <table class="list" aria-label="Elenco delle differenze">
          <thead>
            <tr>
              <th scope="col">Elemento</th>
              <th scope="col">Modifica</th>
              <th scope="col">Proprietà</th>
            </tr>
          </thead>
          <tbody>
            {changes.length === 0 && (
              <tr>
                <td colSpan={3}>Nessuna differenza.</td>
              </tr>
            )}
            {changes.map((c) => (
              <tr key={`${c.kind}:${c.id}`}>
                <td>
                  <code>{c.id}</code>
                </td>
                <td>{c.kind}</td>
                <td>{c.detail ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
