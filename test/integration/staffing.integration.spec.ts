import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { importContacts, parseContactsCsv } from '../../domain/kpi/contact-import.js';
import { Kpis } from '../../domain/kpi/kpis.js';
import type { StaffingAnswer } from '../../domain/staffing/report.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';

const HEADER =
  'contactId,line,channel,direction,requestType,offeredAt,answeredAt,abandonedAt,endedAt,wrapUpEndedAt,operator,outcome';
const RUN = `st-${Date.now().toString(36)}`;

/**
 * A measured week for the CSB line in March 2031 (a month nobody else's test touches): on each
 * day Monday 3 to Saturday 8, at 10:00–10:30, four calls answered after 10 s with 200 s of talk
 * and 100 s of after-call work, and one lost after 60 s in the queue; at 21:00 one call the IVR
 * answered by itself.
 */
function measuredWeek(): string {
  const rows = [`${HEADER},startedAt`];
  let n = 0;
  for (let d = 3; d <= 8; d++) {
    const day = `2031-03-0${d}`;
    for (let k = 0; k < 5; k++) {
      const at = new Date(`${day}T10:0${k}:00+01:00`);
      const iso = (s: number) => new Date(at.getTime() + s * 1000).toISOString();
      const lost = k === 4;
      rows.push(
        [
          `${RUN}-${++n}`,
          'csb',
          'voice',
          'inbound',
          'information',
          iso(0),
          lost ? '' : iso(10),
          lost ? iso(60) : '',
          lost ? iso(60) : iso(210),
          lost ? '' : iso(310),
          lost ? '' : 'op1',
          lost ? 'abandoned' : 'resolved',
          iso(0),
        ].join(','),
      );
    }
    // And one at 21:00 that the IVR answered by itself (out of hours): no operator needed.
    const late = `${day}T21:00:00+01:00`;
    rows.push(
      [`${RUN}-${++n}`, 'csb', 'voice', 'inbound', '', '', '', '', late, '', '', 'out-of-hours', late].join(','),
    );
  }
  return `${rows.join('\n')}\n`;
}

describe('the staffing planner over the API (issue 14)', () => {
  let app: RunningApp;
  let supervisor: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    supervisor = apiAs(app, 'turni.supervisore', ['supervisor']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('plans the CUP month for supervisors and the Regione, and refuses others and bad input in Italian', async () => {
    const body = { line: 'cup', month: '2024-10', ahtS: 240, patienceS: 90, shrinkage: 0 };
    const res = await supervisor.post<StaffingAnswer>('/api/staffing/plan', body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body.plan)).toEqual(['mon', 'tue', 'wed', 'thu', 'fri', 'sat']);
    expect(res.body.totals.answeredWithinPct).toBeGreaterThanOrEqual(90);
    expect(res.body.comparison.specificationFrontEndFte).toBe(38.1);
    const regione = apiAs(app, 'turni.regione', ['regione']);
    expect((await regione.post('/api/staffing/plan', body)).status).toBe(200);
    expect((await apiAs(app, 'turni.operatore', ['operator']).post('/api/staffing/plan', body)).status).toBe(403);

    const bad = await supervisor.post<{ errors: { field: string; message: string }[] }>('/api/staffing/plan', {
      ...body,
      month: '2024-13',
      shrinkage: 2,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['month', 'shrinkage']);
    expect(bad.body.errors.find((e) => e.field === 'month')?.message).toMatch(/AAAA-MM/);
    const roster = await supervisor.post<{ detail: string }>('/api/staffing/plan', {
      ...body,
      roster: { sun: { '08': 3 } },
    });
    expect(roster.status).toBe(400);
    expect(roster.body.detail).toMatch(/giorno sconosciuto: sun/);

    const csv = await supervisor.post<string>('/api/staffing/plan?format=csv', body);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.body.split('\r\n')[0]).toMatch(/^linea;mese;giorno;mezz_ora;/);
  });

  it('prices a roster with the month’s configured service value and the hours it lacks', async () => {
    await new Kpis(app.db).setServiceValue('cup', '2024-10', 200_000, null, 'test');
    const flat = Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'].map((d) => [
        d,
        Object.fromEntries(Array.from({ length: 12 }, (_, i) => [String(8 + i).padStart(2, '0'), 15])),
      ]),
    );
    const res = await supervisor.post<StaffingAnswer>('/api/staffing/plan', {
      line: 'cup',
      month: '2024-10',
      ahtS: 240,
      patienceS: 90,
      shrinkage: 0.3,
      roster: flat,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Fifteen on the phones all day cannot carry the morning peak.
    const within = res.body.penalties?.find((p) => p.id === 'answered-within-20s');
    expect(within?.ok).toBe(false);
    expect(within?.penaltyEur).toBeCloseTo((200_000 * (within?.penaltyPct ?? 0)) / 100, 2);
    expect(within?.penaltyEur).toBeGreaterThan(0);
    expect(res.body.halfHours.mon.every((h) => h.onPhones === 15)).toBe(true);
    expect(res.body.needed?.totals.answeredWithinPct).toBeGreaterThanOrEqual(90);
  });

  it('plans from what the contact records of a period measured', async () => {
    await importContacts(app.db, 'staffing.csv', parseContactsCsv(measuredWeek()));
    const res = await supervisor.post<StaffingAnswer>('/api/staffing/plan', {
      line: 'csb',
      month: '2031-04',
      source: 'records',
      from: '2031-03-03',
      to: '2031-03-09',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.source).toBe('records');
    // Talk 200 s + after-call work 100 s; patience: 6 × (4 × 10 s + 60 s) waited over 6 lost = 100 s.
    expect(res.body.inputs.ahtS).toBeCloseTo(300, 5);
    expect(res.body.inputs.wrapUpShare).toBeCloseTo(1 / 3, 2);
    expect(res.body.inputs.patienceS).toBeCloseTo(100, 5);
    // Five calls in the 10:00 half-hour of each weekday; the IVR's own at 21:00 need nobody.
    expect(res.body.halfHours.mon.map((h) => [h.start, h.calls])).toEqual([['10:00', 5]]);
    // Planned for April's open days, not the measured week's: Easter Monday (14 April 2031) and
    // Liberation Day (Friday 25 April) are holidays.
    expect(res.body.days).toEqual({ mon: 3, tue: 5, wed: 5, thu: 4, fri: 3, sat: 4 });
    expect(res.body.plan.mon['10']).toBeGreaterThan(0);
    expect(res.body.plan.mon['11']).toBe(0);
    const none = await supervisor.post<{ detail: string }>('/api/staffing/plan', {
      line: 'csb',
      month: '2031-04',
      source: 'records',
      from: '2031-05-01',
      to: '2031-05-08',
    });
    expect(none.status).toBe(400);
    expect(none.body.detail).toMatch(/nessuna chiamata della linea csb/);
  });

  it('says how many operators of a line are on the phones now', async () => {
    await app.db.query(
      `INSERT INTO voice_operators (username, code, presence, skills) VALUES ($1, '99901', 'disponibile', '{cup}')
       ON CONFLICT (username) DO UPDATE SET presence = 'disponibile', skills = '{cup}'`,
      ['turni.presente'],
    );
    const res = await supervisor.get<{ onPhones: number }>('/api/staffing/presence?line=cup');
    expect(res.status).toBe(200);
    expect(res.body.onPhones).toBeGreaterThanOrEqual(1);
    expect((await supervisor.get('/api/staffing/presence?line=nope')).status).toBe(400);
  });
});
