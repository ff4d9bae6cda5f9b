import { useEffect, useState } from 'preact/hooks';
import { diffModels, type ModelChange } from '../../../modeler/diff';
import { Diagram } from './diagram';

const KIND_LABELS: Record<ModelChange['kind'], string> = {
  added: 'aggiunto',
  removed: 'rimosso',
  changed: 'modificato',
  moved: 'spostato',
};

/** Two versions side by side, with what was added, removed, changed or moved marked on each. */
export function BpmnDiff(props: {
  older: { label: string; xml: string };
  newer: { label: string; xml: string };
  onClose: () => void;
}) {
  const [changes, setChanges] = useState<ModelChange[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    diffModels(props.older.xml, props.newer.xml)
      .then(setChanges)
      .catch((e: Error) => setError(e.message));
  }, [props.older.xml, props.newer.xml]);
  const ids = (k: ModelChange['kind']) => (changes ?? []).filter((c) => c.kind === k).map((c) => c.id);
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
            markers={{ removed: ids('removed'), changed: [...ids('changed'), ...ids('moved')] }}
            label={`Diagramma ${props.older.label}`}
          />
        </div>
        <div>
          <h3>{props.newer.label}</h3>
          <Diagram
            xml={props.newer.xml}
            markers={{ added: ids('added'), changed: [...ids('changed'), ...ids('moved')] }}
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
                <td>{KIND_LABELS[c.kind]}</td>
                <td>{c.attributes?.join(', ') ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
