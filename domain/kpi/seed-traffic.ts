/**
 * The specification's traffic (seed 000 §2.1.4–2.1.5 for the CUP, §2.2.4–2.2.5 for the contact
 * center), copied from `shared/data/traffic-2014.json`: the 2014 projection of calls a year and
 * the monthly, weekday and hourly shares in percent. The wallboard draws the arrival rate
 * against it; the KPI benchmark generates its records from it.
 */
import type { KpiLine } from './types.js';

export interface SeedTraffic {
  yearlyCalls: number;
  monthlyPct: Record<string, number>;
  weekdayPct: Record<string, number>;
  hourlyPctMonFri: Record<string, number>;
  hourlyPctSat: Record<string, number>;
}

export const SEED_TRAFFIC: Record<KpiLine, SeedTraffic> = {
  cup: {
    yearlyCalls: 724131,
    monthlyPct: {
      jan: 8.92,
      feb: 8.24,
      mar: 9.11,
      apr: 7.45,
      may: 8.58,
      jun: 7.74,
      jul: 9.08,
      aug: 6.53,
      sep: 9.25,
      oct: 9.65,
      nov: 9.18,
      dec: 6.27,
    },
    weekdayPct: {
      mon: 21.09,
      tue: 20.11,
      wed: 18.69,
      thu: 17.41,
      fri: 17.04,
      sat: 5.67,
    },
    hourlyPctMonFri: {
      '08': 8.7,
      '09': 12.78,
      '10': 12.64,
      '11': 12.78,
      '12': 11.08,
      '13': 5.92,
      '14': 4.6,
      '15': 5.77,
      '16': 6.85,
      '17': 8.03,
      '18': 6.93,
      '19': 3.9,
    },
    hourlyPctSat: {
      '08': 14.7,
      '09': 23.78,
      '10': 23.47,
      '11': 18.99,
      '12': 13.11,
      '13': 5.95,
    },
  },
  csb: {
    yearlyCalls: 13818,
    monthlyPct: {
      jan: 6.69,
      feb: 5.11,
      mar: 9.13,
      apr: 7.65,
      may: 5.88,
      jun: 7.2,
      jul: 7.19,
      aug: 3.36,
      sep: 6.29,
      oct: 14.96,
      nov: 21.49,
      dec: 5.05,
    },
    weekdayPct: {
      mon: 21.09,
      tue: 20.11,
      wed: 18.69,
      thu: 17.41,
      fri: 17.04,
      sat: 5.67,
    },
    hourlyPctMonFri: {
      '08': 3.4,
      '09': 14.99,
      '10': 17.6,
      '11': 16.95,
      '12': 15.13,
      '13': 5.24,
      '14': 2.95,
      '15': 4.9,
      '16': 6.12,
      '17': 6.23,
      '18': 3.85,
      '19': 2.63,
    },
    hourlyPctSat: {
      '08': 8.66,
      '09': 17.14,
      '10': 21.85,
      '11': 22.6,
      '12': 19.77,
      '13': 9.98,
    },
  },
};

export const MONTH_KEYS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
export const WEEKDAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * The seed's expected calls in each hour of the day (0–23) on an average service day of a
 * month (Monday to Saturday): the year's calls times the month's share, over the month's
 * service days, spread over the hours by the weekday curve (weekdays) and the Saturday curve
 * (Saturday) in the weekday shares' proportion. Null for an hour the line is closed.
 */
export function seedArrivalsPerHour(line: KpiLine, month: number, serviceDaysInMonth: number): (number | null)[] {
  const t = SEED_TRAFFIC[line];
  const monthCalls = (t.yearlyCalls * (t.monthlyPct[MONTH_KEYS[month - 1] ?? 'jan'] ?? 0)) / 100;
  const perDay = monthCalls / Math.max(1, serviceDaysInMonth);
  const satShare = (t.weekdayPct.sat ?? 0) / 100;
  const out: (number | null)[] = [];
  for (let h = 0; h < 24; h++) {
    const key = String(h).padStart(2, '0');
    const wd = t.hourlyPctMonFri[key];
    const sat = t.hourlyPctSat[key];
    if (wd === undefined && sat === undefined) out.push(null);
    else out.push(perDay * ((1 - satShare) * ((wd ?? 0) / 100) + satShare * ((sat ?? 0) / 100)));
  }
  return out;
}
