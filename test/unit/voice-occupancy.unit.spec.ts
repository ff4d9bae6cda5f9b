import type { AddressInfo } from 'node:net';
import express from 'express';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../api/app.js';
import { problemHandler } from '../../api/problems.js';
import { voiceProbeWebhookRoutes } from '../../api/routes/voice-reports.js';
import { createLogger } from '../../platform/logger.js';
import { PROBE_PATH } from '../../domain/voice/probe.js';
import {
  BAND_MS,
  bandStartOf,
  bandStarts,
  channelsOf,
  countPerBand,
  monthRange,
  peakPerBand,
  romeTime,
  saturatedRuns,
  saturationMessage,
  scaledChannels,
  type CallInterval,
} from '../../domain/voice/occupancy.js';
import { startOfDayInRome } from '../../domain/time.js';
import { DEFAULT_LINES } from '../../domain/voice/lines.js';

const t = (iso: string) => Date.parse(iso);
const call = (from: string, to: string): CallInterval => ({ startMs: t(from), endMs: t(to) });
/** The bands of a Rome-clock stretch of 2 December 2026 (winter, UTC+1). */
const bandsFrom = (fromIso: string, count: number) => Array.from({ length: count }, (_, i) => t(fromIso) + i * BAND_MS);

/** The peak of one band by brute force: the count at its start and at every arrival inside it. */
function naivePeak(calls: CallInterval[], start: number): number {
  const at = (x: number) => calls.filter((c) => c.startMs <= x && x < Math.max(c.endMs, c.startMs + 1)).length;
  const instants = [start, ...calls.map((c) => c.startMs).filter((s) => s >= start && s < start + BAND_MS)];
  return Math.max(...instants.map(at));
}

