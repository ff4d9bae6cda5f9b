import { describe, expect, it } from 'vitest';
import {
  allPages,
  BusinessHours,
  nearestRank,
  percentiles,
  periodBounds,
  summariseElements,
  summariseVersions,
} from '../../domain/kpi/process-kpis.js';
import { businessHoursBetween } from '../../domain/business-calendar.js';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('nearest-rank percentiles', () => {
  it('takes the value at rank ⌈p·n/100⌉, without interpolating', () => {
    expect(percentiles([5, 1, 4, 2, 3])).toEqual({ p50: 3, p90: 5, p95: 5 });
    // 10, 20, …, 100: ranks 5, 9 and ⌈9.5⌉ = 10.
    expect(percentiles(range(1, 10).map((x) => x * 10))).toEqual({ p50: 50, p90: 90, p95: 100 });
    // Four values: the median is the 2nd (nearest rank), not the mean of the 2nd and 3rd.
    expect(percentiles([40, 10, 30, 20])).toEqual({ p50: 20, p90: 40, p95: 40 });
    expect(nearestRank(range(1, 30), 90)).toBe(27);
    expect(nearestRank(range(1, 100), 95)).toBe(95);
    expect(nearestRank(range(1, 20), 95)).toBe(19);
    expect(percentiles([7])).toEqual({ p50: 7, p90: 7, p95: 7 });
    expect(percentiles([])).toEqual({ p50: null, p90: null, p95: null });
  });
});

describe('business hours for many intervals', () => {
  it('gives the calendar’s own figures: weekends, Saturday afternoons, holidays, partial hours', () => {
    const bh = new BusinessHours();
    // Friday 4 December 10:00 Rome → Monday 7 December 10:00: 14 + 14 (Saturday until 14:00) + 0 + 10.
    expect(bh.between(new Date('2026-12-04T09:00:00Z'), new Date('2026-12-07T09:00:00Z'))).toBe(38);
    // Friday 10:00 → Wednesday 9 December 10:00: 14 + 14 + 24 (Monday) + 0 (8 December) + 10.
    expect(bh.between(new Date('2026-12-04T09:00:00Z'), new Date('2026-12-09T09:00:00Z'))).toBe(62);
    // Saturday 13:30 → 15:00 Rome: half an hour.
    expect(bh.between(new Date('2026-12-05T12:30:00Z'), new Date('2026-12-05T14:00:00Z'))).toBe(0.5);
    // An earlier interval than any seen so far, and an empty one.
    expect(bh.between(new Date('2026-11-30T08:15:00Z'), new Date('2026-11-30T08:45:00Z'))).toBe(0.5);
    expect(bh.between(new Date('2026-12-05T12:30:00Z'), new Date('2026-12-05T12:30:00Z'))).toBe(0);
    for (const [a, b] of [
      ['2026-11-28T10:17:00Z', '2026-12-09T17:43:21Z'],
      ['2026-12-05T12:59:59Z', '2026-12-05T13:00:01Z'],
      ['2027-03-27T12:00:00Z', '2027-03-30T07:00:00Z'], // daylight saving time and Easter Monday
    ] as const) {
      expect(bh.between(new Date(a), new Date(b))).toBeCloseTo(businessHoursBetween(new Date(a), new Date(b)), 9);
    }
  });
});

