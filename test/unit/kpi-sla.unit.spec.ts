import { describe, expect, it } from 'vitest';
import { parseContactsCsv, ImportRejected } from '../../domain/kpi/contact-import.js';
import { CONTRACT_DEFINITIONS, definitionsSchema, withOverrides } from '../../domain/kpi/definitions.js';
import { dueOn, workingDaysAfter } from '../../domain/kpi/kpis.js';
import { assembleReport, classify, countCall, emptyTallies, penaltyPoints, tally } from '../../domain/kpi/sla.js';
import type { KpiContact, SlaId } from '../../domain/kpi/types.js';
import { lastServiceHour } from '../../domain/kpi/wallboard.js';
import { CONTRACT_2026_1 } from '../../migrations/1763900000032-KpiContract.js';

const T0 = Date.parse('2024-10-07T08:00:00Z'); // a Monday, 10:00 in Rome
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
let n = 0;

/** A call that arrived at T0 + `start` s; the other times are seconds after T0 too. */
function call(p: {
  start?: number;
  offered?: number | null;
  answered?: number | null;
  abandoned?: number | null;
  ended?: number | null;
  wrapUp?: number | null;
  outcome?: string | null;
  resolved?: number | null;
  resolvedLevel?: number | null;
  line?: 'cup' | 'csb';
  arrivalKnown?: boolean;
}): KpiContact {
  const start = p.start ?? 0;
  return {
    contactId: `c${++n}`,
    source: 'import',
    line: p.line ?? 'cup',
    originalLine: p.line ?? 'cup',
    channel: 'voice',
    direction: 'inbound',
    requestType: null,
    queue: null,
    priority: null,
    startedAt: at(start),
    arrivalKnown: p.arrivalKnown ?? true,
    offeredAt: p.offered === undefined ? at(start) : p.offered === null ? null : at(p.offered),
    answeredAt: p.answered == null ? null : at(p.answered),
    abandonedAt: p.abandoned == null ? null : at(p.abandoned),
    endedAt: p.ended == null ? null : at(p.ended),
    wrapUpEndedAt: p.wrapUp == null ? null : at(p.wrapUp),
    resolvedAt: p.resolved == null ? null : at(p.resolved),
    resolvedLevel: p.resolvedLevel ?? null,
    operator: null,
    outcome: p.outcome ?? null,
    positive: null,
    caller: null,
  };
}

const NOW = new Date(T0 + 30 * 86_400_000);

function tallyOf(contacts: KpiContact[], defs = CONTRACT_DEFINITIONS) {
  const t = emptyTallies();
  for (const c of contacts) tally(t, classify(c, defs, NOW));
  return t;
}

/** The hand-made set: written out, with what each definition must count. */
const SET = [
  call({ answered: 10, ended: 100, wrapUp: 130, outcome: 'resolved' }), // within 20 s, solved in 130 s
  call({ answered: 20, ended: 200, wrapUp: 260, outcome: 'resolved' }), // exactly 20 s: within
  call({ answered: 45, ended: 300, wrapUp: 330, outcome: 'escalated-level-2', resolved: 3 * 3600 }), // late answer
  call({ answered: 15, ended: 250, wrapUp: 300, outcome: 'out-of-scope' }),
  call({ abandoned: 3, ended: 3, outcome: 'abandoned' }), // lost after 3 s: short
  call({ abandoned: 12, ended: 12, outcome: 'abandoned' }), // lost after 12 s
  call({ abandoned: 60, ended: 60, outcome: 'abandoned' }), // lost after 60 s
  call({ offered: null, ended: 1, outcome: 'busy' }), // refused: lost, not in the wait's base
  call({ offered: null, ended: 30, outcome: 'out-of-hours' }), // closed by design: nowhere
  call({ answered: 5, ended: 400, wrapUp: 500, outcome: 'resolved' }), // solved in 500 s: over 4′
];