describe('30-minute bands of the Rome clock', () => {
  it('puts an instant in the band its Rome clock reads, in winter and in summer', () => {
    expect(bandStartOf(new Date('2026-12-02T09:44:59.999+01:00')).toISOString()).toBe('2026-12-02T08:30:00.000Z');
    expect(bandStartOf(new Date('2026-07-02T10:00:00+02:00')).toISOString()).toBe('2026-07-02T08:00:00.000Z');
    expect(romeTime(bandStartOf(new Date('2026-07-02T10:29:00+02:00')))).toBe('10:00');
  });

  it('has 46 bands on the day summer time starts and 50 on the day it ends (02:00 twice)', () => {
    const day = (d: string, next: string) => bandStarts(startOfDayInRome(d), startOfDayInRome(next));
    expect(day('2031-03-30', '2031-03-31')).toHaveLength(46);
    const autumn = day('2031-10-26', '2031-10-27');
    expect(autumn).toHaveLength(50);
    expect(autumn.map(romeTime).filter((x) => x === '02:00' || x === '02:30')).toEqual([
      '02:00',
      '02:30',
      '02:00',
      '02:30',
    ]);
    // Spring: the clock jumps from 02:00 to 03:00; the band after 01:30 is 03:00.
    const spring = day('2031-03-30', '2031-03-31').map(romeTime);
    expect(spring.slice(2, 5)).toEqual(['01:00', '01:30', '03:00']);
  });

  it('gives a month its bands, DST months included', () => {
    const count = (m: string) => {
      const { from, to } = monthRange(m);
      return (to.getTime() - from.getTime()) / BAND_MS;
    };
    expect(count('2026-12')).toBe(31 * 48);
    expect(count('2031-03')).toBe(31 * 48 - 2);
    expect(count('2031-10')).toBe(31 * 48 + 2);
    expect(count('2028-02')).toBe(29 * 48);
    expect(monthRange('2026-12').from.toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(() => monthRange('2026-13')).toThrow(/Mese non valido/);
  });
});

describe('the peak of simultaneous calls per band, by an exact sweep (V7)', () => {
  const bands = bandsFrom('2026-12-02T10:00:00+01:00', 4); // 10:00, 10:30, 11:00, 11:30

  it('counts a call in every band it spans, and one that started before the first band', () => {
    const calls = [
      call('2026-12-02T10:20:00+01:00', '2026-12-02T11:10:00+01:00'),
      call('2026-12-02T09:00:00+01:00', '2026-12-02T10:25:00+01:00'),
    ];
    expect(peakPerBand(calls, bands)).toEqual([2, 1, 1, 0]);
  });

  it('frees the channel at the instant a call ends: back-to-back calls hold one channel', () => {
    const calls = [
      call('2026-12-02T10:00:00+01:00', '2026-12-02T10:10:00+01:00'),
      call('2026-12-02T10:10:00+01:00', '2026-12-02T10:20:00+01:00'),
      // Ends exactly when the 10:30 band starts: not in it.
      call('2026-12-02T10:20:00+01:00', '2026-12-02T10:30:00+01:00'),
    ];
    expect(peakPerBand(calls, bands)).toEqual([1, 0, 0, 0]);
  });

  it('counts the peak, not the calls of the band', () => {
    // Five calls in the 10:30 band, at most three at once; a call arriving at 11:00 belongs to the 11:00 band.
    const calls = [
      call('2026-12-02T10:31:00+01:00', '2026-12-02T10:40:00+01:00'),
      call('2026-12-02T10:32:00+01:00', '2026-12-02T10:41:00+01:00'),
      call('2026-12-02T10:33:00+01:00', '2026-12-02T10:42:00+01:00'),
      call('2026-12-02T10:45:00+01:00', '2026-12-02T10:50:00+01:00'),
      call('2026-12-02T10:46:00+01:00', '2026-12-02T10:51:00+01:00'),
      call('2026-12-02T11:00:00+01:00', '2026-12-02T11:01:00+01:00'),
    ];
    expect(peakPerBand(calls, bands)).toEqual([0, 3, 1, 0]);
  });

  it('lets a call that ended the instant it arrived hold its channel for that instant', () => {
    const calls = [call('2026-12-02T11:40:00+01:00', '2026-12-02T11:40:00+01:00')];
    expect(peakPerBand(calls, bands)).toEqual([0, 0, 0, 1]);
  });

  it('keeps the two 02:00 bands of the day summer time ends apart', () => {
    const autumn = bandStarts(new Date('2031-10-26T01:30:00+02:00'), new Date('2031-10-26T03:30:00+01:00'));
    expect(autumn.map(romeTime)).toEqual(['01:30', '02:00', '02:30', '02:00', '02:30', '03:00']);
    const calls = [
      // 02:10–02:40 summer time, then two calls in 02:10 winter time.
      call('2031-10-26T02:10:00+02:00', '2031-10-26T02:40:00+02:00'),
      call('2031-10-26T02:10:00+01:00', '2031-10-26T02:20:00+01:00'),
      call('2031-10-26T02:15:00+01:00', '2031-10-26T02:25:00+01:00'),
      // Spans the change: 02:35 summer time to 02:16 winter time is 41 minutes.
      call('2031-10-26T02:35:00+02:00', '2031-10-26T02:16:00+01:00'),
    ];
    expect(peakPerBand(calls, autumn)).toEqual([0, 1, 2, 3, 0, 0]);
  });

  it('agrees with a brute-force count on random calls', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const start = t('2026-12-02T08:00:00+01:00');
    const many = bandsFrom('2026-12-02T08:00:00+01:00', 16);
    for (let round = 0; round < 20; round++) {
      const calls = Array.from({ length: 60 }, () => {
        const s = start - 3_600_000 + Math.floor(random() * 9 * 3_600_000);
        // Whole minutes often, so arrivals and ends meet exactly.
        const len = random() < 0.5 ? Math.floor(random() * 40) * 60_000 : Math.floor(random() * 3_600_000);
        return { startMs: s - (s % 60_000), endMs: s - (s % 60_000) + len };
      });
      expect(peakPerBand(calls, many)).toEqual(many.map((b) => naivePeak(calls, b)));
    }
  });

  it('counts the calls refused busy in the band they arrived in', () => {
    const refused = [
      t('2026-12-02T10:00:00+01:00'),
      t('2026-12-02T10:29:59+01:00'),
      t('2026-12-02T11:30:00+01:00'),
      t('2026-12-02T12:00:00+01:00'),
    ];
    expect(countPerBand(refused, bands)).toEqual([2, 0, 0, 1]);
  });
});

