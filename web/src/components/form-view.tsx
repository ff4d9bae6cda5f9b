import { useEffect, useRef } from 'preact/hooks';
import { Form } from '@bpmn-io/form-js';
import '@bpmn-io/form-js/dist/assets/form-js.css';
import { italianPlaceholders, italianValidationModule } from './form-italian';

/** JSON with object keys sorted: the same values give the same text whatever order they came in. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export interface FormHandle {
  submit(): { data: Record<string, unknown>; errors: Record<string, string[]> };
}

/**
 * A task's form, rendered by form-js from the schema deployed with the process, filled with
 * the task's variables. Read-only until the person has claimed the task.
 */
export function FormView(props: {
  schema: unknown;
  data: Record<string, unknown>;
  readOnly: boolean;
  onReady: (handle: FormHandle | undefined) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const form = new Form({ container: host.current, additionalModules: [italianValidationModule] });
    const stopPlaceholders = italianPlaceholders(host.current);
    let alive = true;
    void form.importSchema(props.schema as never, props.data).then(() => {
      if (!alive) return;
      form.setProperty('readOnly', props.readOnly);
      props.onReady({
        submit: () => form.submit(),
      });
    });
    return () => {
      alive = false;
      stopPlaceholders();
      props.onReady(undefined);
      form.destroy();
    };
    // Rebuilt (and what the person typed lost) only when the schema or the values really change:
    // the engine lists a task's variables in no fixed order, so a reload must not count as one.
  }, [stableJson(props.schema), stableJson(props.data), props.readOnly]);
  return <div class="task-form" ref={host} />;
}
