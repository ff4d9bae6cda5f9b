import { describe, expect, it } from 'vitest';
import { dayInRome, nextDay, startOfDayInRome } from '../../domain/time.js';

describe('calendar days in Europe/Rome', () => {
  it('finds midnight in winter and in summer time', () => {
    expect(startOfDayInRome('2026-01-15').toISOString()).toBe('2026-01-14T23:00:00.000Z');
    expect(startOfDayInRome('2026-07-15').toISOString()).toBe('2026-07-14T22:00:00.000Z');
  });
  it('handles the days the clocks change', () => {
    expect(startOfDayInRome('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDayInRome('2026-10-25').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(nextDay('2026-03-28')).toBe('2026-03-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
  it('gives the Rome day of an instant, which may differ from the UTC day', () => {
    expect(dayInRome(new Date('2026-07-14T22:30:00Z'))).toBe('2026-07-15');
    expect(dayInRome(new Date('2026-01-14T22:30:00Z'))).toBe('2026-01-14');
  });
  it('refuses what is not a calendar day', () => {
    expect(() => startOfDayInRome('15/01/2026')).toThrow(/not a calendar day/);
  });
});
