import { useEffect, useRef, useState } from 'preact/hooks';
import { LineSelect } from '../components/line-select';
import { api, query } from '../api';
import { Notice, Problem } from '../components/problem';
import { SlaTable } from '../components/sla-table';
import { Link, useFilters } from '../router';
import { can, useSession } from '../session';
import {
  dateTime,
  day,
  eur,
  KPI_LINES,
  lineLabel,
  month,
  num,
  REPORT_KIND_LABELS,
  type SlaReport,
  type StoredReport,
} from '../kpi';

/** "ottobre 2026" for a monthly report, "dal 5/10/26 al 11/10/26" for a weekly one. */
function periodLabel(r: { kind: 'weekly' | 'monthly'; from: string; to: string }): string {
  return r.kind === 'monthly' ? month(r.from.slice(0, 7)) : `dal ${day(r.from)} al ${day(r.to)}`;
}

function Publication({ r }: { r: Pick<StoredReport, 'publishedAt' | 'publishedBy'> }) {
  return r.publishedAt ? (
    <>
      <span class="kpi-outcome kpi-outcome-ok">Pubblicato</span> il {dateTime(r.publishedAt)}
      {r.publishedBy && <span class="muted"> da {r.publishedBy}</span>}
    </>
  ) : (
    <span class="kpi-outcome kpi-outcome-none">Non pubblicato</span>
  );
}

/** A modal confirmation (the browser's own dialog element: focus kept inside, Esc cancels). */
function ConfirmPublish(props: {
  report: { kind: 'weekly' | 'monthly'; line: string; from: string; to: string };
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class="kpi-dialog"
      aria-labelledby="publish-title"
      aria-describedby="publish-text"
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="publish-title">Pubblicare il report?</h2>
      <p id="publish-text">
        Il report {REPORT_KIND_LABELS[props.report.kind].toLowerCase()} {lineLabel(props.report.line)}{' '}
        {periodLabel(props.report)} sarà pubblicato alla Regione con la data di oggi. La pubblicazione non si annulla.
      </p>
      <div class="actions">
        <button type="button" class="primary" disabled={props.busy} onClick={props.onConfirm}>
          Pubblica
        </button>
        <button type="button" disabled={props.busy} onClick={props.onCancel} autoFocus>
          Annulla
        </button>
      </div>
    </dialog>
  );
}

/** Report (K4): the stored weekly and monthly reports, or one of them (`reportId`). */
export function ReportsPage(props: { reportId?: string }) {
  return props.reportId ? <ReportPage id={props.reportId} /> : <ReportList />;
}

