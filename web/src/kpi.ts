import { api, ApiError, query, SESSION_EXPIRED } from './api';
import {
  KPI_LINE_LABELS,
  KPI_LINES,
  type ContactChannel,
  type ContactSource,
  type DistributionBucket,
  type KpiDefinitions,
  type KpiLine,
  type SlaId,
  type SlaStatus,
} from '../../domain/kpi/types';

/** The KPI pages' shapes are the server's own (domain/kpi/types.ts). */
export type {
  Distribution,
  DistributionBucket,
  DistributionRow,
  KpiContact,
  KpiDefinitions,
  KpiLine,
  SlaId,
  SlaReport,
  SlaRow,
  SlaStatus,
  StoredReportSummary as StoredReport,
  Wallboard,
  WallboardWindow,
} from '../../domain/kpi/types';
export {
  ANSWERED_WITHIN_LABELS,
  DISTRIBUTION_BUCKETS,
  KPI_LINE_LABELS,
  KPI_LINES,
  POINT_ROUNDING_LABELS,
  SLA_IDS,
  SOLUTION_TIME_FROM_LABELS,
} from '../../domain/kpi/types';

// ---- numbers, Italian style ------------------------------------------------------------------

const integer = new Intl.NumberFormat('it-IT', { maximumFractionDigits: 0 });
const upTo2 = new Intl.NumberFormat('it-IT', { maximumFractionDigits: 2 });
const exactly2 = new Intl.NumberFormat('it-IT', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const euro = new Intl.NumberFormat('it-IT', { style: 'currency', currency: 'EUR' });

/** "1.234", "12,5": up to two decimals. */
export function num(n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (digits === 0) return integer.format(n);
  return digits === 2 ? upTo2.format(n) : new Intl.NumberFormat('it-IT', { maximumFractionDigits: digits }).format(n);
}

/** A percentage as seed 003 writes it: "42,46%", "99,00%", "100%"; "n/a" without data. */
export function pct(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a';
  return `${Number.isInteger(n) ? integer.format(n) : exactly2.format(n)}%`;
}

/** "1.234,56 €"; "n/d" when the value is not configured. */
export function eur(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/d';
  return euro.format(n);
}

/** A wait: "45 s", "3 min 05 s", "1 h 02 min"; "—" without one. */
export function waitLabel(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, '0')} s`;
  return `${Math.floor(t / 3600)} h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')} min`;
}