describe('per version', () => {
  const instance = (
    id: string,
    state: 'ACTIVE' | 'COMPLETED' | 'EXTERNALLY_TERMINATED',
    start: string,
    end: string | null,
    durationInMillis: number | null,
    definition = 'a:1:x',
  ) => ({
    id,
    processDefinitionId: definition,
    processDefinitionKey: definition.split(':')[0] ?? '',
    processDefinitionName: 'A',
    processDefinitionVersion: Number(definition.split(':')[1]),
    startTime: start,
    endTime: end,
    durationInMillis,
    state,
  });

  it('counts instances by state, incidents ever and open, and the completed ones’ durations', () => {
    const rows = summariseVersions(
      [
        { processDefinitionId: 'a:1:x', key: 'a', name: 'A', version: 1 },
        { processDefinitionId: 'a:2:y', key: 'a', name: 'A', version: 2 },
      ],
      [
        // Friday 10:00 → Monday 10:00 Rome: 3 days, 38 business hours.
        instance('i1', 'COMPLETED', '2026-12-04T10:00:00.000+0100', '2026-12-07T10:00:00.000+0100', 259_200_000),
        instance('i2', 'COMPLETED', '2026-12-04T10:00:00.000+0100', '2026-12-04T11:00:00.000+0100', 3_600_000),
        // Saturday 13:30 → 15:00: 90 minutes, half a business hour.
        instance('i3', 'COMPLETED', '2026-12-05T13:30:00.000+0100', '2026-12-05T15:00:00.000+0100', 5_400_000),
        instance('i4', 'ACTIVE', '2026-12-09T09:00:00.000+0100', null, null),
        instance(
          'i5',
          'EXTERNALLY_TERMINATED',
          '2026-12-09T09:00:00.000+0100',
          '2026-12-09T09:05:00.000+0100',
          300_000,
        ),
        // 2 seconds: 0.0005556 business hours (to seven decimals).
        instance('i6', 'COMPLETED', '2026-12-09T09:00:00.000+0100', '2026-12-09T09:00:02.000+0100', 2000),
        instance('j1', 'COMPLETED', '2026-12-09T09:00:00.000+0100', '2026-12-09T09:00:01.000+0100', 1000, 'b:1:z'),
      ],
      [{ processInstanceId: 'i4' }, { processInstanceId: 'i6' }, { processInstanceId: 'i6' }],
      [{ processInstanceId: 'i4' }],
    );
    expect(rows).toEqual([
      {
        processDefinitionId: 'a:2:y',
        key: 'a',
        name: 'A',
        version: 2,
        started: 0,
        completed: 0,
        canceled: 0,
        running: 0,
        withIncidents: 0,
        withOpenIncidents: 0,
        durationMs: { p50: null, p90: null, p95: null },
        businessHours: { p50: null, p90: null, p95: null },
      },
      {
        processDefinitionId: 'a:1:x',
        key: 'a',
        name: 'A',
        version: 1,
        started: 6,
        completed: 4,
        canceled: 1,
        running: 1,
        withIncidents: 2,
        withOpenIncidents: 1,
        // Sorted: 2000, 3 600 000, 5 400 000, 259 200 000; ranks 2, 4, 4.
        durationMs: { p50: 3_600_000, p90: 259_200_000, p95: 259_200_000 },
        // Sorted: 0.0005556, 0.5, 1, 38.
        businessHours: { p50: 0.5, p90: 38, p95: 38 },
      },
      // A definition deleted since: its row from the instances' own fields.
      expect.objectContaining({ processDefinitionId: 'b:1:z', key: 'b', version: 1, started: 1, completed: 1 }),
    ]);
    // Short business durations keep their size: 2 s is 0.0005556 h, not 0.
    const [short] = summariseVersions(
      [],
      [instance('i6', 'COMPLETED', '2026-12-09T09:00:00.000+0100', '2026-12-09T09:00:02.000+0100', 2000)],
      [],
      [],
    );
    expect(short?.businessHours).toEqual({ p50: 0.0005556, p90: 0.0005556, p95: 0.0005556 });
  });
});

