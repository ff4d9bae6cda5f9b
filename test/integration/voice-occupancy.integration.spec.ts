import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { DEFAULT_LINES } from '../../domain/voice/lines.js';
import { Occupancy, type MonthReport, type VoiceAlert } from '../../domain/voice/occupancy.js';
import { PROBE_PATH, VoiceProbes, type ProbeReport } from '../../domain/voice/probe.js';
import { freePorts } from '../support/ports.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';

/**
 * The second-level line (2 channels) on Tuesday 4 March 2031, Rome winter time: far from the
 * calls of the other tests, which are in 2026. Every call of this file has a `CAocc` sid.
 */
const LINE = 'cup-second-level';
const rome = (hhmm: string) => new Date(`2031-03-04T${hhmm}:00+01:00`);
/** The moment the bands are closed: the unended call holds its channel until now. */
const NOW = rome('12:00');
const sid = () => `CAocc${randomBytes(13).toString('hex')}`;
const TOKEN = randomBytes(16).toString('hex');

describe('channel occupancy per band, saturation alerts and the IVR continuity probe (V7, §6.3)', () => {
  let app: RunningApp;
  let baseUrl: string;
  let occupancy: Occupancy;
  let supervisor: ApiClient;
  let operator: ApiClient;

  const insertCall = async (
    line: string,
    arrived: string,
    ended: string | null,
    outcome: string | null = null,
  ): Promise<void> => {
    await app.db.query(
      `INSERT INTO call_records (call_sid, line, direction, to_number, status, arrived_at, ended_at, outcome)
       VALUES ($1, $2, 'inbound', '+390971999000', $3, $4, $5, $6)`,
      [sid(), line, ended ? 'completed' : 'in-progress', rome(arrived), ended ? rome(ended) : null, outcome],
    );
  };
  const alertsOfTheDay = async (): Promise<VoiceAlert[]> =>
    (await occupancy.alerts({ limit: 1000 })).filter(
      (a) => a.line === LINE && a.bandStart >= rome('00:00').toISOString() && a.bandStart < rome('23:59').toISOString(),
    );

  beforeAll(async () => {
    // Twilio's own setup (not the local simulator), so the test knows the token that signs the probe.
    const [port] = (await freePorts(1)) as [number];
    baseUrl = `http://127.0.0.1:${port}`;
    app = await startTestApp(
      {
        PORT: String(port),
        PUBLIC_BASE_URL: baseUrl,
        VOICE_PROVIDER: 'twilio',
        SMS_PROVIDER: 'local',
        TWILIO_ACCOUNT_SID: `AC${randomBytes(16).toString('hex')}`,
        TWILIO_AUTH_TOKEN: TOKEN,
        TWILIO_API_KEY_SID: `SK${randomBytes(16).toString('hex')}`,
        TWILIO_API_KEY_SECRET: randomBytes(16).toString('hex'),
        // Nothing here calls Twilio's REST API; if something did, it would fail at once.
        TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      },
      { workers: [] },
    );
    occupancy = new Occupancy(app.db, { lines: DEFAULT_LINES }, () => NOW);
    supervisor = apiAs(app, 'occupazione.supervisore', ['supervisor']);
    operator = apiAs(app, 'occupazione.operatore', ['operator']);
    const day = [rome('00:00'), rome('23:59')];
    await app.db.query(`DELETE FROM call_records WHERE call_sid LIKE 'CAocc%'`);
    await app.db.query(`DELETE FROM voice_occupancy_bands WHERE line = $1 AND band_start >= $2 AND band_start < $3`, [
      LINE,
      ...day,
    ]);
    await app.db.query(`DELETE FROM voice_alerts WHERE line = $1 AND band_start >= $2 AND band_start < $3`, [
      LINE,
      ...day,
    ]);
    await app.db.query(`DELETE FROM voice_probes WHERE at >= $1 AND at < $2`, day);

    // Ended before the first band: no channel held in it.
    await insertCall(LINE, '08:00', '08:50');
    // 09:00 band: two at once from 09:10 to 09:20.
    await insertCall(LINE, '09:05', '09:20');
    await insertCall(LINE, '09:10', '09:40');
    // 09:30 band: the 09:10 call and one from 09:35; a caller refused busy.
    await insertCall(LINE, '09:35', '10:10');
    await insertCall(LINE, '09:36', '09:36', 'busy');
    // 10:00 band: the 09:35 call and one more; another refused.
    await insertCall(LINE, '10:05', '10:20');
    await insertCall(LINE, '10:06', '10:06', 'busy');
    // 10:30: a call whose end was never reported; it holds its channel until now.
    await insertCall(LINE, '10:45', null);
    // 11:00 and 11:30: with it, two at once; the 11:00 call ends as the 11:30 one arrives.
    await insertCall(LINE, '11:00', '11:30');
    await insertCall(LINE, '11:30', '11:50');
    // Another line's calls do not count on this one.
    await insertCall('csb', '10:35', '10:50');
    await insertCall('csb', '10:36', '10:50');
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('closes each band with its peak and its refused calls, and raises one alert per run of saturated bands', async () => {
    // The first two bands: saturated both, one alert.
    const first = await occupancy.closeBands(rome('10:00'), { from: rome('09:00'), lines: [LINE] });
    expect(first).toEqual([{ line: LINE, bandsClosed: 2, alerts: [expect.objectContaining({ line: LINE })] }]);
    expect(first[0]?.alerts[0]).toMatchObject({
      kind: 'channels-saturated',
      bandStart: rome('09:00').toISOString(),
      raisedAt: NOW.toISOString(),
      message:
        'Linea CUP secondo livello satura per due fasce consecutive (04/03/2031 09:00–10:00): ' +
        'si raccomanda di aumentare i canali del 20 % (da 2 a 3)',
      acknowledgedAt: null,
    });

    // A later run goes on from the last band closed: the run goes on at 10:00 (no new alert),
    // a new run at 11:00 raises the second.
    const second = await occupancy.closeBands(NOW, { lines: [LINE] });
    expect(second[0]?.alerts.map((a) => a.bandStart)).toEqual([rome('11:00').toISOString()]);

    const rows: { band_start: Date; peak: number; refused: number; channels: number }[] = await app.db.query(
      `SELECT band_start, peak, refused, channels FROM voice_occupancy_bands
        WHERE line = $1 AND band_start >= $2 AND band_start < $3 ORDER BY band_start`,
      [LINE, rome('08:00'), rome('13:00')],
    );
    const expected = [
      ['09:00', 2, 0],
      ['09:30', 2, 1],
      ['10:00', 2, 1],
      ['10:30', 1, 0],
      ['11:00', 2, 0],
      ['11:30', 2, 0],
    ] as const;
    expect(rows.map((r) => [r.band_start.toISOString(), r.peak, r.refused, r.channels])).toEqual(
      expected.map(([at, peak, refused]) => [rome(at).toISOString(), peak, refused, 2]),
    );

    // Closing the same bands again writes the same rows and raises nothing.
    const again = await occupancy.closeBands(NOW, { from: rome('09:00'), lines: [LINE] });
    expect(again).toEqual([{ line: LINE, bandsClosed: 6, alerts: [] }]);
    const rowsAgain: unknown[] = await app.db.query(
      `SELECT band_start, peak, refused, channels FROM voice_occupancy_bands
        WHERE line = $1 AND band_start >= $2 AND band_start < $3 ORDER BY band_start`,
      [LINE, rome('08:00'), rome('13:00')],
    );
    expect(rowsAgain).toEqual(rows);
    expect(await occupancy.closeBands(NOW, { lines: [LINE] })).toEqual([{ line: LINE, bandsClosed: 2, alerts: [] }]);
    expect((await alertsOfTheDay()).map((a) => a.bandStart)).toEqual([
      rome('11:00').toISOString(),
      rome('09:00').toISOString(),
    ]);
  });

  it('gives supervisors the month of a line, and no one else', async () => {
    const res = await supervisor.get<MonthReport>(`/api/voice/occupancy?line=${LINE}&month=2031-03`);
    expect(res.status).toBe(200);
    const report = res.body;
    expect(report.summary).toEqual({
      maxPeak: 2,
      saturatedBands: 5,
      refused: 2,
      bandsClosed: 6,
      // March 2031 loses an hour to summer time.
      bandsInMonth: 31 * 48 - 2,
    });
    expect(report.channels).toBe(2);
    expect(report.bands[1]).toEqual({
      bandStart: rome('09:30').toISOString(),
      bandEnd: rome('10:00').toISOString(),
      day: '2031-03-04',
      time: '09:30',
      peak: 2,
      refused: 1,
      channels: 2,
      saturated: true,
    });
    expect(report.byTimeOfDay.find((b) => b.time === '10:30')).toEqual({
      time: '10:30',
      maxPeak: 1,
      averagePeak: 1,
      saturatedBands: 0,
      refused: 0,
    });
    expect(report.alerts).toHaveLength(2);

    expect((await operator.get(`/api/voice/occupancy?line=${LINE}&month=2031-03`)).status).toBe(403);
    expect((await supervisor.get(`/api/voice/occupancy?line=nowhere&month=2031-03`)).status).toBe(400);
    expect((await supervisor.get(`/api/voice/occupancy?line=${LINE}&month=2031-3`)).status).toBe(400);
  });

  it('lets a supervisor acknowledge an alert, audited, and keeps the first acknowledgment', async () => {
    const [latest] = await alertsOfTheDay();
    if (!latest) throw new Error('no alert raised');
    const open = await supervisor.get<{ alerts: VoiceAlert[] }>('/api/voice/alerts?open=true');
    expect(open.status).toBe(200);
    expect(open.body.alerts.map((a) => a.id)).toContain(latest.id);

    expect((await operator.get('/api/voice/alerts')).status).toBe(403);
    expect((await operator.post(`/api/voice/alerts/${latest.id}/acknowledge`)).status).toBe(403);

    const ack = await supervisor.post<VoiceAlert>(`/api/voice/alerts/${latest.id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: latest.id, acknowledgedBy: 'occupazione.supervisore' });
    expect(ack.body.acknowledgedAt).not.toBeNull();
    const repeat = await supervisor.post<VoiceAlert>(`/api/voice/alerts/${latest.id}/acknowledge`);
    expect(repeat.body.acknowledgedAt).toBe(ack.body.acknowledgedAt);

    const audited: { actor: string }[] = await app.db.query(
      `SELECT actor FROM audit_events WHERE action = 'voice-alert.acknowledged' AND subject_type = 'voice-alert'
          AND subject_id = $1`,
      [String(latest.id)],
    );
    expect(audited).toEqual([{ actor: 'occupazione.supervisore' }]);

    const stillOpen = await supervisor.get<{ alerts: VoiceAlert[] }>('/api/voice/alerts?open=true');
    expect(stillOpen.body.alerts.map((a) => a.id)).not.toContain(latest.id);
    const all = await supervisor.get<{ alerts: VoiceAlert[] }>('/api/voice/alerts');
    expect(all.body.alerts.find((a) => a.id === latest.id)?.acknowledgedBy).toBe('occupazione.supervisore');
    expect((await supervisor.post('/api/voice/alerts/999999999/acknowledge')).status).toBe(404);
  });

  it('probes the voice endpoint with a signed request and records whether it answered', async () => {
    const at = (hhmm: string) => () => rome(hhmm);
    const probe = await new VoiceProbes(app.db, { authToken: TOKEN, publicBaseUrl: baseUrl }, {}, at('12:03')).run();
    expect(probe).toMatchObject({ at: rome('12:03').toISOString(), ok: true, detail: null });
    const stored: { ok: boolean }[] = await app.db.query(`SELECT ok FROM voice_probes WHERE id = $1`, [probe?.id]);
    expect(stored).toEqual([{ ok: true }]);

    // Signed with the wrong token, the endpoint refuses it: a failed minute.
    const refused = await new VoiceProbes(
      app.db,
      { authToken: 'wrong', publicBaseUrl: baseUrl },
      {},
      at('12:04'),
    ).run();
    expect(refused).toMatchObject({ ok: false, detail: 'HTTP 403: Firma Twilio non valida.' });

    // Before the public URL is known, nothing is probed or recorded.
    expect(await new VoiceProbes(app.db, { authToken: TOKEN, publicBaseUrl: '' }).run()).toBeUndefined();
  });

  it('refuses a forged request to the probe endpoint and records nothing', async () => {
    // This day's probes only: the app's own probe runs every minute on the real clock.
    const count = async () => {
      const rows: { n: string }[] = await app.db.query(`SELECT count(*) AS n FROM voice_probes WHERE at >= $1`, [
        rome('00:00'),
      ]);
      return Number(rows[0]?.n ?? 0);
    };
    const before = await count();
    const url = `${baseUrl}${PROBE_PATH}`;
    const params = { CallSid: `CA${'0'.repeat(32)}` };
    const post = (signature: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
    expect((await post(twilio.getExpectedTwilioSignature('forged', url, params))).status).toBe(403);
    expect((await post('')).status).toBe(403);
    const good = await post(twilio.getExpectedTwilioSignature(TOKEN, url, params));
    expect(good.status).toBe(200);
    expect(await good.text()).toContain('<Response/>');
    // The endpoint itself writes nothing; only the probe records its answer.
    expect(await count()).toBe(before);
  });

  it('gives supervisors the availability of a period: minutes whose every probe was ok over the minutes of the period', async () => {
    // Beside the two probes above (12:03 ok, 12:04 refused): two API processes at 12:01, one failing.
    for (const [t, ok] of [
      ['12:00', true],
      ['12:01', true],
      ['12:01', false],
      ['12:02', false],
    ] as const) {
      await app.db.query(`INSERT INTO voice_probes (at, ok, latency_ms, detail) VALUES ($1, $2, 12, $3)`, [
        new Date(rome(t).getTime() + 5_000),
        ok,
        ok ? null : 'HTTP 503: database non raggiungibile',
      ]);
    }
    const res = await supervisor.get<ProbeReport>(
      `/api/voice/probes?from=${encodeURIComponent(rome('12:00').toISOString())}&to=${encodeURIComponent(rome('13:00').toISOString())}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      minutesInPeriod: 60,
      minutesProbed: 5,
      minutesOk: 2,
      // 2 good minutes of 60: the 55 minutes nobody probed count as down.
      availabilityPercent: 3.33,
      slaPercent: 95,
      truncated: false,
    });
    expect(res.body.probes).toHaveLength(6);
    expect(res.body.probes[0]?.at).toBe(rome('12:04').toISOString());

    expect((await operator.get('/api/voice/probes')).status).toBe(403);
    expect((await supervisor.get('/api/voice/probes?from=2031-03-04T12:00:00Z&to=2031-03-04T11:00:00Z')).status).toBe(
      400,
    );
  });
});
