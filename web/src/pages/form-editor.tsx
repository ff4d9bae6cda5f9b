import { useEffect, useRef, useState } from 'preact/hooks';
import { createFormEditor, type FormEditor } from '../../../modeler/form-editor';
import { Notice, Problem } from '../components/problem';
import { Versions } from '../components/versions';
import { download } from '../format';
import * as models from '../models';
import { navigate, useLocation } from '../router';
import { can, useSession } from '../session';
import { settleProperties } from '../format';

/**
 * The form editor page (the form-js editor of modeler/) for the forms user tasks show; same
 * deploy and version rules as processes.
 */
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
    const editor = createFormEditor(host.current);
    editorRef.current = editor;
    void models.listModels().then((m) => setForms(m.filter((d) => d.resourceType === 'form')), setError);
    return () => editor.destroy();
  }, []);

  const open = async (id: string, content?: string) => {
    setError(undefined);
    await editorRef.current?.open(id, content ?? (await models.latestContent('form', id)));
    setOpened(id);
    setVersions(await models.versionsOf(id).catch(() => []));
  };
  useEffect(() => {
    const id = loc.searchParams.get('modulo');
    if (id && editorRef.current) void open(id).catch(setError);
  }, [loc.search]);

  const schemaText = () => editorRef.current?.schemaText() ?? '';
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