const dateOnly = new Intl.DateTimeFormat('it-IT', { dateStyle: 'short', timeZone: 'UTC' });
const dateLong = new Intl.DateTimeFormat('it-IT', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const monthLong = new Intl.DateTimeFormat('it-IT', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const clockFmt = new Intl.DateTimeFormat('it-IT', { timeStyle: 'medium', timeZone: 'Europe/Rome' });
const dateTimeFmt = new Intl.DateTimeFormat('it-IT', {
  dateStyle: 'short',
  timeStyle: 'medium',
  timeZone: 'Europe/Rome',
});

/** A calendar day `YYYY-MM-DD` as "01/10/26" (short) or "1 ottobre 2026" (long). */
export function day(d: string | null | undefined, long = false): string {
  if (!d) return '—';
  const t = new Date(`${d.slice(0, 10)}T12:00:00Z`);
  return Number.isNaN(t.getTime()) ? d : (long ? dateLong : dateOnly).format(t);
}

/** A month `YYYY-MM` as "ottobre 2026". */
export function month(m: string): string {
  const t = new Date(`${m}-15T12:00:00Z`);
  return Number.isNaN(t.getTime()) ? m : monthLong.format(t);
}

/** "10:32:05", Rome time. */
export function clock(iso: string | null | undefined): string {
  return iso ? clockFmt.format(new Date(iso)) : '—';
}

/** "13/10/26, 10:32:05", Rome time. */
export function dateTime(iso: string | null | undefined): string {
  return iso ? dateTimeFmt.format(new Date(iso)) : '—';
}

// ---- periods ----------------------------------------------------------------------------------

const romeDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' });

/** Today in Rome, `YYYY-MM-DD`. */
export function today(now = new Date()): string {
  return romeDay.format(now);
}

export function addDays(d: string, n: number): string {
  const t = new Date(`${d}T12:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** The previous calendar month: its first and last day. */
export function lastMonth(now = new Date()): { from: string; to: string } {
  const firstOfThis = `${today(now).slice(0, 7)}-01`;
  const to = addDays(firstOfThis, -1);
  return { from: `${to.slice(0, 7)}-01`, to };
}

/** The line of the address, CUP unless it names another. */
export function lineOf(v: string | undefined): KpiLine {
  return (KPI_LINES as readonly string[]).includes(v ?? '') ? (v as KpiLine) : 'cup';
}

/** The address of the page with some parameters changed (undefined or '' removes one). */
export function withParams(loc: URL, changes: Record<string, string | undefined>): string {
  const next = new URLSearchParams(loc.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, v);
  }
  const q = next.toString();
  return `${loc.pathname}${q ? `?${q}` : ''}`;
}

export const isDay = (v: string | undefined): v is string => !!v && /^\d{4}-\d{2}-\d{2}$/.test(v);

// ---- labels -----------------------------------------------------------------------------------

export const STATUS_LABELS: Record<SlaStatus, string> = {
  met: 'conformi',
  missed: 'non conformi',
  pending: 'in sospeso',
};
export const CHANNEL_LABELS: Record<ContactChannel, string> = {
  voice: 'Telefono',
  email: 'Email',
  pec: 'PEC',
  fax: 'Fax',
  sms: 'SMS',
  letter: 'Lettera',
};
export const SOURCE_LABELS: Record<ContactSource, string> = {
  voice: 'Telefono della piattaforma',
  mail: 'Posta della piattaforma',
  campaign: 'Campagna in uscita',
  import: 'File importato',
};
export const DIRECTION_LABELS: Record<string, string> = { inbound: 'In entrata', outbound: 'In uscita' };
export const BUCKET_LABELS: Record<DistributionBucket, string> = {
  hour: 'Ora del giorno',
  weekday: 'Giorno della settimana',
  day: 'Giorno',
  month: 'Mese',
};
export const REPORT_KIND_LABELS: Record<'weekly' | 'monthly', string> = {
  weekly: 'Settimanale',
  monthly: 'Mensile',
};
const WEEKDAYS = ['lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato', 'domenica'];

/** A distribution's bucket key as read: "09–10", "lunedì", "01/10/26", "ottobre 2026". */
export function bucketLabel(by: DistributionBucket, key: string): string {
  if (by === 'hour') {
    const h = Number(key);
    return `${String(h).padStart(2, '0')}–${String((h + 1) % 24).padStart(2, '0')}`;
  }
  if (by === 'weekday') return WEEKDAYS[Number(key) - 1] ?? key;
  if (by === 'day') return day(key);
  return month(key);
}

export const lineLabel = (l: string) => KPI_LINE_LABELS[l as KpiLine] ?? l;

// ---- the API ----------------------------------------------------------------------------------

export interface SlaParams {
  line: KpiLine;
  from: string;
  to: string;
  answeredWithin?: string | undefined;
  shortAbandonS?: string | undefined;
  solutionTimeFrom?: string | undefined;
}

/** The query of the SLA report and its exports and drill-down (variants only when set). */
export function slaQuery(p: SlaParams, more: Record<string, string | number | undefined> = {}): string {
  return query({
    line: p.line,
    from: p.from,
    to: p.to,
    answeredWithin: p.answeredWithin,
    shortAbandonS: p.shortAbandonS,
    solutionTimeFrom: p.solutionTimeFrom,
    ...more,
  });
}

export interface ServiceValue {
  line: KpiLine;
  month: string;
  serviceValueEur: number | null;
  outboundValueEur: number | null;
  enteredBy: string;
  enteredAt: string;
}

export interface MaintenanceWindow {
  id: string;
  startsAt: string;
  endsAt: string;
  reason: string;
  enteredBy: string;
  enteredAt: string;
  enteredAfterStart: boolean;
}

export interface DefinitionVersion {
  version: string;
  createdAt: string;
  createdBy: string;
  note: string | null;
}

export interface DefinitionsAnswer {
  current: KpiDefinitions;
  versions: DefinitionVersion[];
}

export const getDefinitions = () => api<DefinitionsAnswer>('/api/kpi/definitions');

/**
 * A raw-body POST (a CSV file): `api()` sends JSON only. The session's CSRF token is the one
 * `GET /api/session` answers (it stays the same for the session).
 */
export async function postText<T>(path: string, body: string, contentType = 'text/csv'): Promise<T> {
  const { csrfToken } = await api<{ csrfToken: string }>('/api/session');
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      accept: 'application/json, application/problem+json',
      'content-type': contentType,
      'x-csrf-token': csrfToken,
    },
    body,
  });
  if (res.status === 401) window.dispatchEvent(new Event(SESSION_EXPIRED));
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as {
      title?: string;
      detail?: string;
      errors?: { field: string; message: string; label?: string }[];
    };
    throw new ApiError(res.status, problem.title ?? `Errore ${res.status}`, problem.detail ?? '', problem.errors ?? []);
  }
  return (await res.json()) as T;
}

/** The SLAs' short Italian names (seed 003's objectives), for the definitions. */
export const SLA_NAMES: Record<SlaId, string> = {
  'answered-within-20s': 'Tempo massimo di attesa (risposte entro 20 s)',
  'written-contacts-24h': 'Tempo massimo di risposta a mail, PEC, fax, SMS, lettere',
  'lost-calls': 'Chiamate entranti perse',
  'first-contact-resolution': 'Chiamate evase al primo contatto',
  'first-contact-solution-time': 'Tempo di soluzione al primo contatto',
  'second-level-resolution': 'Chiamate risolte al secondo livello',
  'second-level-solution-time': 'Tempo di soluzione al secondo livello',
  'outbound-efficacy': 'Efficacia di acquisizione dati (in uscita)',
  'outbound-efficiency': 'Efficienza operativa (in uscita)',
  'ivr-continuity': 'Continuità di funzionamento',
};

/** The import's columns, as the import reads them. */
export {
  IMPORT_REQUIRED_COLUMNS as REQUIRED_COLUMNS,
  IMPORT_OPTIONAL_COLUMNS as OPTIONAL_COLUMNS,
} from '../../domain/kpi/types';
