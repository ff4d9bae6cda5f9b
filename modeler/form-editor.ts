import { FormEditor as FormJsEditor } from '@bpmn-io/form-js';
import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js/dist/assets/properties-panel.css';
import { EXECUTION_PLATFORM, EXECUTION_PLATFORM_VERSION } from './execution-platform';

/** What a form is made for: the engine of the processes (Camunda Modeler reads it; form-js does not). */
const PLATFORM = {
  executionPlatform: EXECUTION_PLATFORM,
  executionPlatformVersion: EXECUTION_PLATFORM_VERSION,
};

/** A new empty form, made for the platform's engine. */
export const newFormSchema = (id: string) => ({ id, type: 'default', schemaVersion: 16, ...PLATFORM, components: [] });

export interface FormEditor {
  /** Shows a form's schema (JSON text), or a new empty form with this id when there is none. */
  open(id: string, schema: string | undefined): Promise<void>;
  /**
   * The form as JSON text to deploy or export. A form saved here is for this platform's
   * engine, whatever the one it was opened from said.
   */
  schemaText(): string;
  destroy(): void;
}

/** The form editor (form-js) for the forms user tasks show. */
export function createFormEditor(container: HTMLElement): FormEditor {
  const editor = new FormJsEditor({ container });
  return {
    async open(id, schema) {
      await editor.importSchema(schema ? (JSON.parse(schema) as never) : (newFormSchema(id) as never));
    },
    schemaText: () => JSON.stringify({ ...editor.saveSchema(), ...PLATFORM }, null, 2) + '\n',
    destroy: () => editor.destroy(),
  };
}