describe('the §6 call SLAs on a hand-made set', () => {
  it('contract: a lost call within 20 s of its whole duration is within', () => {
    const t = tallyOf(SET);
    // Answered within: calls 1, 2, 4, 10; lost within 20 s: 5, 6 → 6 of 8 (busy and out-of-hours out).
    expect(t['answered-within-20s']).toEqual({ met: 6, base: 8, pending: 0 });
    // Lost: 5, 6, 7 and the busy refusal, over answered (1, 2, 3, 4, 10) + lost (4).
    expect(t['lost-calls']).toEqual({ met: 4, base: 9, pending: 0 });
    // FCR: resolved 1, 2, 10 over resolved + escalated (3); out of scope excluded.
    expect(t['first-contact-resolution']).toEqual({ met: 3, base: 4, pending: 0 });
    // Solution time from the call's start to the wrap-up's end, 240 s on the CUP: 130 s only (260 and 500 s over).
    expect(t['first-contact-solution-time']).toEqual({ met: 1, base: 3, pending: 0 });
    // The escalated call closed at second level after 3 h: resolved, and within 4 h.
    expect(t['second-level-resolution']).toEqual({ met: 1, base: 1, pending: 0 });
    expect(t['second-level-solution-time']).toEqual({ met: 1, base: 1, pending: 0 });
  });

  it('strict: every lost call is a miss', () => {
    const t = tallyOf(SET, withOverrides(CONTRACT_DEFINITIONS, { answeredWithin: 'strict' }));
    expect(t['answered-within-20s']).toEqual({ met: 4, base: 8, pending: 0 });
    expect(t['lost-calls']).toEqual({ met: 4, base: 9, pending: 0 });
  });

  it('exclude-short: lost calls shorter than S seconds leave both bases', () => {
    const t = tallyOf(SET, withOverrides(CONTRACT_DEFINITIONS, { answeredWithin: 'exclude-short', shortAbandonS: 5 }));
    expect(t['answered-within-20s']).toEqual({ met: 4, base: 7, pending: 0 });
    expect(t['lost-calls']).toEqual({ met: 3, base: 8, pending: 0 });
    const t15 = tallyOf(
      SET,
      withOverrides(CONTRACT_DEFINITIONS, { answeredWithin: 'exclude-short', shortAbandonS: 15 }),
    );
    expect(t15['answered-within-20s']).toEqual({ met: 4, base: 6, pending: 0 });
    expect(t15['lost-calls']).toEqual({ met: 2, base: 7, pending: 0 });
  });

  it('solution time from the answer', () => {
    const t = tallyOf(SET, withOverrides(CONTRACT_DEFINITIONS, { solutionTimeFrom: 'answer' }));
    // 120, 240, 495 s: two within.
    expect(t['first-contact-solution-time']).toEqual({ met: 2, base: 3, pending: 0 });
    const csb = tallyOf([call({ line: 'csb', answered: 5, ended: 400, wrapUp: 500, outcome: 'resolved' })]);
    expect(csb['first-contact-solution-time']).toEqual({ met: 1, base: 1, pending: 0 }); // 9′ on the CSB
  });

  it('the wait counts from the queue when the IVR time is unknown (the record says which)', () => {
    const c = call({ start: 30, offered: 30, answered: 45, ended: 100, outcome: 'resolved', arrivalKnown: false });
    expect(classify(c, CONTRACT_DEFINITIONS, NOW)['answered-within-20s']).toBe('met');
  });

  it('a call still in progress counts nowhere yet; second level open is pending, then missed after 4 h', () => {
    expect(classify(call({}), CONTRACT_DEFINITIONS, NOW)).toEqual({});
    const open = call({ answered: 5, ended: 60, outcome: 'escalated-level-2' });
    expect(classify(open, CONTRACT_DEFINITIONS, new Date(T0 + 3600_000))['second-level-solution-time']).toBe('pending');
    expect(classify(open, CONTRACT_DEFINITIONS, NOW)['second-level-solution-time']).toBe('missed');
    const third = call({ answered: 5, ended: 60, outcome: 'escalated-level-2', resolved: 7200, resolvedLevel: 3 });
    expect(classify(third, CONTRACT_DEFINITIONS, NOW)['second-level-resolution']).toBe('missed');
  });

  it('written contacts: 24 business hours, Saturday afternoon and Sunday not counted', () => {
    // Friday 2024-10-11 12:00 Rome; closed Monday 10:00: Fri 12 h + Sat 6 h + Mon 10 h = 28 h → missed.
    const mail = (received: string, closed: string | null): KpiContact => ({
      ...call({}),
      channel: 'email',
      startedAt: received,
      offeredAt: null,
      resolvedAt: closed,
    });
    expect(classify(mail('2024-10-11T10:00:00Z', '2024-10-14T08:00:00Z'), CONTRACT_DEFINITIONS, NOW)).toEqual({
      'written-contacts-24h': 'missed',
    });
    // Saturday 13:00 Rome, closed Monday 08:00: 1 h + 8 h = 9 h → met.
    expect(classify(mail('2024-10-12T11:00:00Z', '2024-10-14T06:00:00Z'), CONTRACT_DEFINITIONS, NOW)).toEqual({
      'written-contacts-24h': 'met',
    });
    // Open and young: pending; open and old: missed.
    expect(
      classify(mail('2024-10-12T11:00:00Z', null), CONTRACT_DEFINITIONS, new Date('2024-10-14T06:00:00Z')),
    ).toEqual({
      'written-contacts-24h': 'pending',
    });
    expect(classify(mail('2024-10-12T11:00:00Z', null), CONTRACT_DEFINITIONS, NOW)).toEqual({
      'written-contacts-24h': 'missed',
    });
  });
});

