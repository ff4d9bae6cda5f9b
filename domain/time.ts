/** The time zone of every clock the contract talks about. */
export const TIME_ZONE = 'Europe/Rome';

// Formatters are costly to build; these are made once.
const offsetFormat = new Intl.DateTimeFormat('en-US', { timeZone: TIME_ZONE, timeZoneName: 'longOffset' });
const dayFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Offset of Europe/Rome from UTC at `instant`, in minutes (60 in winter, 120 in summer). */
export function romeOffsetMinutes(instant: Date): number {
  const name = offsetFormat.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name ?? '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Midnight of a calendar day (`YYYY-MM-DD`) in Europe/Rome, as an instant. */
export function startOfDayInRome(day: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a calendar day: ${day}`);
  const utcMidnight = new Date(`${day}T00:00:00Z`);
  // The offset at local midnight equals the offset a few hours later on every day but the
  // two DST switches, which happen at 02:00-03:00, after midnight.
  return new Date(utcMidnight.getTime() - romeOffsetMinutes(utcMidnight) * 60_000);
}

/** The calendar day (`YYYY-MM-DD`) of an instant in Europe/Rome. */
export function dayInRome(instant: Date): string {
  return dayFormat.format(instant);
}

/** The calendar day `n` days after (or, negative, before) `day`. */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The day after a calendar day. */
export function nextDay(day: string): string {
  return addDays(day, 1);
}
