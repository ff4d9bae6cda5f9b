import { useEffect, useRef, useState } from 'preact/hooks';
import { FormEditor } from '@bpmn-io/form-js';
import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js/dist/assets/properties-panel.css';
import { Notice, Problem } from '../components/problem';
import { Versions } from '../components/versions';
import { download } from '../format';
import * as models from '../models';
import { navigate, useLocation } from '../router';
import { can, useSession } from '../session';
import { settleProperties } from '../format';

/** What a form is made for: the engine of the processes (Camunda Modeler reads it; form-js does not). */
const PLATFORM = {
  executionPlatform: models.EXECUTION_PLATFORM,
  executionPlatformVersion: models.EXECUTION_PLATFORM_VERSION,
};

const NEW_FORM = (id: string) => ({ id, type: 'default', schemaVersion: 16, ...PLATFORM, components: [] });

/** The form editor (form-js) for the forms user tasks show; same deploy and version rules as processes. */
export function FormEditorPage() {
  const { session } = useSession();
  const mayDeploy = can(session.user, 'models:deploy');
  const loc = useLocation();
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<FormEditor>();
  const [forms, setForms] = useState<models.Deployment[]>([]);
  const [opened, setOpened] = useState<string>();
  const [versions, setVersions] = useState<models.Deployment[]>([]);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    if (!host.current) return;
    const editor = new FormEditor({ container: host.current });
    editorRef.current = editor;
    void models.listModels().then((m) => setForms(m.filter((d) => d.resourceType === 'form')), setError);
    return () => editor.destroy();
  }, []);

  const open = async (id: string, content?: string) => {
    setError(undefined);
    const text = content ?? (await models.latestContent('form', id));
    await editorRef.current?.importSchema(text ? (JSON.parse(text) as never) : (NEW_FORM(id) as never));
    setOpened(id);
    setVersions(await models.versionsOf(id).catch(() => []));
  };
  useEffect(() => {
    const id = loc.searchParams.get('modulo');
    if (id && editorRef.current) void open(id).catch(setError);
  }, [loc.search]);

  // A form saved here is for this platform's engine, whatever the one it was opened from said.
  const schemaText = () => JSON.stringify({ ...editorRef.current?.saveSchema(), ...PLATFORM }, null, 2) + '\n';
  const doDeploy = async (e: Event) => {
    e.preventDefault();
    if (!opened) return;
    setError(undefined);
    setNotice(undefined);
    try {
      await settleProperties();
      const res = await models.deploy({ name: `${opened}.form`, content: schemaText(), comment, override: false });
      setNotice(
        `Modulo ${res.deployed.resourceId} distribuito, versione ${res.deployed.version}. I nuovi compiti lo useranno.`,
      );
      setComment('');
      setVersions(await models.versionsOf(opened));
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Editor dei moduli</h1>
      <div class="toolbar" role="toolbar" aria-label="Comandi dell'editor dei moduli">
        <label for="open-form">Apri</label>
        <select
          id="open-form"
          value={opened ?? ''}
          onChange={(e) => navigate(`/moduli?modulo=${encodeURIComponent(e.currentTarget.value)}`)}
        >
          <option value="">scegli un modulo…</option>
          {forms.map((f) => (
            <option key={f.id} value={f.resourceId ?? ''}>
              {f.resourceId} (v{f.version})
            </option>
          ))}
        </select>
        {mayDeploy && (
          <button
            type="button"
            onClick={() => {
              const id = models.askNewId('Id del nuovo modulo (minuscole e trattini):');
              if (id) navigate(`/moduli?modulo=${id}`);
            }}
          >
            Nuovo modulo
          </button>
        )}
        <button
          type="button"
          disabled={!opened}
          onClick={() => download(`${opened}.form`, schemaText(), 'application/json')}
        >
          Esporta JSON
        </button>
        <span class="status">{opened ? `Aperto: ${opened}` : 'Nessun modulo aperto'}</span>
      </div>
      <Notice text={notice} />
      <Problem error={error} />
      <div class="form-editor" ref={host} aria-label="Editor del modulo" />
      {mayDeploy && opened && (
        <form class="deploy stack" onSubmit={(e) => void doDeploy(e)} aria-labelledby="form-deploy-title">
          <h2 id="form-deploy-title">Distribuisci il modulo</h2>
          <label for="form-deploy-comment">Commento della versione</label>
          <input
            id="form-deploy-comment"
            required
            minLength={3}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          <button type="submit" class="primary">
            Distribuisci
          </button>
        </form>
      )}
      {opened && versions.length > 0 && (
        <Versions
          versions={versions}
          mayDeploy={mayDeploy}
          onOpen={(v) => void models.deploymentContent(v.id).then((c) => open(opened, c))}
          onRollback={async (v, c) => {
            const res = await models.rollback(v.id, c);
            setNotice(`Ripristinata la versione ${v.version} come nuova versione ${res.deployed.version}.`);
            await open(opened);
          }}
        />
      )}
    </section>
  );
}