describe('penalties', () => {
  it('points: begun, whole or exact', () => {
    expect(penaltyPoints(2.5, 'begun')).toBe(3);
    expect(penaltyPoints(2.5, 'whole')).toBe(2);
    expect(penaltyPoints(2.5, 'exact')).toBe(2.5);
    expect(penaltyPoints(2.0000000001, 'begun')).toBe(2);
    expect(penaltyPoints(0, 'begun')).toBe(0);
  });

  it('the report: reached, OK/KO, penalty % and € against the period value', () => {
    const tallies = tallyOf(SET);
    const calls = { offered: 0, answered: 0, lost: 0 };
    for (const c of SET) countCall(calls, c);
    const report = assembleReport({
      line: 'cup',
      from: '2024-10-01',
      to: '2024-10-31',
      definitions: CONTRACT_DEFINITIONS,
      tallies,
      calls,
      figures: {
        packages: { met: 1, base: 2, pending: 0, overHours: 2 },
        continuity: { met: 950, base: 1000, pending: 0 },
        other: [{ id: 'operator-service-down', label: 'x', quantity: 1, unit: 'working-hours', penaltyEur: 5000 }],
      },
      values: { serviceEur: 100_000, outboundEur: 10_000 },
      computedAt: NOW,
    });
    expect(calls).toEqual({ offered: 9, answered: 5, lost: 4 });
    const row = (id: SlaId) => report.sla.find((r) => r.id === id);
    // 75 % within 20 s against 90 %: 15 points × 0.5 % = 7.5 % of 100 000 €.
    expect(row('answered-within-20s')).toMatchObject({
      reachedPct: 75,
      ok: false,
      penaltyPoints: 15,
      penaltyPct: 7.5,
      penaltyEur: 7500,
    });
    // 44.44 % lost against a 10 % maximum: 34.44 points begun → 35 × 0.5 %.
    expect(row('lost-calls')).toMatchObject({ reachedPct: 44.44, ok: false, penaltyPoints: 35, penaltyPct: 17.5 });
    expect(row('first-contact-resolution')).toMatchObject({ reachedPct: 75, ok: true, penaltyPct: 0 });
    // 33.33 % against 90 %: 56.67 points begun → 57 × 0.5 %.
    expect(row('first-contact-solution-time')).toMatchObject({
      reachedPct: 33.33,
      penaltyPoints: 57,
      penaltyPct: 28.5,
    });
    expect(row('ivr-continuity')).toMatchObject({ reachedPct: 95, ok: true, unit: 'minutes' });
    // Outbound efficiency: 3 % of the outbound value per hour begun beyond the limit.
    expect(row('outbound-efficiency')).toMatchObject({
      base: 2,
      met: 1,
      penaltyPoints: 2,
      penaltyPct: 6,
      penaltyEur: 600,
    });
    // No data: base 0, reached null, no penalty.
    expect(row('outbound-efficacy')).toMatchObject({ base: 0, reachedPct: null, ok: null, penaltyPct: 0 });
    expect(report.penaltyTotalEur).toBe(7500 + 17_500 + 28_500 + 600 + 5000);
    expect(report.definitions.version).toBe('contratto-2026.1');
  });
});

