import { hoursCounted, romeHour } from '../business-calendar.js';

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

/** Whether the hour starting at `instant` (a whole UTC hour) is a service hour. */
export function isServiceHour(instant: Date): boolean {
  const { weekday, hour, holiday } = romeHour(instant);
  const open = OPEN[weekday];
  return Boolean(open && hour >= open[0] && hour < open[1] && !holiday);
}

/** Service hours (fractional) between two instants; 0 when `to` is not after `from`. */
export function serviceHoursBetween(from: Date, to: Date): number {
  return hoursCounted(from, to, isServiceHour);
}
