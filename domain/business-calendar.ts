import { dayInRome, nextDay, romeOffsetMinutes, TIME_ZONE } from './time.js';

/**
 * The contract's business calendar for answering mail, fax, SMS and letters within 24 hours
 * (§6, requirement K3): time runs Monday to Friday all day and Saturday until 14:00, and
 * stops on Saturday afternoon, Sundays and national holidays.
 */
const FIXED_HOLIDAYS = ['01-01', '01-06', '04-25', '05-01', '06-02', '08-15', '11-01', '12-08', '12-25', '12-26'];

/** Easter Sunday (Gregorian, Anonymous algorithm), as MM-DD. */
function easter(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

const pad = (n: number) => String(n).padStart(2, '0');

export function isHoliday(year: number, month: number, day: number): boolean {
  if (FIXED_HOLIDAYS.includes(`${pad(month)}-${pad(day)}`)) return true;
  // Easter Monday (Lunedì dell'Angelo).
  const e = easter(year);
  const monday = new Date(Date.UTC(year, e.month - 1, e.day + 1));
  return monday.getUTCMonth() + 1 === month && monday.getUTCDate() === day;
}

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  weekday: 'short',
  hourCycle: 'h23',
});

/** The hour of Europe/Rome an instant falls in: weekday (`Mon`…`Sun`), hour, and whether it is a holiday. */
export function romeHour(instant: Date): { weekday: string; hour: number; holiday: boolean } {
  const p = Object.fromEntries(parts.formatToParts(instant).map((x) => [x.type, x.value]));
  return {
    weekday: p.weekday ?? '',
    hour: Number(p.hour),
    holiday: isHoliday(Number(p.year), Number(p.month), Number(p.day)),
  };
}

/** Whether the hour starting at `instant` (a whole UTC hour) counts. */
function counts(instant: Date): boolean {
  const { weekday, hour, holiday } = romeHour(instant);
  if (weekday === 'Sun') return false;
  if (weekday === 'Sat' && hour >= 14) return false;
  return !holiday;
}

const HOUR = 3_600_000;

/**
 * The hours (fractional) between two instants whose Rome hour `counts`; 0 when `to` is not
 * after `from`. Europe/Rome's offset is a whole number of hours and calendars open and close on
 * the hour, so each UTC hour counts wholly or not at all.
 */
export function hoursCounted(from: Date, to: Date, countsHour: (hourStart: Date) => boolean): number {
  let total = 0;
  let t = from.getTime();
  const end = to.getTime();
  while (t < end) {
    const hourStart = Math.floor(t / HOUR) * HOUR;
    const next = Math.min(hourStart + HOUR, end);
    if (countsHour(new Date(hourStart))) total += next - t;
    t = next;
  }
  return total / HOUR;
}

/** Business hours (fractional) between two instants; 0 when `to` is not after `from`. */
export function businessHoursBetween(from: Date, to: Date): number {
  return hoursCounted(from, to, counts);
}

/** The instant `hours` business hours after `from`. */
export function addBusinessHours(from: Date, hours: number): Date {
  let left = hours * HOUR;
  let t = from.getTime();
  // Bounded: a year holds far more business hours than any deadline asks for.
  for (let i = 0; i < 24 * 400 && left > 0; i++) {
    const hourStart = Math.floor(t / HOUR) * HOUR;
    const next = hourStart + HOUR;
    if (counts(new Date(hourStart))) {
      const take = Math.min(left, next - t);
      left -= take;
      t += take;
      if (left <= 0) break;
    }
    t = next;
  }
  return new Date(t);
}

/** The same time of day `days` working days (Monday to Friday, not holidays) after `from`. */
export function addBusinessDays(from: Date, days: number): Date {
  // Counted in Rome's calendar days, the time on Rome's clock kept: adding 24 hours would land
  // an hour off (or on the wrong day, near midnight) across a change of daylight saving time.
  let day = dayInRome(from);
  const timeOfDay = from.getTime() + romeOffsetMinutes(from) * 60_000 - Date.parse(`${day}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    day = nextDay(day);
    const d = new Date(`${day}T12:00:00Z`);
    const weekday = d.getUTCDay();
    if (weekday === 0 || weekday === 6 || isHoliday(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())) continue;
    left--;
  }
  return atRomeClock(Date.parse(`${day}T00:00:00Z`) + timeOfDay);
}

/**
 * The instant Rome's clock shows `wall` (its reading, in milliseconds as if it were UTC): the
 * later one when the hour repeats, the next one when it does not exist.
 */
function atRomeClock(wall: number): Date {
  let t = wall - romeOffsetMinutes(new Date(wall)) * 60_000;
  const again = wall - romeOffsetMinutes(new Date(t)) * 60_000;
  if (again !== t) t = Math.max(t, again);
  return new Date(t);
}

const SERVICE_WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * The days of a month (`YYYY-MM`) a line takes calls: Monday to Saturday, neither a national
 * holiday nor a day `closed` says (the voice configuration's closures), with their weekday.
 */
export function openDaysOfMonth(
  month: string,
  closed: (day: string) => boolean = () => false,
): { day: string; weekday: (typeof SERVICE_WEEKDAYS)[number] }[] {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new Error(`not a month: ${month} (YYYY-MM)`);
  const out: { day: string; weekday: (typeof SERVICE_WEEKDAYS)[number] }[] = [];
  for (let d = `${month}-01`; d.startsWith(month); d = nextDay(d)) {
    const x = new Date(`${d}T12:00:00Z`);
    const weekday = SERVICE_WEEKDAYS[x.getUTCDay() - 1];
    if (!weekday || isHoliday(x.getUTCFullYear(), x.getUTCMonth() + 1, x.getUTCDate()) || closed(d)) continue;
    out.push({ day: d, weekday });
  }
  return out;
}
