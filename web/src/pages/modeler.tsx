import { useEffect, useRef, useState } from 'preact/hooks';
import {
  createProcessModeler,
  newProcessXml,
  type LintContext,
  type LintReport,
  type ProcessModeler,
} from '../../../modeler/process-modeler';
import { api } from '../api';
import { BpmnDiff } from '../components/bpmn-diff';
import { Notice, Problem } from '../components/problem';
import { PendingApprovalNotice } from '../components/pending-approval';
import { deployOrRequest, rollbackOrRequest, type PendingApproval } from '../model-approvals';
import { Versions } from '../components/versions';
import { download } from '../format';
import * as models from '../models';
import { navigate, useLocation } from '../router';
import { can, useSession } from '../session';
import { settleProperties } from '../format';

const CATEGORY_LABELS: Record<LintReport['category'], string> = {
  error: 'Errore',
  'rule-error': 'Errore',
  warn: 'Avviso',
  info: 'Nota',
};

interface Opened {
  /** Process id = file name without .bpmn. */
  id: string;
  label: string;
}

/**
 * The analysts' modeler page: the process modeler of modeler/ (camunda-bpmn-js for Camunda 7
 * with Camunda's lint rules for the engine version plus the platform's own); deploy when clean
 * (or with a confirmed override), version history, visual diff, rollback, export.
 */
