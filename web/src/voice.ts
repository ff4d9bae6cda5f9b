import { useEffect, useRef } from 'preact/hooks';
import { ApiError, SESSION_EXPIRED } from './api';

/** The telephone as the API gives it (api/routes/voice.ts, api/routes/voice-simulator.ts): the server's own types. */
import type { OperatorState, Presence, QueueEntry, SettablePresence } from '../../domain/voice/acd';
import type { CallRecord } from '../../domain/voice/call-records';
import type { CallEvent } from '../../stand-ins/twilio/voice';

export type { CallRecord, OperatorState, Presence, QueueEntry, SettablePresence };
export type Offer = NonNullable<OperatorState['offer']>;

export interface Me extends OperatorState {
  call: CallRecord | null;
  /** The CUP's patients with the caller's number (only with personal-data rights). */
  callerPatients?: { id: string; name: string; fiscalCode: string }[];
  /** The platform's clock, which the offer's countdown follows. */
  now?: string;
}

/** Takes the platform's own clock from an answer that carries it (more precise than `Date`). */
export function followServerClock(now: string | undefined): void {
  const t = Date.parse(now ?? '');
  if (Number.isFinite(t)) skewMs = t - Date.now();
}

export interface Board {
  operators: OperatorState[];
  entries: QueueEntry[];
}

export type SimulatorEvent = CallEvent;

export interface SimulatedCall {
  sid: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound-api';
  status: string;
  events: SimulatorEvent[];
  gathering: boolean;
}

/** A Twilio CallSid, as the start routes accept it. */
export const CALL_SID = /^CA[0-9a-f]{32}$/;

/** The `callSid` of the page's address when it is a valid one: the call a flow is started from. */
export function callSidOf(loc: URL): string | undefined {
  const sid = loc.searchParams.get('callSid') ?? '';
  return CALL_SID.test(sid) ? sid : undefined;
}

export const PRESENCE_LABELS: Record<Presence, string> = {
  disponibile: 'Disponibile',
  'in-conversazione': 'In conversazione',
  'post-chiamata': 'Post-chiamata',
  pausa: 'Pausa',
  assente: 'Assente',
};

export const SETTABLE: SettablePresence[] = ['disponibile', 'pausa', 'assente'];

export const LINE_LABELS: Record<string, string> = {
  cup: 'CUP Basilicata',
  csb: 'Contact Center Regionale',
  tributi: 'Tributi regionali',
  'cup-second-level': 'CUP secondo livello (strutture sanitarie)',
};

/** The queues, shortly (an operator's skills are a list of them). */
export const QUEUE_LABELS: Record<string, string> = {
  cup: 'CUP',
  'cup-second-level': 'CUP 2° livello',
  csb: 'Contact Center',
  tributi: 'Tributi',
};

export const REQUEST_TYPE_LABELS: Record<string, string> = {
  booking: 'Prenotazione',
  cancellation: 'Disdetta',
  availability: 'Disponibilità',
  information: 'Informazioni',
  unknown: 'Nessuna scelta',
  tributi: 'Tributi regionali',
  pec: 'PEC',
  'digital-signature': 'Firma digitale',
  'online-services': 'Servizi on line',
  'second-level': 'Secondo livello',
};

export const CALL_OUTCOME_LABELS: Record<string, string> = {
  resolved: 'Risolto',
  'out-of-scope': 'Fuori ambito',
  'escalated-level-2': 'Inoltrato al secondo livello',
  'escalated-level-3': 'Inoltrato al terzo livello',
  abandoned: 'Abbandonata',
  busy: 'Linee occupate',
  'out-of-hours': 'Fuori orario',
  'callback-requested': 'Richiamata richiesta',
  'retired-number': 'Numero dismesso',
  'not-allowed': 'Chiamante non ammesso',
};

export const DISCONNECT_LABELS: Record<string, string> = {
  caller: 'dal chiamante',
  operator: "dall'operatore",
  ivr: 'dal risponditore',
  busy: 'occupato',
  failed: 'non riuscita',
  'no-answer': 'senza risposta',
};

export const ENTRY_STATE_LABELS: Record<string, string> = {
  waiting: 'In attesa',
  offered: 'Offerta',
  connected: 'In conversazione',
};

export const label = (labels: Record<string, string>, id: string | null | undefined): string =>
  id ? (labels[id] ?? id) : '—';

/** Whether the line's flows are the CUP's (booking, cancellation, information) or the help desk's. */
export const isCupLine = (line: string) => line === 'cup' || line === 'cup-second-level';

/** The numbers a person can call in the simulator (as they would type them). */
export const SIMULATOR_LINES = [
  { number: '848 821 821', label: 'CUP' },
  { number: '800 29 20 20', label: 'Contact Center Regionale' },
  { number: '800 653 493', label: 'Tributi' },
  { number: '0971 471373', label: 'Vecchio numero CUP' },
  { number: '0971 471372', label: 'Vecchio numero Contact Center' },
] as const;

/** Statuses after which a call is over (Twilio's). */
export const FINAL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

