import { isHoliday } from '../business-calendar.js';
import { dayInRome, TIME_ZONE } from '../time.js';

/**
 * The telephone lines of the contract (seed §2.1.3, §2.2.3, requirements V2–V4, V7) and what
 * the calendar says of a call to one of them: a working day, a holiday or a closure, a retired
 * number's message inviting the caller to the green number, or, past its months, nothing at
 * all. Pure: the IVR flow is given the answer. Opening hours per weekday are in the model
 * (processes/inbound-call.bpmn, gateway «In orario?»), where an analyst changes them.
 */

export type LineId = 'cup' | 'csb' | 'tributi' | 'cup-second-level';
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

export interface Line {
  id: LineId;
  /** What the caller and the operator call it. */
  name: string;
  /** The numbers that reach this line, E.164. */
  numbers: string[];
  /** Days closed beyond national holidays (`YYYY-MM-DD`, Europe/Rome): closures. */
  closedDays: string[];
  /**
   * Days closed every year (`MM-DD`): local holidays, which Italy's national calendar does not
   * have, such as the patron days of Potenza (San Gerardo, `05-30`) and Matera (Madonna della
   * Bruna, `07-02`) when the service closes for them.
   */
  yearlyClosures?: string[];
  /** Channels the line must offer at least (§2.1.3: 60 CUP, §2.2.3: 30 CSB); a call beyond them is busy. */
  minChannels: number;
  /** Only these callers get through (the health structures' second-level line, V4). */
  allowList?: string[];
}

/** A number the contract retires (V3): it answers with a message for some months, then stops. */
export interface RetiredNumber {
  number: string;
  /** The line whose green number the message points to. */
  line: LineId;
  /** When the number stops being a line of its own (`YYYY-MM-DD`, Europe/Rome). */
  retiredOn: string;
  /** How long the message is played after that (§2.1.3: four months). */
  months: number;
}

/**
 * The lines as the specification describes them. Numbers and hours are a default the
 * deployment overrides (a second-level number is assigned by the carrier).
 */
export const DEFAULT_LINES: readonly Line[] = [
  {
    id: 'cup',
    name: 'CUP Basilicata',
    numbers: ['+39848821821'],
    closedDays: [],
    minChannels: 60,
  },
  {
    id: 'csb',
    name: 'Contact Center Regionale',
    numbers: ['+39800292020'],
    closedDays: [],
    minChannels: 30,
  },
  {
    // §2.2 (informazioni sui tributi regionali): on the regional contact center's lines.
    id: 'tributi',
    name: 'Tributi regionali',
    numbers: ['+39800653493'],
    closedDays: [],
    minChannels: 30,
  },
  {
    id: 'cup-second-level',
    name: 'CUP secondo livello (strutture sanitarie)',
    numbers: [],
    closedDays: [],
    minChannels: 2,
    allowList: [],
  },
];

/** The direct numbers the new contract retires (§2.1.3, §2.2.3); the date is the deployment's. */
export function defaultRetiredNumbers(retiredOn: string): RetiredNumber[] {
  return [
    { number: '+390971471373', line: 'cup', retiredOn, months: 4 },
    { number: '+390971471372', line: 'csb', retiredOn, months: 4 },
  ];
}

export type LineState =
  | { kind: 'open'; line: Line }
  /** A working day: whether the line is open at this hour is the model's decision. */
  | { kind: 'closed'; line: Line; reason: 'holiday' | 'closure' }
  /** A retired number within its months: the message pointing to `line`'s number. */
  | { kind: 'retired'; line: Line; until: string }
  /** A number the platform does not (or no longer) answer. */
  | { kind: 'unknown' };

const clockFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  hour: '2-digit',
  minute: '2-digit',
  weekday: 'short',
  hourCycle: 'h23',
});

/** A number as Twilio gives it (`+39…`) or as a person writes it (`0971 471373`), in E.164. */
export function normaliseNumber(n: string): string {
  const digits = n.replace(/[\s./()-]/g, '');
  if (digits.startsWith('+')) return digits;
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  return `+39${digits}`;
}

/** `YYYY-MM-DD` plus `months` calendar months (the day kept, or the month's last). */
export function addMonths(day: string, months: number): string {
  const [y = 0, m = 1, d = 1] = day.split('-').map(Number);
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last))).toISOString().slice(0, 10);
}

/**
 * What a call to `dialled` at `at` meets. The second-level line's allow-list is the caller's
 * business (`mayCall`), not the line's state.
 */
export function lineStateAt(
  dialled: string,
  at: Date,
  lines: readonly Line[] = DEFAULT_LINES,
  retired: readonly RetiredNumber[] = [],
): LineState {
  const number = normaliseNumber(dialled);
  const day = dayInRome(at);
  const gone = retired.find((r) => normaliseNumber(r.number) === number);
  if (gone) {
    const line = lines.find((l) => l.id === gone.line);
    const until = addMonths(gone.retiredOn, gone.months);
    if (day < gone.retiredOn) {
      // Not retired yet: it is still the line's own number.
      return line ? stateOf(line, day) : { kind: 'unknown' };
    }
    return line && day < until ? { kind: 'retired', line, until } : { kind: 'unknown' };
  }
  const line = lines.find((l) => l.numbers.some((n) => normaliseNumber(n) === number));
  return line ? stateOf(line, day) : { kind: 'unknown' };
}

/** Weekday (`mon`…`sun`) and `HH:MM` in Rome: what the model's opening hours compare. */
export function romeClock(at: Date): { weekday: Weekday; time: string } {
  const p = Object.fromEntries(clockFormat.formatToParts(at).map((x) => [x.type, x.value]));
  return { weekday: String(p.weekday).toLowerCase().slice(0, 3) as Weekday, time: `${p.hour}:${p.minute}` };
}

function stateOf(line: Line, day: string): LineState {
  if (line.closedDays.includes(day) || line.yearlyClosures?.includes(day.slice(5))) {
    return { kind: 'closed', line, reason: 'closure' };
  }
  const [y = 0, m = 0, d = 0] = day.split('-').map(Number);
  if (isHoliday(y, m, d)) return { kind: 'closed', line, reason: 'holiday' };
  return { kind: 'open', line };
}

/** Whether `caller` may use `line` (V4: the second-level line lets only its allow-list through). */
export function mayCall(line: Line, caller: string): boolean {
  if (!line.allowList) return true;
  const from = normaliseNumber(caller);
  return line.allowList.some((n) => normaliseNumber(n) === from);
}

/** Whether one more call fits the line's channels (V7): beyond them the caller hears busy, and it is counted. */
export function hasChannel(line: Line, callsInProgress: number, channels = line.minChannels): boolean {
  return callsInProgress < Math.max(channels, line.minChannels);
}
