import { useEffect, useRef, useState } from 'preact/hooks';
import { LineSelect } from '../components/line-select';
import { api } from '../api';
import { Problem } from '../components/problem';
import { SlaTable } from '../components/sla-table';
import { navigate, useFilters } from '../router';
import {
  ANSWERED_WITHIN_LABELS,
  CHANNEL_LABELS,
  dateTime,
  DIRECTION_LABELS,
  getDefinitions,
  isDay,
  lastMonth,
  lineOf,
  num,
  SLA_IDS,
  slaQuery,
  SOLUTION_TIME_FROM_LABELS,
  SOURCE_LABELS,
  STATUS_LABELS,
  type KpiContact,
  type KpiDefinitions,
  type SlaParams,
  type SlaReport,
  type SlaStatus,
  withParams,
} from '../kpi';
import { CALL_OUTCOME_LABELS, label, QUEUE_LABELS, REQUEST_TYPE_LABELS } from '../voice';

const PAGE = 50;
const STATUSES: SlaStatus[] = ['met', 'missed', 'pending'];

/**
 * Livelli di servizio (K3): the SLA table of a line and period (default: last month) with the
 * variants of the definitions, its CSV and PDF, and from each count the contacts behind it.
 */
export function SlaPage() {
  const { loc, filters: f, setFilter } = useFilters();
  const [defs, setDefs] = useState<KpiDefinitions>();
  const [report, setReport] = useState<SlaReport>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const month = lastMonth();
  const params: SlaParams = {
    line: lineOf(f.line),
    from: isDay(f.from) ? f.from : month.from,
    to: isDay(f.to) ? f.to : month.to,
    answeredWithin: f.answeredWithin,
    shortAbandonS: f.shortAbandonS,
    solutionTimeFrom: f.solutionTimeFrom,
  };
  const q = slaQuery(params);

  useEffect(() => {
    getDefinitions().then((d) => setDefs(d.current), setError);
  }, []);
  useEffect(() => {
    let alive = true;
    setLoading(true);
    api<SlaReport>(`/api/kpi/sla${q}`).then(
      (r) => {
        if (!alive) return;
        setReport(r);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (!alive) return;
        setReport(undefined);
        setError(err);
        setLoading(false);
      },
    );
    return () => {
      alive = false;
    };
  }, [q]);

  const drillSla = (SLA_IDS as readonly string[]).includes(f.sla ?? '') ? f.sla : undefined;
  const drillStatus = (STATUSES as string[]).includes(f.status ?? '') ? (f.status as SlaStatus) : undefined;
  const drillRow = report?.sla.find((r) => r.id === drillSla);

  return (
    <section>
      <h1 tabIndex={-1}>Livelli di servizio</h1>
      <form class="filters" aria-label="Periodo e definizioni" onSubmit={(e) => e.preventDefault()}>
        <LineSelect id="s-line" value={params.line} onChange={(v) => setFilter('line', v)} />
        <div>
          <label for="s-from">Dal</label>
          <input
            id="s-from"
            type="date"
            value={params.from}
            onChange={(e) => setFilter('from', e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="s-to">al</label>
          <input id="s-to" type="date" value={params.to} onChange={(e) => setFilter('to', e.currentTarget.value)} />
        </div>
        <div>
          <label for="s-answered">Chiamate perse nel «tempo massimo di attesa»</label>
          <select
            id="s-answered"
            value={params.answeredWithin ?? defs?.answeredWithin ?? ''}
            onChange={(e) => setFilter('answeredWithin', e.currentTarget.value)}
          >
            {Object.entries(ANSWERED_WITHIN_LABELS).map(([id, l]) => (
              <option key={id} value={id}>
                {l}
                {id === defs?.answeredWithin ? ' (definizioni in vigore)' : ''}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="s-short">Abbandono breve (secondi)</label>
          <input
            id="s-short"
            type="number"
            min={0}
            max={120}
            step={1}
            value={params.shortAbandonS ?? (defs ? String(defs.shortAbandonS) : '')}
            onChange={(e) => setFilter('shortAbandonS', e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="s-solution">Tempo di soluzione misurato</label>
          <select
            id="s-solution"
            value={params.solutionTimeFrom ?? defs?.solutionTimeFrom ?? ''}
            onChange={(e) => setFilter('solutionTimeFrom', e.currentTarget.value)}
          >
            {Object.entries(SOLUTION_TIME_FROM_LABELS).map(([id, l]) => (
              <option key={id} value={id}>
                {l}
                {id === defs?.solutionTimeFrom ? ' (definizioni in vigore)' : ''}
              </option>
            ))}
          </select>
        </div>
        {(f.answeredWithin || f.shortAbandonS || f.solutionTimeFrom) && (
          <div>
            <button
              type="button"
              onClick={() =>
                navigate(
                  withParams(loc, { answeredWithin: undefined, shortAbandonS: undefined, solutionTimeFrom: undefined }),
                  true,
                )
              }
            >
              Definizioni in vigore
            </button>
          </div>
        )}
      </form>
      <Problem error={error} />
      {report && (
        <>
          <div class="actions" aria-label="Scarica il report">
            <a class="button" href={`/api/kpi/sla/export${slaQuery(params, { format: 'csv' })}`} download>
              Scarica CSV
            </a>
            <a class="button" href={`/api/kpi/sla/export${slaQuery(params, { format: 'pdf' })}`} download>
              Scarica PDF
            </a>
          </div>
          <div aria-busy={loading ? 'true' : 'false'}>
            <SlaTable
              report={report}
              drill={(row, status) => withParams(loc, { sla: row.id, status, offset: undefined })}
              current={drillSla && drillStatus ? { sla: drillSla, status: drillStatus } : undefined}
            />
          </div>
          {drillRow && drillStatus && (
            <Contacts
              key={`${q}:${drillRow.id}:${drillStatus}`}
              params={params}
              sla={drillRow.id}
              objective={drillRow.objective}
              status={drillStatus}
              offset={Math.max(0, Number(f.offset) || 0)}
              loc={loc}
            />
          )}
        </>
      )}
      {!report && !error && <p aria-busy="true">Caricamento…</p>}
    </section>
  );
}

/** The contacts behind one count of the table, a page at a time. */
function Contacts(props: {
  params: SlaParams;
  sla: string;
  objective: string;
  status: SlaStatus;
  offset: number;
  loc: URL;
}) {
  const [page, setPage] = useState<{ total: number; contacts: KpiContact[] }>();
  const [error, setError] = useState<unknown>();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  useEffect(() => {
    api<{ total: number; contacts: KpiContact[] }>(
      `/api/kpi/sla/contacts${slaQuery(props.params, {
        sla: props.sla,
        status: props.status,
        offset: props.offset,
        limit: PAGE,
      })}`,
    ).then((p) => {
      setPage(p);
      setError(undefined);
    }, setError);
  }, [props.offset]);
  const go = (offset: number) =>
    navigate(withParams(props.loc, { offset: offset > 0 ? String(offset) : undefined }), true);
  const close = () => navigate(withParams(props.loc, { sla: undefined, status: undefined, offset: undefined }));
  const last = page ? Math.min(page.total, props.offset + page.contacts.length) : 0;
  return (
    <section class="kpi-drill" aria-labelledby="drill-heading" data-testid="drill">
      <div class="panel-heading">
        <h2 id="drill-heading" tabIndex={-1} ref={heading}>
          Contatti {STATUS_LABELS[props.status]}: {props.objective}
        </h2>
        <div class="row-actions">
          <a
            class="button"
            href={`/api/kpi/sla/contacts${slaQuery(props.params, {
              sla: props.sla,
              status: props.status,
              offset: 0,
              limit: 1000,
              format: 'csv',
            })}`}
            download
          >
            Scarica CSV (primi 1000)
          </a>
          <button type="button" onClick={close}>
            Chiudi l'elenco
          </button>
        </div>
      </div>
      <Problem error={error} />
      {!page ? (
        <p aria-busy="true">Caricamento…</p>
      ) : page.total === 0 ? (
        <p class="empty">Nessun contatto.</p>
      ) : (
        <>
          <p role="status">
            Contatti da {num(props.offset + 1, 0)} a {num(last, 0)} di {num(page.total, 0)}.
          </p>
          <div class="table-scroll">
            <table class="list kpi-contacts" aria-label={`Contatti ${STATUS_LABELS[props.status]}`}>
              <thead>
                <tr>
                  <th scope="col">Contatto</th>
                  <th scope="col">Origine</th>
                  <th scope="col">Linea registrata</th>
                  <th scope="col">Canale</th>
                  <th scope="col">Direzione</th>
                  <th scope="col">Richiesta</th>
                  <th scope="col">Coda</th>
                  <th scope="col">Priorità</th>
                  <th scope="col">Chiamante</th>
                  <th scope="col">Inizio</th>
                  <th scope="col">In coda</th>
                  <th scope="col">Risposta</th>
                  <th scope="col">Abbandono</th>
                  <th scope="col">Fine</th>
                  <th scope="col">Fine post-chiamata</th>
                  <th scope="col">Chiusura del caso</th>
                  <th scope="col">Livello di chiusura</th>
                  <th scope="col">Operatore</th>
                  <th scope="col">Esito</th>
                </tr>
              </thead>
              <tbody>
                {page.contacts.map((c) => (
                  <tr key={c.contactId} data-contact={c.contactId}>
                    <th scope="row">
                      <code>{c.contactId}</code>
                    </th>
                    <td>{SOURCE_LABELS[c.source] ?? c.source}</td>
                    <td>{label(QUEUE_LABELS, c.originalLine)}</td>
                    <td>{CHANNEL_LABELS[c.channel] ?? c.channel}</td>
                    <td>{DIRECTION_LABELS[c.direction] ?? c.direction}</td>
                    <td>{label(REQUEST_TYPE_LABELS, c.requestType)}</td>
                    <td>{label(QUEUE_LABELS, c.queue)}</td>
                    <td>{c.priority ?? '—'}</td>
                    <td>{c.caller ?? '—'}</td>
                    <td>
                      {dateTime(c.startedAt)}
                      {!c.arrivalKnown && <span class="muted"> (ingresso in coda)</span>}
                    </td>
                    <td>{dateTime(c.offeredAt)}</td>
                    <td>{dateTime(c.answeredAt)}</td>
                    <td>{dateTime(c.abandonedAt)}</td>
                    <td>{dateTime(c.endedAt)}</td>
                    <td>{dateTime(c.wrapUpEndedAt)}</td>
                    <td>{dateTime(c.resolvedAt)}</td>
                    <td>{c.resolvedLevel ? `${c.resolvedLevel}° livello` : '—'}</td>
                    <td>{c.operator ?? '—'}</td>
                    <td>
                      {c.outcome ? (CALL_OUTCOME_LABELS[c.outcome] ?? c.outcome) : '—'}
                      {c.positive !== null && <span class="muted"> ({c.positive ? 'positivo' : 'negativo'})</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="actions" aria-label="Pagine dei contatti">
            <button type="button" disabled={props.offset === 0} onClick={() => go(Math.max(0, props.offset - PAGE))}>
              Precedenti
            </button>
            <button type="button" disabled={last >= page.total} onClick={() => go(props.offset + PAGE)}>
              Successivi
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
