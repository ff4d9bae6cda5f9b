import { describe, expect, it } from 'vitest';
import { addBusinessDays, addBusinessHours, businessHoursBetween, isHoliday } from '../../domain/business-calendar.js';

describe('the business calendar of the 24-hour answer target', () => {
  it('counts weekdays in full and Saturday until 14:00 (Rome time)', () => {
    // Monday 09:00 to Tuesday 09:00, Rome (CET, UTC+1).
    expect(businessHoursBetween(new Date('2026-12-14T08:00:00Z'), new Date('2026-12-15T08:00:00Z'))).toBe(24);
    // Saturday 10:00 to Monday 10:00: 4 hours on Saturday, none on Sunday, 10 on Monday.
    expect(businessHoursBetween(new Date('2026-12-12T09:00:00Z'), new Date('2026-12-14T09:00:00Z'))).toBe(14);
  });

  it('stops on national holidays, Easter Monday included', () => {
    expect(isHoliday(2026, 12, 8)).toBe(true);
    expect(isHoliday(2027, 3, 29)).toBe(true); // Easter 2027 is 28 March
    expect(isHoliday(2026, 4, 6)).toBe(true); // Easter 2026 is 5 April
    expect(isHoliday(2026, 12, 9)).toBe(false);
    // Monday 7 December 18:00 to Wednesday 9 December 18:00: the 8th does not count.
    expect(businessHoursBetween(new Date('2026-12-07T17:00:00Z'), new Date('2026-12-09T17:00:00Z'))).toBe(24);
  });

  it('handles partial hours and an empty span', () => {
    expect(businessHoursBetween(new Date('2026-12-14T08:30:00Z'), new Date('2026-12-14T09:15:00Z'))).toBe(0.75);
    expect(businessHoursBetween(new Date('2026-12-14T09:00:00Z'), new Date('2026-12-14T08:00:00Z'))).toBe(0);
  });
});

describe('deadlines on the business calendar', () => {
  it('adds business hours across a weekend', () => {
    // Saturday 12:00 Rome + 4 h: 2 on Saturday until 14:00, then Monday 00:00–02:00.
    expect(addBusinessHours(new Date('2026-12-12T11:00:00Z'), 4).toISOString()).toBe('2026-12-14T01:00:00.000Z');
  });

  it('adds working days, skipping weekends and holidays', () => {
    // Friday 4 December + 2 working days: Monday 7, (Tuesday 8 is a holiday), Wednesday 9.
    expect(addBusinessDays(new Date('2026-12-04T09:00:00Z'), 2).toISOString()).toBe('2026-12-09T09:00:00.000Z');
  });

  it('keeps the time of day in Rome across a change of daylight saving time', () => {
    // Friday 24 March 2028 10:00 CET + 1 working day: Monday 27 March 10:00 CEST (clocks went forward on the 26th).
    expect(addBusinessDays(new Date('2028-03-24T09:00:00Z'), 1).toISOString()).toBe('2028-03-27T08:00:00.000Z');
    // Friday 23 October 2026 23:30 CEST + 1: Monday 26 October 23:30 CET (clocks went back on the 25th).
    expect(addBusinessDays(new Date('2026-10-23T21:30:00Z'), 1).toISOString()).toBe('2026-10-26T22:30:00.000Z');
  });
});