export function ModelerPage() {
  const { session } = useSession();
  const mayDeploy = can(session.user, 'models:deploy');
  const loc = useLocation();
  const canvasRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const modelerRef = useRef<ProcessModeler>();
  const [catalogue, setCatalogue] = useState<{ deployed: models.Deployment[]; files: string[] }>();
  const [opened, setOpened] = useState<Opened>();
  const [reports, setReports] = useState<LintReport[]>([]);
  const [versions, setVersions] = useState<models.Deployment[]>([]);
  const [comment, setComment] = useState('');
  const [override, setOverride] = useState(false);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  /** A deploy that waits for another person's approval, and why. */
  const [pending, setPending] = useState<PendingApproval>();
  const [diff, setDiff] = useState<{ older: { label: string; xml: string }; newer: { label: string; xml: string } }>();
  const [dirty, setDirty] = useState(false);

  const errors = reports.filter((r) => r.category === 'error' || r.category === 'rule-error');

  useEffect(() => {
    if (!canvasRef.current || !panelRef.current) return;
    const modeler = createProcessModeler({
      container: canvasRef.current,
      propertiesPanel: panelRef.current,
      onChange: () => setDirty(true),
      onLint: setReports,
    });
    modelerRef.current = modeler;
    void (async () => {
      modeler.setLintContext(await api<LintContext>('/api/models/lint-context'));
      const [deployed, files] = await Promise.all([models.listModels(), models.listFiles()]);
      setCatalogue({
        deployed: deployed.filter((d) => d.resourceType === 'process'),
        files: files.filter((f) => f.endsWith('.bpmn')),
      });
    })().catch(setError);
    return () => modeler.destroy();
  }, []);

  const importXml = async (xml: string, o: Opened) => {
    const modeler = modelerRef.current;
    if (!modeler) return;
    setError(undefined);
    setPending(undefined);
    await modeler.open(xml);
    setOpened(o);
    setDirty(false);
    setDiff(undefined);
    setVersions(await models.versionsOf(o.id).catch(() => []));
  };

  // Open what the address names: ?processo=<id> (latest deployed) or ?file=<name> (from processes/).
  useEffect(() => {
    if (!catalogue || !modelerRef.current) return;
    const id = loc.searchParams.get('processo');
    const file = loc.searchParams.get('file');
    void (async () => {
      if (id) {
        const row = catalogue.deployed.find((d) => d.resourceId === id);
        const xml = row ? await models.deploymentContent(row.id) : newProcessXml(id);
        await importXml(xml, { id, label: row ? `${id} (v${row.version})` : `${id} (nuovo)` });
      } else if (file) {
        await importXml(await models.readFile(file), { id: file.replace(/\.bpmn$/, ''), label: `processes/${file}` });
      }
    })().catch(setError);
  }, [catalogue, loc.search]);

  const currentXml = () => modelerRef.current!.saveXml();

  const doDeploy = async (e: Event) => {
    e.preventDefault();
    if (!opened) return;
    setError(undefined);
    setNotice(undefined);
    setPending(undefined);
    try {
      await settleProperties();
      const res = await deployOrRequest({ name: `${opened.id}.bpmn`, content: await currentXml(), comment, override });
      if (res.status === 'pending-approval') {
        // Not deployed: the canvas keeps the changes, the request keeps this content.
        setPending(res);
        return;
      }
      setNotice(
        `Distribuito: ${res.deployed.resourceId} versione ${res.deployed.version}. Le nuove istanze useranno questa versione; quelle in corso restano sulla loro.`,
      );
      setComment('');
      setOverride(false);
      setDirty(false);
      setOpened({ ...opened, label: `${opened.id} (v${res.deployed.version})` });
      setVersions(await models.versionsOf(opened.id));
    } catch (err) {
      setError(err);
    }
  };

  const onOpen = (value: string) => {
    if (dirty && !window.confirm('Ci sono modifiche non distribuite. Aprire comunque un altro processo?')) return;
    if (value.startsWith('file:')) navigate(`/modellatore?file=${encodeURIComponent(value.slice(5))}`);
    else if (value.startsWith('id:')) navigate(`/modellatore?processo=${encodeURIComponent(value.slice(3))}`);
  };

  return (
    <section class="modeler-page">
      <h1 tabIndex={-1}>Modellatore dei processi</h1>
      <div class="toolbar" role="toolbar" aria-label="Comandi del modellatore">
        <label for="open-process">Apri</label>
        <select id="open-process" value="" onChange={(e) => onOpen(e.currentTarget.value)}>
          <option value="">scegli un processo…</option>
          <optgroup label="Distribuiti">
            {catalogue?.deployed.map((d) => (
              <option key={d.id} value={`id:${d.resourceId}`}>
                {d.resourceId} (v{d.version})
              </option>
            ))}
          </optgroup>
          <optgroup label="File in processes/">
            {catalogue?.files.map((f) => (
              <option key={f} value={`file:${f}`}>
                {f}
              </option>
            ))}
          </optgroup>
        </select>
        {mayDeploy && (
          <button
            type="button"
            onClick={() => {
              const id = models.askNewId('Id del nuovo processo (minuscole e trattini, es. csb-ticket):');
              if (id) navigate(`/modellatore?processo=${id}`);
            }}
          >
            Nuovo processo
          </button>
        )}
        <button
          type="button"
          disabled={!opened}
          onClick={() => void currentXml().then((xml) => download(`${opened?.id}.bpmn`, xml, 'application/xml'))}
        >
          Esporta BPMN
        </button>
        <span class="status" aria-live="polite">
          {opened ? `Aperto: ${opened.label}${dirty ? ' — modifiche non distribuite' : ''}` : 'Nessun processo aperto'}
        </span>
      </div>
      <Notice text={notice} />
      <PendingApprovalNotice pending={pending} />
      <Problem error={error} />
      <div class="modeler-layout">
        <div
          class={mayDeploy ? 'modeler-canvas' : 'modeler-canvas modeler-read-only'}
          ref={canvasRef}
          aria-label={mayDeploy ? 'Area di disegno BPMN' : 'Diagramma BPMN (sola lettura)'}
        />
        <div class="modeler-properties" ref={panelRef} aria-label="Proprietà dell'elemento" />
      </div>
      <div class="modeler-bottom">
        <section aria-labelledby="problems-title" class="problems">
          <h2 id="problems-title">
            Problemi{' '}
            <span class="count">
              {errors.length} errori, {reports.length - errors.length} avvisi
            </span>
          </h2>
          {reports.length === 0 ? (
            <p class="muted">{opened ? 'Nessun problema: il modello è pronto per la distribuzione.' : '—'}</p>
          ) : (
            <ul class="problem-list" data-testid="lint-problems">
              {reports.map((r, i) => (
                <li key={`${r.id}:${r.rule}:${i}`} class={`problem-${r.category}`}>
                  <button type="button" class="link" onClick={() => modelerRef.current?.showProblem(r)}>
                    <strong>{CATEGORY_LABELS[r.category]}</strong> {r.id}: {r.message}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
        {mayDeploy && opened && (
          <form class="deploy stack" onSubmit={(e) => void doDeploy(e)} aria-labelledby="deploy-title">
            <h2 id="deploy-title">Distribuisci al motore</h2>
            <label for="deploy-comment">Commento della versione (cosa cambia e perché)</label>
            <input
              id="deploy-comment"
              required
              minLength={3}
              value={comment}
              onInput={(e) => setComment(e.currentTarget.value)}
            />
            {errors.length > 0 && (
              <label class="checkbox">
                <input type="checkbox" checked={override} onChange={(e) => setOverride(e.currentTarget.checked)} />
                Distribuisci comunque: confermo di aver letto i {errors.length} errori e me ne assumo la responsabilità
              </label>
            )}
            <button type="submit" class="primary" disabled={errors.length > 0 && !override}>
              Distribuisci
            </button>
          </form>
        )}
      </div>
      {diff && <BpmnDiff older={diff.older} newer={diff.newer} onClose={() => setDiff(undefined)} />}
      {opened && versions.length > 0 && (
        <Versions
          versions={versions}
          mayDeploy={mayDeploy}
          onOpen={(v) =>
            void models
              .deploymentContent(v.id)
              .then((xml) => importXml(xml, { id: opened.id, label: `${opened.id} (v${v.version})` }))
          }
          onCompare={(older, newer) =>
            void Promise.all([models.deploymentContent(older.id), models.deploymentContent(newer.id)]).then(([a, b]) =>
              setDiff({ older: { label: `v${older.version}`, xml: a }, newer: { label: `v${newer.version}`, xml: b } }),
            )
          }
          onRollback={async (v, c) => {
            setNotice(undefined);
            setPending(undefined);
            const res = await rollbackOrRequest(v.id, c);
            if (res.status === 'pending-approval') {
              setPending(res);
              return;
            }
            setNotice(`Ripristinata la versione ${v.version} come nuova versione ${res.deployed.version}.`);
            await importXml(await models.deploymentContent((await models.versionsOf(opened.id))[0]?.id ?? v.id), {
              id: opened.id,
              label: `${opened.id} (v${res.deployed.version})`,
            });
          }}
        />
      )}
    </section>
  );
}