describe('calendar of the reports', () => {
  it('the monthly report is due on the 15th; a Sunday due date stays and working days after it count', () => {
    expect(dueOn('2026-02-28', 15)).toBe('2026-03-15'); // a Sunday
    expect(workingDaysAfter('2026-03-15', '2026-03-16')).toBe(1);
    expect(workingDaysAfter('2026-03-15', '2026-03-15')).toBe(0);
    // From Friday 24 April 2026: Saturday, Sunday, 25 April… Monday 27 is the first working day.
    expect(workingDaysAfter('2026-04-24', '2026-04-28')).toBe(2);
    expect(dueOn('2026-12-31', 15)).toBe('2027-01-15');
  });

  it('the last service hour: the last 60 minutes while open, else the last hour the line was open', () => {
    const open = new Date('2024-10-07T08:30:00Z'); // Monday 10:30 Rome
    expect(lastServiceHour(open).from.toISOString()).toBe('2024-10-07T07:30:00.000Z');
    const sunday = new Date('2024-10-13T10:00:00Z'); // Sunday noon: Saturday 13–14 Rome
    expect(lastServiceHour(sunday)).toEqual({
      from: new Date('2024-10-12T11:00:00Z'),
      to: new Date('2024-10-12T12:00:00Z'),
    });
  });
});

describe('definitions and import', () => {
  it('the contract version passes its own schema; a bad version is refused with the field', () => {
    expect(definitionsSchema.safeParse(CONTRACT_DEFINITIONS).success).toBe(true);
    const bad = definitionsSchema.safeParse({ ...CONTRACT_DEFINITIONS, version: 'X Y', waitLimitS: 0 });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['version', 'waitLimitS']);
  });

  it('the code’s contract definitions are the ones stored under their version (a change needs a new version)', () => {
    expect(CONTRACT_DEFINITIONS.version).toBe(CONTRACT_2026_1.version);
    expect(CONTRACT_DEFINITIONS).toEqual(CONTRACT_2026_1);
  });

  const HEADER =
    'contactId,line,channel,direction,requestType,offeredAt,answeredAt,abandonedAt,endedAt,wrapUpEndedAt,operator,outcome';

  it('reads the file, maps escalated-l2, reads extra columns', () => {
    const rows = parseContactsCsv(
      `${HEADER},startedAt,resolvedAt\n` +
        'a1,cup,voice,inbound,booking,2024-10-07T10:00:10+02:00,2024-10-07T10:00:20+02:00,,2024-10-07T10:03:00+02:00,2024-10-07T10:04:00+02:00,op1,escalated-l2,2024-10-07T10:00:00+02:00,2024-10-07T12:00:00+02:00\n',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ contactId: 'a1', outcome: 'escalated-level-2', sourceLine: 2 });
    expect(rows[0]?.times.startedAt?.toISOString()).toBe('2024-10-07T08:00:00.000Z');
  });

  it('every bad row is reported with its line number and reason', () => {
    let err: unknown;
    try {
      parseContactsCsv(
        `${HEADER}\n` +
          'a1,cup,voice,inbound,,2024-10-07T10:00:10+02:00,,,2024-10-07T10:01:00+02:00,,,abandoned\n' +
          'a2,xyz,voice,inbound,,2024-10-07T10:00:10,,,,,,\n' +
          'a1,csb,fax,inbound,,2024-10-07T10:00:10+02:00,2024-10-07T09:00:00+02:00,,,,,maybe\n',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImportRejected);
    const errors = (err as ImportRejected).rowErrors;
    expect(errors.map((e) => e.line)).toEqual([3, 4]);
    expect(errors[0]?.message).toMatch(/line «xyz» non valida/);
    expect(errors[0]?.message).toMatch(/offeredAt «2024-10-07T10:00:10» non è una data ISO 8601 con fuso orario/);
    expect(errors[1]?.message).toMatch(/contactId a1 ripetuto \(riga 2\)/);
    expect(errors[1]?.message).toMatch(/answeredAt precede offeredAt/);
    expect(errors[1]?.message).toMatch(/outcome «maybe» sconosciuto/);
  });

  it('a file without the required columns is refused on line 1', () => {
    expect(() => parseContactsCsv('contactId,line\na,cup\n')).toThrow(ImportRejected);
  });
});
