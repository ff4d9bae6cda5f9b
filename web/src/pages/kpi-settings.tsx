import { useEffect, useRef, useState } from 'preact/hooks';
import { LineSelect } from '../components/line-select';
import { api, ApiError } from '../api';
import { Notice, Problem } from '../components/problem';
import { thresholdLabel } from '../components/sla-table';
import { can, useSession } from '../session';
import {
  ANSWERED_WITHIN_LABELS,
  dateTime,
  eur,
  getDefinitions,
  KPI_LINE_LABELS,
  KPI_LINES,
  lineLabel,
  month,
  num,
  OPTIONAL_COLUMNS,
  pct,
  POINT_ROUNDING_LABELS,
  postText,
  REQUIRED_COLUMNS,
  SLA_IDS,
  SLA_NAMES,
  SOLUTION_TIME_FROM_LABELS,
  type DefinitionsAnswer,
  type KpiDefinitions,
  type MaintenanceWindow,
  type ServiceValue,
} from '../kpi';

/** "4 min", "9 min", "4 h", "1 h 30 min". */
function duration(s: number): string {
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s / 60} min`;
  const m = Math.round(s / 60);
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m / 60} h`;
}

/**
 * Configurazione SLA (administrators, kpi:manage): the contact-record import, the service
 * values the penalties are computed on, the planned maintenance windows, and the versions of
 * the definitions.
 */
export function KpiSettingsPage() {
  const { session } = useSession();
  if (!can(session.user, 'kpi:manage')) {
    return (
      <section>
        <h1 tabIndex={-1}>Configurazione SLA</h1>
        <p class="empty">Questa pagina è riservata agli amministratori (permesso di configurare gli SLA).</p>
      </section>
    );
  }
  return (
    <section>
      <h1 tabIndex={-1}>Configurazione SLA</h1>
      <nav aria-label="Parti della pagina">
        <ul class="kpi-toc">
          <li>
            <a href="#importa">Importa i contatti</a>
          </li>
          <li>
            <a href="#valori">Valori del servizio</a>
          </li>
          <li>
            <a href="#manutenzioni">Manutenzioni programmate</a>
          </li>
          <li>
            <a href="#definizioni">Definizioni degli SLA</a>
          </li>
        </ul>
      </nav>
      <ContactImport />
      <ServiceValues />
      <MaintenanceWindows />
      <Definitions />
    </section>
  );
}

// ---- contact import ---------------------------------------------------------------------------

