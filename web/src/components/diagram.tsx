import { useEffect, useRef, useState } from 'preact/hooks';
import NavigatedViewer from 'camunda-bpmn-js/lib/camunda-platform/NavigatedViewer';

export interface Markers {
  /** Elements already passed. */
  done?: string[];
  /** Where tokens wait now (open tasks, external tasks being worked on). */
  current?: string[];
  /** Elements with an open incident. */
  incident?: string[];
  added?: string[];
  removed?: string[];
  changed?: string[];
}

const CLASSES: Record<keyof Markers, string> = {
  done: 'marker-done',
  current: 'marker-current',
  incident: 'marker-incident',
  added: 'marker-added',
  removed: 'marker-removed',
  changed: 'marker-changed',
};

/** A read-only BPMN diagram with markers (task page, instance page, version diff). */
export function Diagram({ xml, markers, label }: { xml: string | undefined; markers?: Markers; label: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!host.current || !xml) return;
    const viewer = new NavigatedViewer({ container: host.current });
    let alive = true;
    viewer
      .importXML(xml)
      .then(() => {
        if (!alive) return;
        const canvas = viewer.get<{ zoom(m: string): void; addMarker(id: string, c: string): void }>('canvas');
        const registry = viewer.get<{ get(id: string): unknown }>('elementRegistry');
        canvas.zoom('fit-viewport');
        for (const [kind, ids] of Object.entries(markers ?? {}) as [keyof Markers, string[]][]) {
          for (const id of ids) if (registry.get(id)) canvas.addMarker(id, CLASSES[kind]);
        }
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      alive = false;
      viewer.destroy();
    };
  }, [xml, JSON.stringify(markers)]);
  if (!xml) return <p class="muted">Diagramma non disponibile.</p>;
  return (
    <figure class="diagram-figure">
      <div class="diagram" ref={host} role="img" aria-label={label} />
      {error && <p class="alert alert-error">{error}</p>}
    </figure>
  );
}
