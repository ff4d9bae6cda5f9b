import { isHoliday } from '../business-calendar.js';
import { TIME_ZONE } from '../time.js';

/**
 * The contact center's service hours (§2.2: "dal lunedì al venerdì dalle 8.00 alle 20.00 ed
 * il sabato dalle 8.00 alle 14.00"), Europe/Rome, closed on national holidays. The outbound
 * efficiency SLA (§6.2) measures a package's time "within the service's operating window":
 * 24 of these hours for 100 contacts.
 */
const OPEN: Record<string, readonly [number, number] | undefined> = {
  Mon: [8, 20],
  Tue: [8, 20],
  Wed: [8, 20],
  Thu: [8, 20],
  Fri: [8, 20],
  Sat: [8, 14],
};

const HOUR = 3_600_000;

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  weekday: 'short',
  hourCycle: 'h23',
});

/** Whether the hour starting at `instant` (a whole UTC hour) is a service hour. */
function isServiceHour(instant: Date): boolean {
  const p = Object.fromEntries(parts.formatToParts(instant).map((x) => [x.type, x.value]));
  const open = OPEN[p.weekday ?? ''];
  const hour = Number(p.hour);
  if (!open || hour < open[0] || hour >= open[1]) return false;
  return !isHoliday(Number(p.year), Number(p.month), Number(p.day));
}

/** Service hours (fractional) between two instants; 0 when `to` is not after `from`. */
export function serviceHoursBetween(from: Date, to: Date): number {
  let total = 0;
  let t = from.getTime();
  const end = to.getTime();
  while (t < end) {
    // Europe/Rome's offset is a whole number of hours, and the windows open and close on
    // the hour: a UTC hour is either wholly in service or wholly out of it.
    const hourStart = Math.floor(t / HOUR) * HOUR;
    const next = Math.min(hourStart + HOUR, end);
    if (isServiceHour(new Date(hourStart))) total += next - t;
    t = next;
  }
  return total / HOUR;
}