describe('saturation and its alert', () => {
  const band = (i: number, peak: number, channels = 2) => ({
    bandStartMs: t('2026-12-02T08:00:00+01:00') + i * BAND_MS,
    peak,
    refused: 0,
    channels,
  });

  it('finds the runs of two or more saturated bands; a missing band breaks a run', () => {
    const bands = [
      band(0, 2),
      band(1, 1),
      band(2, 2),
      band(3, 3),
      band(4, 2),
      band(5, 0),
      band(6, 2),
      band(8, 2),
      band(9, 2),
    ];
    expect(saturatedRuns(bands)).toEqual([
      { startMs: band(2, 0).bandStartMs, endMs: band(4, 0).bandStartMs },
      { startMs: band(8, 0).bandStartMs, endMs: band(9, 0).bandStartMs },
    ]);
  });

  it('recommends 20 % more channels, rounded up, and never fewer than the contract', () => {
    expect(scaledChannels(60)).toBe(72);
    expect(scaledChannels(30)).toBe(36);
    expect(scaledChannels(2)).toBe(3);
    const cup = DEFAULT_LINES.find((l) => l.id === 'cup');
    if (!cup) throw new Error('no CUP line');
    expect(channelsOf(cup)).toBe(60);
    expect(channelsOf(cup, 40)).toBe(60);
    expect(channelsOf(cup, 80)).toBe(80);
  });

  it('says in Italian which bands saturated and what to do', () => {
    expect(saturationMessage('cup', new Date('2026-12-01T10:00:00+01:00'), 60)).toBe(
      'Linea CUP satura per due fasce consecutive (01/12/2026 10:00–11:00): si raccomanda di aumentare i canali del 20 % (da 60 a 72)',
    );
  });
});

describe('the endpoint the IVR continuity probe calls', () => {
  /** The probe route over fake engine and database, on a free port; `answer` posts a signed request. */
  async function endpoint(deps: { deployed: boolean; database: boolean }) {
    const log = createLogger('silent');
    const webhook = { authToken: 'probe-token', publicBaseUrl: '' };
    const fakes = {
      log,
      voiceWebhook: webhook,
      engine: { latestDefinition: () => Promise.resolve(deps.deployed ? { id: 'inbound-call:1' } : undefined) },
      db: { query: () => (deps.database ? Promise.resolve([{ '?column?': 1 }]) : Promise.reject(new Error('down'))) },
    };
    const app = express();
    app.use('/webhooks', voiceProbeWebhookRoutes(fakes as unknown as ApiDeps));
    app.use(problemHandler(log));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    webhook.publicBaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const url = `${webhook.publicBaseUrl}${PROBE_PATH}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature('probe-token', url, { CallSid: 'CA1' }),
      },
      body: 'CallSid=CA1',
    });
    const body = await res.text();
    await new Promise((r) => server.close(r));
    return { status: res.status, body };
  }

  it('answers an empty TwiML when the process is deployed and the database answers', async () => {
    expect(await endpoint({ deployed: true, database: true })).toEqual({
      status: 200,
      body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    });
  });

  it('answers 503 saying what is missing otherwise', async () => {
    const missing = await endpoint({ deployed: false, database: false });
    expect(missing.status).toBe(503);
    expect(JSON.parse(missing.body)).toMatchObject({
      detail: 'processo inbound-call non distribuito; database non raggiungibile (down)',
    });
  });
});