describe('per element', () => {
  const activity = (
    activityId: string,
    processInstanceId: string,
    start: string,
    durationInMillis: number | null,
    type = 'userTask',
  ) => ({
    activityId,
    activityName: activityId === 'end' ? null : `Passo ${activityId}`,
    activityType: type,
    processInstanceId,
    startTime: start,
    endTime: durationInMillis === null ? null : '2026-12-09T10:00:00.000+0100',
    durationInMillis,
  });

  it('counts runs, waiting tokens (with their age so far), time percentiles and incident rates', () => {
    const now = new Date('2026-12-10T00:00:00Z');
    const rows = summariseElements(
      [
        activity('task', 'p1', '2026-12-09T09:00:00.000+0100', 1000),
        activity('task', 'p2', '2026-12-09T09:00:00.000+0100', 3000),
        activity('task', 'p3', '2026-12-09T09:00:00.000+0100', 2000),
        // Waiting for 10 s when the figures are computed.
        activity('task', 'p4', '2026-12-10T00:59:50.000+0100', null),
        activity('svc', 'p1', '2026-12-09T09:00:00.000+0100', 500, 'serviceTask'),
        activity('svc', 'p2', '2026-12-09T09:00:00.000+0100', 700, 'serviceTask'),
        activity('svc', 'p3', '2026-12-09T09:00:00.000+0100', 600, 'serviceTask'),
        activity('end', 'p1', '2026-12-09T09:00:00.000+0100', 0, 'noneEndEvent'),
        activity('end', 'p2', '2026-12-09T09:00:00.000+0100', 0, 'noneEndEvent'),
        activity('end', 'p3', '2026-12-09T09:00:00.000+0100', 0, 'noneEndEvent'),
      ],
      [
        { activityId: 'svc', processInstanceId: 'p2' },
        { activityId: 'svc', processInstanceId: 'p2' },
        { activityId: 'svc', processInstanceId: 'p1' },
        // An instance that did not reach the element in the period: not counted.
        { activityId: 'svc', processInstanceId: 'p9' },
      ],
      [
        { activityId: 'svc', processInstanceId: 'p1' },
        { activityId: 'svc', processInstanceId: 'p9' },
      ],
      now,
    );
    expect(rows).toEqual([
      {
        activityId: 'task',
        name: 'Passo task',
        type: 'userTask',
        count: 4,
        waitingNow: 1,
        // Sorted 1000, 2000, 3000, 10 000: ranks 2 and 4.
        medianMs: 2000,
        p90Ms: 10_000,
        longestWaitingMs: 10_000,
        incidents: 0,
        openIncidents: 0,
        incidentRate: 0,
      },
      {
        activityId: 'svc',
        name: 'Passo svc',
        type: 'serviceTask',
        count: 3,
        waitingNow: 0,
        medianMs: 600,
        p90Ms: 700,
        longestWaitingMs: null,
        incidents: 3,
        openIncidents: 1,
        // p1 and p2 of the three instances that reached it.
        incidentRate: 0.667,
      },
      {
        activityId: 'end',
        name: null,
        type: 'noneEndEvent',
        count: 3,
        waitingNow: 0,
        medianMs: 0,
        p90Ms: 0,
        longestWaitingMs: null,
        incidents: 0,
        openIncidents: 0,
        incidentRate: 0,
      },
    ]);
  });
});

describe('the period and the paging', () => {
  it('bounds the period by Rome midnights, the last day included, across a change of time', () => {
    expect(periodBounds({ from: '2026-03-29', to: '2026-03-29' })).toEqual({
      startedAfter: '2026-03-28T23:00:00.000+0000',
      startedBefore: '2026-03-29T21:59:59.999+0000',
    });
    expect(periodBounds({})).toEqual({});
  });

  it('reads every page until a short one, once each row', async () => {
    const table = ['a', 'c', 'd', 'e', 'f'];
    const asked: number[] = [];
    const got = await allPages(
      (first, max) => {
        asked.push(first);
        const page = table.slice(first, first + max);
        // A row inserted after the first page: the second repeats 'c', none is skipped.
        if (first === 0) table.splice(1, 0, 'b');
        return Promise.resolve(page);
      },
      (r) => r,
      2,
    );
    expect(asked).toEqual([0, 2, 4, 6]);
    expect(got).toEqual(['a', 'c', 'd', 'e', 'f']);
  });
});
