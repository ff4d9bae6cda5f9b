import { describe, expect, it } from 'vitest';
import { businessHoursBetween, isHoliday } from '../../domain/business-calendar.js';

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