function ReportList() {
  const { loc, filters: f, setFilter } = useFilters();
  const { session } = useSession();
  const mayPublish = can(session.user, 'kpi:publish');
  const [reports, setReports] = useState<StoredReport[]>();
  const [error, setError] = useState<unknown>();
  const [confirm, setConfirm] = useState<StoredReport>();
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  const line = (KPI_LINES as readonly string[]).includes(f.line ?? '') ? f.line : undefined;
  const kind = f.kind === 'weekly' || f.kind === 'monthly' ? f.kind : undefined;
  const load = () =>
    api<{ reports: StoredReport[] }>(`/api/kpi/reports${query({ line, kind })}`).then((r) => {
      setReports(r.reports);
      setError(undefined);
    }, setError);
  useEffect(() => {
    void load();
  }, [loc.search]);
  const publish = async (r: StoredReport) => {
    setBusy(true);
    try {
      const s = await api<StoredReport>(`/api/kpi/reports/${r.id}/publish`, { method: 'POST', body: {} });
      setConfirm(undefined);
      await load();
      setNotice(`Report ${lineLabel(s.line)} ${periodLabel(s)} pubblicato il ${dateTime(s.publishedAt)}.`);
    } catch (err) {
      setError(err);
      setConfirm(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>Report dei livelli di servizio</h1>
      <p class="muted">
        I report sono prodotti e conservati dalla piattaforma alla fine di ogni settimana e di ogni mese, con la
        versione delle definizioni in vigore; il report mensile va pubblicato entro la scadenza contrattuale.
      </p>
      <form class="filters" aria-label="Filtri dei report" onSubmit={(e) => e.preventDefault()}>
        <LineSelect id="r-line" value={line ?? ''} onChange={(v) => setFilter('line', v)} all="Tutte" />
        <div>
          <label for="r-kind">Tipo</label>
          <select id="r-kind" value={kind ?? ''} onChange={(e) => setFilter('kind', e.currentTarget.value)}>
            <option value="">Tutti</option>
            <option value="monthly">Mensili</option>
            <option value="weekly">Settimanali</option>
          </select>
        </div>
      </form>
      <Notice text={notice} />
      <Problem error={error} />
      {reports === undefined ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : reports.length === 0 ? (
        <p class="empty">Nessun report conservato con questi criteri.</p>
      ) : (
        <div class="table-scroll">
          <table class="list" aria-label="Report conservati" data-testid="reports">
            <thead>
              <tr>
                <th scope="col">Report</th>
                <th scope="col">Tipo</th>
                <th scope="col">Linea</th>
                <th scope="col">Definizioni</th>
                <th scope="col">Prodotto</th>
                <th scope="col">Scadenza</th>
                <th scope="col">Pubblicazione</th>
                <th scope="col" class="kpi-num">
                  Giorni lavorativi di ritardo
                </th>
                <th scope="col" class="kpi-num">
                  Penale per il ritardo
                </th>
                {mayPublish && <th scope="col">Azioni</th>}
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr key={r.id} data-report={r.id} class={r.lateWorkingDays > 0 ? 'row-over-target' : undefined}>
                  <th scope="row">
                    <Link href={`/report/${r.id}`}>{periodLabel(r)}</Link>
                  </th>
                  <td>{REPORT_KIND_LABELS[r.kind]}</td>
                  <td>{lineLabel(r.line)}</td>
                  <td>{r.definitionsVersion}</td>
                  <td>{dateTime(r.producedAt)}</td>
                  <td>{r.dueOn ? day(r.dueOn) : '—'}</td>
                  <td>
                    <Publication r={r} />
                  </td>
                  <td class="kpi-num">{r.dueOn ? num(r.lateWorkingDays, 0) : '—'}</td>
                  <td class="kpi-num">{r.dueOn ? eur(r.latePenaltyEur) : '—'}</td>
                  {mayPublish && (
                    <td>
                      {!r.publishedAt && (
                        <button type="button" onClick={() => setConfirm(r)}>
                          Pubblica
                          <span class="visually-hidden">
                            {' '}
                            il report {lineLabel(r.line)} {periodLabel(r)}
                          </span>
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirm && (
        <ConfirmPublish
          report={confirm}
          busy={busy}
          onConfirm={() => void publish(confirm)}
          onCancel={() => setConfirm(undefined)}
        />
      )}
    </section>
  );
}

function ReportPage({ id }: { id: string }) {
  const { session } = useSession();
  const mayPublish = can(session.user, 'kpi:publish');
  const [report, setReport] = useState<SlaReport>();
  const [error, setError] = useState<unknown>();
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  const load = async () => {
    try {
      const r = await api<SlaReport>(`/api/kpi/reports/${encodeURIComponent(id)}`);
      setReport(r);
      setError(undefined);
    } catch (err) {
      setError(err);
    }
  };
  useEffect(() => {
    void load();
  }, [id]);
  const stored = report?.stored;
  const publish = async () => {
    setBusy(true);
    try {
      const s = await api<StoredReport>(`/api/kpi/reports/${encodeURIComponent(id)}/publish`, {
        method: 'POST',
        body: {},
      });
      setConfirm(false);
      await load();
      setNotice(`Report pubblicato il ${dateTime(s.publishedAt)}.`);
    } catch (err) {
      setError(err);
      setConfirm(false);
    } finally {
      setBusy(false);
    }
  };
  const kind = stored?.kind ?? 'monthly';
  return (
    <section>
      <p>
        <Link href="/report">← Tutti i report</Link>
      </p>
      <h1 tabIndex={-1}>
        {report
          ? `Report ${REPORT_KIND_LABELS[kind].toLowerCase()} ${lineLabel(report.line)}, ${periodLabel({ kind, from: report.from, to: report.to })}`
          : 'Report'}
      </h1>
      <Notice text={notice} />
      <Problem error={error} />
      {!report ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : (
        <>
          <dl class="facts" data-testid="report-facts">
            <dt>Prodotto</dt>
            <dd>{dateTime(stored?.producedAt)}</dd>
            <dt>Scadenza</dt>
            <dd>{stored?.dueOn ? day(stored.dueOn, true) : 'nessuna (report settimanale)'}</dd>
            <dt>Pubblicazione</dt>
            <dd>
              <Publication r={{ publishedAt: stored?.publishedAt ?? null, publishedBy: stored?.publishedBy ?? null }} />
            </dd>
            {stored?.dueOn && (
              <>
                <dt>Ritardo</dt>
                <dd>
                  {num(stored.lateWorkingDays, 0)} giorni lavorativi, penale {eur(stored.latePenaltyEur)}
                </dd>
              </>
            )}
          </dl>
          <div class="actions">
            <a class="button" href={`/api/kpi/reports/${encodeURIComponent(id)}/export?format=csv`} download>
              Scarica CSV
            </a>
            <a class="button" href={`/api/kpi/reports/${encodeURIComponent(id)}/export?format=pdf`} download>
              Scarica PDF
            </a>
            {mayPublish && stored && !stored.publishedAt && (
              <button type="button" class="primary" onClick={() => setConfirm(true)}>
                Pubblica
              </button>
            )}
          </div>
          <p class="muted">
            Valori congelati alla produzione del report: non cambiano se i dati o le definizioni cambiano dopo.
          </p>
          <SlaTable report={report} />
          {confirm && (
            <ConfirmPublish
              report={{ kind, line: report.line, from: report.from, to: report.to }}
              busy={busy}
              onConfirm={() => void publish()}
              onCancel={() => setConfirm(false)}
            />
          )}
        </>
      )}
    </section>
  );
}