export const CALL_STATUS_LABELS: Record<string, string> = {
  queued: 'In partenza',
  initiated: 'Avviata',
  ringing: 'Squilla',
  'in-progress': 'In corso',
  completed: 'Terminata',
  busy: 'Occupato',
  failed: 'Non riuscita',
  'no-answer': 'Senza risposta',
  canceled: 'Annullata',
};

const HANGUP_BY: Record<string, string> = {
  caller: 'dal chiamante',
  twiml: 'dal risponditore',
  api: "dall'operatore",
};

/**
 * What the caller hears and what happens to the call, one line per event. Pauses are silence
 * and left out; the same line heard again and again (a queue's announcements) is one line
 * with a count.
 */
export function transcript(events: SimulatorEvent[]): { text: string; times: number; kind: string }[] {
  const lines: { text: string; times: number; kind: string }[] = [];
  for (const e of events) {
    let text: string;
    switch (e.kind) {
      case 'say':
        text = e.text;
        break;
      case 'play':
        text = `(audio ${e.url})`;
        break;
      case 'pause':
        continue;
      case 'gather':
        text = 'In attesa della scelta: tasti o voce';
        break;
      case 'enqueue':
        text = `In attesa in coda ${e.queue}`;
        break;
      case 'leave':
        text = 'Uscita dalla coda';
        break;
      case 'dequeued':
        text = 'Presa dalla coda';
        break;
      case 'dial':
        text = `Chiamata verso ${e.target}`;
        break;
      case 'bridged':
        text = `Collegato con ${e.target}`;
        break;
      case 'hangup':
        text = `Chiamata terminata ${HANGUP_BY[e.by] ?? ''}`.trim();
        break;
      case 'reject':
        text = `Chiamata rifiutata (${e.reason === 'busy' ? 'occupato' : e.reason})`;
        break;
      case 'error':
        text = `Errore del simulatore: ${e.message}`;
        break;
    }
    const last = lines.at(-1);
    if (last && last.text === text) last.times++;
    else lines.push({ text, times: 1, kind: e.kind });
  }
  return lines;
}

const clockFormat = new Intl.DateTimeFormat('it-IT', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZone: 'Europe/Rome',
});

/** "16:09:30": calls are short, their steps are read to the second. */
export function clock(iso: string | null | undefined): string {
  return iso ? clockFormat.format(new Date(iso)) : '—';
}

const dateTimeFormat = new Intl.DateTimeFormat('it-IT', {
  dateStyle: 'short',
  timeStyle: 'medium',
  timeZone: 'Europe/Rome',
});

/** "02/12/26, 16:09:30". */
export function dateTime(iso: string | null | undefined): string {
  return iso ? dateTimeFormat.format(new Date(iso)) : '—';
}

/** "42 s", "3 min 05 s": how long a call has been waiting. */
export function seconds(total: number): string {
  const s = Math.max(0, Math.floor(total));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** Numbers as they are read: "+39 333 123 4567". */
export function phone(n: string | null | undefined): string {
  if (!n) return '—';
  const m = /^\+39(\d{3})(\d{3})(\d+)$/.exec(n);
  return m ? `+39 ${m[1]} ${m[2]} ${m[3]}` : n;
}

/**
 * The difference between the server's clock and this browser's, from the `Date` header of an
 * answer (whole seconds, so a change under 1.5 s is taken as rounding): an offer's countdown
 * must not depend on a desk PC's clock.
 */
let skewMs = 0;
export function serverNow(): number {
  return Date.now() + skewMs;
}

/** GET with the API's error handling, also reading the server's clock. */
export async function getTimed<T>(path: string): Promise<T> {
  const sent = Date.now();
  const res = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json, application/problem+json' },
  });
  const date = Date.parse(res.headers.get('date') ?? '');
  if (Number.isFinite(date)) {
    const measured = date + 500 - (sent + Date.now()) / 2;
    if (Math.abs(measured - skewMs) > 1500) skewMs = measured;
  }
  if (res.status === 401) window.dispatchEvent(new Event(SESSION_EXPIRED));
  if (!res.ok) {
    const p = (await res.json().catch(() => ({}))) as { title?: string; detail?: string };
    throw new ApiError(res.status, p.title ?? `Errore ${res.status}`, p.detail ?? '');
  }
  return (await res.json()) as T;
}

/**
 * Runs `tick` every `ms` while the page is shown (one run at a time, the next after the
 * previous ended); stops while the tab is hidden and runs at once when it shows again.
 */
export function usePolling(tick: () => Promise<void>, ms: number, deps: unknown[] = []): void {
  const fn = useRef(tick);
  fn.current = tick;
  useEffect(() => {
    let timer: number | undefined;
    let alive = true;
    let running = false;
    const hidden = () => document.visibilityState === 'hidden';
    const run = async () => {
      window.clearTimeout(timer);
      if (!alive || running || hidden()) return;
      running = true;
      try {
        await fn.current();
      } finally {
        running = false;
        if (alive && !hidden()) timer = window.setTimeout(() => void run(), ms);
      }
    };
    const onVisibility = () => {
      if (hidden()) window.clearTimeout(timer);
      else void run();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      alive = false;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [ms, ...deps]);
}
