import { describe, expect, it } from 'vitest';
import {
  addMonths,
  DEFAULT_LINES,
  defaultRetiredNumbers,
  hasChannel,
  lineStateAt,
  mayCall,
  normaliseNumber,
  romeClock,
  type Line,
} from '../../domain/voice/lines.js';

const CUP = '+39848821821';
const state = (number: string, iso: string, lines: readonly Line[] = DEFAULT_LINES) => {
  const s = lineStateAt(number, new Date(iso), lines, defaultRetiredNumbers('2027-01-15'));
  return s.kind === 'closed' ? `closed:${s.reason}` : s.kind === 'retired' ? `retired:${s.until}` : s.kind;
};

describe('the telephone lines and their calendar (V2–V4, V7)', () => {
  it('gives the model Rome’s weekday and time, across daylight saving time', () => {
    // Tuesday 1 December 2026, CET (UTC+1).
    expect(romeClock(new Date('2026-12-01T06:59:00Z'))).toEqual({ weekday: 'tue', time: '07:59' });
    expect(romeClock(new Date('2026-12-05T13:00:00Z'))).toEqual({ weekday: 'sat', time: '14:00' });
    // Friday 27 March 2026 (CET): 08:30 Rome is 07:30 UTC. Monday 30 March (CEST): 08:30 is 06:30 UTC.
    expect(romeClock(new Date('2026-03-27T07:30:00Z'))).toEqual({ weekday: 'fri', time: '08:30' });
    expect(romeClock(new Date('2026-03-30T06:30:00Z'))).toEqual({ weekday: 'mon', time: '08:30' });
    // Midnight is 00:00, not 24:00 (the model compares strings).
    expect(romeClock(new Date('2026-12-06T23:00:00Z'))).toEqual({ weekday: 'mon', time: '00:00' });
  });

  it('is closed on national holidays, Easter Monday and the closures the deployment sets', () => {
    expect(state(CUP, '2026-12-08T10:00:00Z')).toBe('closed:holiday');
    expect(state(CUP, '2026-12-25T10:00:00Z')).toBe('closed:holiday');
    // Easter 2027 is 28 March: Monday 29 is a holiday.
    expect(state(CUP, '2027-03-29T08:00:00Z')).toBe('closed:holiday');
    // Potenza's patron day (San Gerardo, 30 May), when the deployment closes for it.
    const lines = DEFAULT_LINES.map((l) => (l.id === 'cup' ? { ...l, closedDays: ['2028-05-30'] } : l));
    expect(state(CUP, '2028-05-30T08:00:00Z', lines)).toBe('closed:closure');
    expect(state(CUP, '2028-05-31T08:00:00Z', lines)).toBe('open');
    // Every year, when the deployment says so: Matera's Madonna della Bruna, 2 July.
    const yearly = DEFAULT_LINES.map((l) => (l.id === 'cup' ? { ...l, yearlyClosures: ['07-02'] } : l));
    expect(state(CUP, '2027-07-02T08:00:00Z', yearly)).toBe('closed:closure');
    expect(state(CUP, '2029-07-02T08:00:00Z', yearly)).toBe('closed:closure');
    expect(state(CUP, '2029-07-03T08:00:00Z', yearly)).toBe('open');
  });

  it('plays the retired numbers’ message for four months from their retirement, then answers nothing', () => {
    // Before the date 0971 471373 is still the CUP's own number.
    expect(state('0971 471373', '2027-01-14T09:00:00Z')).toBe('open');
    expect(state('0971 471373', '2027-01-15T09:00:00Z')).toBe('retired:2027-05-15');
    // Out of hours too: the message says where to call.
    expect(state('0971471373', '2027-01-17T22:00:00Z')).toBe('retired:2027-05-15');
    expect(state('+390971471372', '2027-05-14T21:00:00Z')).toBe('retired:2027-05-15');
    expect(state('+390971471372', '2027-05-15T09:00:00Z')).toBe('unknown');
    expect(state('+390971000000', '2027-01-15T09:00:00Z')).toBe('unknown');
    const retired = lineStateAt(
      '0971 471372',
      new Date('2027-02-01T09:00:00Z'),
      DEFAULT_LINES,
      defaultRetiredNumbers('2027-01-15'),
    );
    expect(retired.kind === 'retired' && retired.line.numbers).toEqual(['+39800292020']);
  });

  it('counts months on the calendar, and reads numbers as people write them', () => {
    expect(addMonths('2027-10-31', 4)).toBe('2028-02-29');
    expect(addMonths('2027-01-15', 4)).toBe('2027-05-15');
    expect(normaliseNumber('0971/471373')).toBe('+390971471373');
    expect(normaliseNumber('0039 848 821 821')).toBe('+39848821821');
    expect(normaliseNumber('+39 800.29.20.20')).toBe('+39800292020');
  });

  it('lets only the allow-list through the second-level line, and refuses a call beyond the channels', () => {
    const second = { ...(DEFAULT_LINES.find((l) => l.id === 'cup-second-level') as Line), allowList: ['0971 612345'] };
    expect(mayCall(second, '+390971612345')).toBe(true);
    expect(mayCall(second, '+393331234567')).toBe(false);
    const cup = DEFAULT_LINES.find((l) => l.id === 'cup') as Line;
    expect(mayCall(cup, '+393331234567')).toBe(true);
    expect(hasChannel(cup, 59)).toBe(true);
    expect(hasChannel(cup, 60)).toBe(false);
    // More channels than the minimum when the deployment has them, never fewer.
    expect(hasChannel(cup, 70, 72)).toBe(true);
    expect(hasChannel(cup, 60, 40)).toBe(false);
  });
});