function ContactImport() {
  const file = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ name: string; rows: number; inserted: number; unchanged: number }>();
  const [error, setError] = useState<unknown>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = file.current?.files?.[0];
    setResult(undefined);
    setError(undefined);
    if (!f) {
      setError(new Error('Scegliere un file CSV.'));
      return;
    }
    setBusy(true);
    try {
      const r = await postText<{ rows: number; inserted: number; unchanged: number }>(
        `/api/kpi/contacts/import?name=${encodeURIComponent(f.name)}`,
        await f.text(),
      );
      setResult({ name: f.name, ...r });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const rowErrors = error instanceof ApiError ? error.errors : [];
  return (
    <section aria-labelledby="importa" class="kpi-settings-part">
      <h2 id="importa">Importa i contatti</h2>
      <p>
        Un file CSV (UTF-8, separato da virgole, con la riga di intestazione), un contatto per riga. Il file è
        controllato per intero: se una riga non è valida non viene scritto nulla. Importare di nuovo lo stesso file non
        cambia niente; un contatto già importato con dati diversi è rifiutato.
      </p>
      <details>
        <summary>Colonne attese</summary>
        <p>
          Obbligatorie: <code data-testid="required-columns">{REQUIRED_COLUMNS.join(',')}</code>
        </p>
        <p>
          Facoltative: <code data-testid="optional-columns">{OPTIONAL_COLUMNS.join(',')}</code>
        </p>
        <p class="muted">
          Date e ore in ISO 8601 con il fuso orario (2026-10-01T09:00:00+02:00); <code>line</code> cup o csb;{' '}
          <code>channel</code> voice, email, pec, fax, sms o letter; <code>direction</code> inbound o outbound;{' '}
          <code>resolvedLevel</code> 2 o 3.
        </p>
      </details>
      <form class="inline-form" onSubmit={(e) => void submit(e)} aria-label="Importa un file di contatti">
        <label for="import-file">File CSV dei contatti</label>
        <input id="import-file" ref={file} type="file" accept=".csv,text/csv" required />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Importazione…' : 'Importa'}
        </button>
      </form>
      {result && (
        <div class="alert alert-ok" role="status" data-testid="import-result">
          <strong>File {result.name} importato.</strong>
          <p>
            {num(result.rows, 0)} righe: {num(result.inserted, 0)} nuove, {num(result.unchanged, 0)} già presenti.
          </p>
        </div>
      )}
      {error !== undefined && rowErrors.length === 0 && <Problem error={error} />}
      {rowErrors.length > 0 && (
        <div class="alert alert-error" role="alert" data-testid="import-errors">
          <strong>{(error as ApiError).title}</strong>
          <p>{(error as ApiError).detail || 'Il file non è stato importato.'}</p>
          <table class="list" aria-label="Righe non valide">
            <thead>
              <tr>
                <th scope="col">Riga</th>
                <th scope="col">Errore</th>
              </tr>
            </thead>
            <tbody>
              {rowErrors.map((x) => (
                <tr key={`${x.field}:${x.message}`}>
                  <th scope="row">{x.label ?? x.field}</th>
                  <td>{x.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

// ---- service values ---------------------------------------------------------------------------

function ServiceValues() {
  const [values, setValues] = useState<ServiceValue[]>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ line: 'cup', month: '', service: '', outbound: '' });
  useEffect(() => {
    api<{ values: ServiceValue[] }>('/api/kpi/service-values').then((r) => setValues(r.values), setError);
  }, []);
  const amount = (v: string) => (v.trim() === '' ? null : Number(v.replace(',', '.')));
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setNotice(undefined);
    try {
      const r = await api<{ values: ServiceValue[] }>(
        `/api/kpi/service-values/${form.line}/${encodeURIComponent(form.month)}`,
        { method: 'PUT', body: { serviceValueEur: amount(form.service), outboundValueEur: amount(form.outbound) } },
      );
      setValues(r.values);
      setError(undefined);
      setNotice(`Valori di ${month(form.month)} per ${lineLabel(form.line)} salvati.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const edit = (v: ServiceValue) =>
    setForm({
      line: v.line,
      month: v.month,
      service: v.serviceValueEur === null ? '' : String(v.serviceValueEur),
      outbound: v.outboundValueEur === null ? '' : String(v.outboundValueEur),
    });
  return (
    <section aria-labelledby="valori" class="kpi-settings-part">
      <h2 id="valori">Valori del servizio</h2>
      <p>
        Il valore mensile del servizio e delle campagne in uscita su cui si calcolano le penali in euro (una penale del
        0,5% è lo 0,5% del valore del mese). Senza valore, le penali in euro del mese risultano «n/d».
      </p>
      {values === undefined ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : values.length === 0 ? (
        <p class="empty">Nessun valore inserito.</p>
      ) : (
        <table class="list" aria-label="Valori del servizio per linea e mese">
          <thead>
            <tr>
              <th scope="col">Mese</th>
              <th scope="col">Linea</th>
              <th scope="col" class="kpi-num">
                Valore del servizio
              </th>
              <th scope="col" class="kpi-num">
                Valore delle campagne in uscita
              </th>
              <th scope="col">Inserito da</th>
              <th scope="col">Il</th>
              <th scope="col">Azioni</th>
            </tr>
          </thead>
          <tbody>
            {values.map((v) => (
              <tr key={`${v.line}:${v.month}`}>
                <th scope="row">{month(v.month)}</th>
                <td>{lineLabel(v.line)}</td>
                <td class="kpi-num">{eur(v.serviceValueEur)}</td>
                <td class="kpi-num">{eur(v.outboundValueEur)}</td>
                <td>{v.enteredBy}</td>
                <td>{dateTime(v.enteredAt)}</td>
                <td>
                  <button type="button" onClick={() => edit(v)}>
                    Modifica<span class="visually-hidden"> {`${month(v.month)} ${lineLabel(v.line)}`}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Inserisci o modifica un valore</h3>
      <form class="filters" onSubmit={(e) => void submit(e)} aria-label="Valore del servizio">
        <LineSelect id="sv-line" value={form.line} onChange={(v) => setForm({ ...form, line: v })} />
        <div>
          <label for="sv-month">Mese</label>
          <input
            id="sv-month"
            type="month"
            required
            value={form.month}
            onInput={(e) => setForm({ ...form, month: e.currentTarget.value })}
          />
        </div>
        <div>
          <label for="sv-service">Valore del servizio (€)</label>
          <input
            id="sv-service"
            type="number"
            min={0}
            step="0.01"
            inputMode="decimal"
            value={form.service}
            onInput={(e) => setForm({ ...form, service: e.currentTarget.value })}
          />
        </div>
        <div>
          <label for="sv-outbound">Valore delle campagne in uscita (€)</label>
          <input
            id="sv-outbound"
            type="number"
            min={0}
            step="0.01"
            inputMode="decimal"
            value={form.outbound}
            onInput={(e) => setForm({ ...form, outbound: e.currentTarget.value })}
          />
        </div>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            Salva il valore
          </button>
        </div>
      </form>
      <Notice text={notice} />
      <Problem error={error} />
    </section>
  );
}

// ---- maintenance windows ----------------------------------------------------------------------

function MaintenanceWindows() {
  const [windows, setWindows] = useState<MaintenanceWindow[]>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [form, setForm] = useState({ startsAt: '', endsAt: '', reason: '' });
  useEffect(() => {
    api<{ windows: MaintenanceWindow[] }>('/api/kpi/maintenance-windows').then((r) => setWindows(r.windows), setError);
  }, []);
  /** A `datetime-local` value is the browser's local time; the API wants an instant. */
  const instant = (v: string) => {
    const t = new Date(v);
    return Number.isNaN(t.getTime()) ? v : t.toISOString();
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setNotice(undefined);
    try {
      const r = await api<{ windows: MaintenanceWindow[] }>('/api/kpi/maintenance-windows', {
        method: 'POST',
        body: { startsAt: instant(form.startsAt), endsAt: instant(form.endsAt), reason: form.reason },
      });
      setWindows(r.windows);
      setError(undefined);
      setForm({ startsAt: '', endsAt: '', reason: '' });
      setNotice('Manutenzione registrata.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="manutenzioni" class="kpi-settings-part">
      <h2 id="manutenzioni">Manutenzioni programmate</h2>
      <p>
        I minuti di manutenzione programmata non contano come interruzione nella «continuità di funzionamento». Una
        manutenzione registrata dopo il suo inizio è segnalata: non era programmata in anticipo.
      </p>
      {windows === undefined ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : windows.length === 0 ? (
        <p class="empty">Nessuna manutenzione registrata.</p>
      ) : (
        <table class="list" aria-label="Manutenzioni programmate" data-testid="maintenance-windows">
          <thead>
            <tr>
              <th scope="col">Inizio</th>
              <th scope="col">Fine</th>
              <th scope="col">Motivo</th>
              <th scope="col">Registrata da</th>
              <th scope="col">Il</th>
              <th scope="col">Programmazione</th>
            </tr>
          </thead>
          <tbody>
            {windows.map((w) => (
              <tr key={w.id} class={w.enteredAfterStart ? 'row-over-target' : undefined}>
                <th scope="row">{dateTime(w.startsAt)}</th>
                <td>{dateTime(w.endsAt)}</td>
                <td>{w.reason}</td>
                <td>{w.enteredBy}</td>
                <td>{dateTime(w.enteredAt)}</td>
                <td>
                  {w.enteredAfterStart ? (
                    <strong class="warn-text">⚠ Registrata dopo l'inizio</strong>
                  ) : (
                    'Registrata prima dell’inizio'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Registra una manutenzione</h3>
      <form class="filters" onSubmit={(e) => void submit(e)} aria-label="Nuova manutenzione">
        <div>
          <label for="mw-start">Inizio</label>
          <input
            id="mw-start"
            type="datetime-local"
            required
            value={form.startsAt}
            onInput={(e) => setForm({ ...form, startsAt: e.currentTarget.value })}
          />
        </div>
        <div>
          <label for="mw-end">Fine</label>
          <input
            id="mw-end"
            type="datetime-local"
            required
            value={form.endsAt}
            onInput={(e) => setForm({ ...form, endsAt: e.currentTarget.value })}
          />
        </div>
        <div class="kpi-grow">
          <label for="mw-reason">Motivo</label>
          <input
            id="mw-reason"
            required
            minLength={3}
            maxLength={500}
            value={form.reason}
            onInput={(e) => setForm({ ...form, reason: e.currentTarget.value })}
          />
        </div>
        <div>
          <button type="submit" class="primary" disabled={busy}>
            Registra
          </button>
        </div>
      </form>
      <Notice text={notice} />
      <Problem error={error} />
    </section>
  );
}

// ---- definitions ------------------------------------------------------------------------------

/**
 * The version as JSON to edit, in the order the definitions are read (the database keeps
 * JSON with its keys in its own order): the general figures first, then the SLAs in the
 * table's order.
 */
function copy(d: KpiDefinitions): string {
  const rule = (r: KpiDefinitions['sla'][keyof KpiDefinitions['sla']]) => ({
    comparison: r.comparison,
    thresholdPct: r.thresholdPct,
    targetPct: r.targetPct,
    penaltyPctPerPoint: r.penaltyPctPerPoint,
    penaltyBase: r.penaltyBase,
  });
  const ordered = {
    version: d.version,
    answeredWithin: d.answeredWithin,
    shortAbandonS: d.shortAbandonS,
    solutionTimeFrom: d.solutionTimeFrom,
    pointRounding: d.pointRounding,
    waitLimitS: d.waitLimitS,
    firstContactLimitS: { cup: d.firstContactLimitS.cup, csb: d.firstContactLimitS.csb },
    secondLevelLimitS: d.secondLevelLimitS,
    writtenLimitBusinessHours: d.writtenLimitBusinessHours,
    outboundPackageHours: d.outboundPackageHours,
    outboundPackageSize: d.outboundPackageSize,
    outboundLatePenaltyPctPerHour: d.outboundLatePenaltyPctPerHour,
    lateReportEurPerDay: d.lateReportEurPerDay,
    reportDueDay: d.reportDueDay,
    operatorDowntimeEurPerHour: d.operatorDowntimeEurPerHour,
    // Anything else a version holds is kept, after the known fields.
    sla: { ...Object.fromEntries(SLA_IDS.map((id) => [id, { ...rule(d.sla[id]), ...d.sla[id] }])), ...d.sla },
  };
  return JSON.stringify({ ...ordered, ...d, sla: ordered.sla }, null, 2);
}

/** The current version in words and a table, read-only. */
function DefinitionsView({ d }: { d: KpiDefinitions }) {
  return (
    <>
      <dl class="facts" data-testid="current-definitions">
        <dt>Versione</dt>
        <dd>
          <strong>{d.version}</strong>
        </dd>
        <dt>Chiamate perse nel «tempo massimo di attesa»</dt>
        <dd>{ANSWERED_WITHIN_LABELS[d.answeredWithin]}</dd>
        <dt>Abbandono breve</dt>
        <dd>entro {num(d.shortAbandonS, 0)} s</dd>
        <dt>Tempo di soluzione misurato</dt>
        <dd>{SOLUTION_TIME_FROM_LABELS[d.solutionTimeFrom]}</dd>
        <dt>Punti di penale</dt>
        <dd>{POINT_ROUNDING_LABELS[d.pointRounding]}</dd>
        <dt>Tempo massimo di attesa</dt>
        <dd>{duration(d.waitLimitS)}</dd>
        <dt>Soluzione al primo contatto</dt>
        <dd>{KPI_LINES.map((l) => `${KPI_LINE_LABELS[l]} entro ${duration(d.firstContactLimitS[l])}`).join(', ')}</dd>
        <dt>Soluzione al secondo livello</dt>
        <dd>entro {duration(d.secondLevelLimitS)} dall'inizio della chiamata</dd>
        <dt>Contatti scritti</dt>
        <dd>chiusi entro {num(d.writtenLimitBusinessHours)} ore lavorative</dd>
        <dt>Efficienza delle campagne in uscita</dt>
        <dd>
          {num(d.outboundPackageHours)} ore di servizio per pacchetto di {num(d.outboundPackageSize, 0)} contatti;
          penale {pct(d.outboundLatePenaltyPctPerHour)} del valore in uscita per ogni ora iniziata oltre il limite
        </dd>
        <dt>Report mensile</dt>
        <dd>
          da pubblicare entro il giorno {d.reportDueDay} del mese successivo; {eur(d.lateReportEurPerDay)} per giorno
          lavorativo di ritardo
        </dd>
        <dt>Servizio operatori non disponibile</dt>
        <dd>{eur(d.operatorDowntimeEurPerHour)} per ora lavorativa</dd>
      </dl>
      <div class="table-scroll">
        <table class="list" aria-label={`Soglie e penali della versione ${d.version}`}>
          <thead>
            <tr>
              <th scope="col">SLA</th>
              <th scope="col" class="kpi-num">
                Soglia
              </th>
              <th scope="col" class="kpi-num">
                Valore da raggiungere
              </th>
              <th scope="col" class="kpi-num">
                Penale per punto
              </th>
              <th scope="col">Calcolata sul valore</th>
            </tr>
          </thead>
          <tbody>
            {SLA_IDS.map((id) => {
              const r = d.sla[id];
              return (
                <tr key={id}>
                  <th scope="row">{SLA_NAMES[id]}</th>
                  <td class="kpi-num">{thresholdLabel(r)}</td>
                  <td class="kpi-num">{r.targetPct === null ? '—' : pct(r.targetPct)}</td>
                  <td class="kpi-num">{pct(r.penaltyPctPerPoint)}</td>
                  <td>{r.penaltyBase === 'service' ? 'del servizio' : 'delle campagne in uscita'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Definitions() {
  const [defs, setDefs] = useState<DefinitionsAnswer>();
  const [error, setError] = useState<unknown>();
  const [saveError, setSaveError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getDefinitions().then((d) => {
      setDefs(d);
      setText(copy(d.current));
    }, setError);
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setNotice(undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      setSaveError(new Error(`Il testo non è JSON valido: ${(err as Error).message}`));
      return;
    }
    setBusy(true);
    try {
      const d = await api<DefinitionsAnswer>('/api/kpi/definitions', {
        method: 'POST',
        body: { definitions: parsed, note: note.trim() || null },
      });
      setDefs(d);
      setText(copy(d.current));
      setNote('');
      setSaveError(undefined);
      setNotice(`Versione ${d.current.version} salvata: da ora è quella in vigore.`);
    } catch (err) {
      setSaveError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="definizioni" class="kpi-settings-part">
      <h2 id="definizioni">Definizioni degli SLA</h2>
      <p>
        Le definizioni sono versionate: una versione non si modifica, se ne aggiunge una nuova, che vale da quel
        momento. Ogni report indica la versione con cui è stato calcolato.
      </p>
      <Problem error={error} />
      {!defs ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : (
        <>
          <h3>Versione in vigore</h3>
          <DefinitionsView d={defs.current} />
          <h3>Versioni</h3>
          <table class="list" aria-label="Versioni delle definizioni" data-testid="definition-versions">
            <thead>
              <tr>
                <th scope="col">Versione</th>
                <th scope="col">Creata</th>
                <th scope="col">Da</th>
                <th scope="col">Nota</th>
              </tr>
            </thead>
            <tbody>
              {defs.versions.map((v) => (
                <tr key={v.version}>
                  <th scope="row">
                    {v.version}
                    {v.version === defs.current.version && <span class="muted"> (in vigore)</span>}
                  </th>
                  <td>{dateTime(v.createdAt)}</td>
                  <td>{v.createdBy}</td>
                  <td>{v.note ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Nuova versione</h3>
          <form class="stack kpi-definitions-form" onSubmit={(e) => void submit(e)} aria-label="Nuova versione">
            <label for="def-json">
              Definizioni (JSON): una copia della versione in vigore da modificare; cambiare anche «version» (lettere
              minuscole, cifre, punto, trattino)
            </label>
            <textarea
              id="def-json"
              rows={24}
              spellcheck={false}
              class="kpi-json"
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
            <label for="def-note">Nota (perché la nuova versione)</label>
            <input id="def-note" maxLength={1000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
            <div class="row-actions">
              <button type="submit" class="primary" disabled={busy}>
                Salva come nuova versione
              </button>
              <button type="button" onClick={() => setText(copy(defs.current))}>
                Ricomincia dalla versione in vigore
              </button>
            </div>
          </form>
          <Notice text={notice} />
          <Problem error={saveError} />
        </>
      )}
    </section>
  );
}
