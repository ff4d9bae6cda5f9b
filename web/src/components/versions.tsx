import { useState } from 'preact/hooks';
import { when } from '../format';
import type { Deployment } from '../models';
import { Problem } from './problem';

/** Version history of one process or form: who, when, comment; open, compare, roll back. */
export function Versions(props: {
  versions: Deployment[];
  mayDeploy: boolean;
  onOpen: (d: Deployment) => void;
  onCompare?: (older: Deployment, newer: Deployment) => void;
  onRollback: (d: Deployment, comment: string) => Promise<void>;
}) {
  const deployed = props.versions.filter((v) => v.status === 'deployed');
  const latest = deployed[0];
  const [error, setError] = useState<unknown>();
  const [compareWith, setCompareWith] = useState<string>('');
  return (
    <section class="versions" aria-labelledby="versions-title">
      <h2 id="versions-title">Versioni</h2>
      <Problem error={error} />
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Versione</th>
            <th scope="col">Quando</th>
            <th scope="col">Chi</th>
            <th scope="col">Origine</th>
            <th scope="col">Commento</th>
            <th scope="col">
              <span class="visually-hidden">Azioni</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.versions.map((v) => (
            <tr key={v.id} data-version={v.version ?? ''}>
              <td>{v.status === 'deployed' ? `v${v.version}` : 'rifiutata'}</td>
              <td>{when(v.createdAt)}</td>
              <td>{v.deployedBy ?? 'sistema'}</td>
              <td>{v.source === 'modeler' ? 'modellatore' : 'repository'}</td>
              <td>{v.comment ?? '—'}</td>
              <td class="row-actions">
                <button type="button" onClick={() => props.onOpen(v)}>
                  Apri<span class="visually-hidden"> versione {v.version}</span>
                </button>
                {props.onCompare && latest && v.id !== latest.id && v.status === 'deployed' && (
                  <button type="button" onClick={() => props.onCompare?.(v, latest)}>
                    Confronta con l’ultima<span class="visually-hidden"> (versione {v.version})</span>
                  </button>
                )}
                {props.mayDeploy && latest && v.id !== latest.id && v.status === 'deployed' && (
                  <button
                    type="button"
                    onClick={() => {
                      const comment = window.prompt(`Motivo del ripristino della versione ${v.version}:`, '');
                      if (comment && comment.trim().length >= 3) {
                        props.onRollback(v, comment.trim()).catch(setError);
                      }
                    }}
                  >
                    Ripristina<span class="visually-hidden"> versione {v.version}</span>
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.onCompare && deployed.length > 1 && (
        <p class="inline-form">
          <label for="compare-a">Confronta due versioni:</label>
          <select id="compare-a" value={compareWith} onChange={(e) => setCompareWith(e.currentTarget.value)}>
            <option value="">scegli…</option>
            {deployed.map((d) => (
              <option key={d.id} value={d.id}>
                v{d.version}
              </option>
            ))}
          </select>
          <span>con l’ultima</span>
          <button
            type="button"
            disabled={!compareWith}
            onClick={() => {
              const older = deployed.find((d) => d.id === compareWith);
              if (older && latest) props.onCompare?.(older, latest);
            }}
          >
            Confronta
          </button>
        </p>
      )}
    </section>
  );
}
