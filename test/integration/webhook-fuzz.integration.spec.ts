import { createHash } from 'node:crypto';
import fc from 'fast-check';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { freePorts } from '../support/ports.js';
import { startTestApp } from './support/test-app.js';

const SMS_TOKEN = 'fuzz-sms-webhook-token-0123456789';

/** Every webhook Twilio calls, with the query parameters each may carry. */
const ROUTES: { path: string; query: string[] }[] = [
  { path: '/webhooks/twilio/sms-status', query: [] },
  { path: '/webhooks/twilio/voice', query: [] },
  { path: '/webhooks/twilio/voice/step', query: ['seq', 'contact'] },
  { path: '/webhooks/twilio/voice/wait', query: [] },
  { path: '/webhooks/twilio/voice/wait-choice', query: [] },
  { path: '/webhooks/twilio/voice/queue-result', query: [] },
  { path: '/webhooks/twilio/voice/connect', query: ['contact'] },
  { path: '/webhooks/twilio/voice/dial-end', query: ['contact'] },
  { path: '/webhooks/twilio/voice/survey', query: ['survey'] },
  { path: '/webhooks/twilio/voice-status', query: ['contact', 'survey'] },
];

/** The parameters Twilio posts, and some it does not. */
const KEYS = [
  'CallSid',
  'AccountSid',
  'From',
  'To',
  'CallStatus',
  'Direction',
  'Digits',
  'SpeechResult',
  'QueueResult',
  'QueueTime',
  'DialCallStatus',
  'CallDuration',
  'MessageSid',
  'MessageStatus',
  'ErrorCode',
  'SequenceNumber',
  'Timestamp',
  'x',
];

/** As the form encoding carries it (a lone surrogate becomes U+FFFD): what Twilio would have signed. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

/** Values near the real ones (sids of the wrong shape, numbers, statuses) and anything at all. */
const value = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('ringing', 'in-progress', 'completed', 'busy', 'delivered', 'failed', '1', '9', '', '+39848821821'),
    fc.string({ unit: fc.constantFrom(...'CASM0123456789abcdefxyz'.split('')), maxLength: 36 }).map((s) => `CA${s}`),
    fc.string({ unit: fc.constantFrom(...'0123456789+'.split('')), maxLength: 16 }),
    fc.integer().map(String),
    fc.string({ maxLength: 3000 }),
  )
  .map(wellFormed);

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  params: fc.dictionary(
    fc.oneof(fc.constantFrom(...KEYS), fc.string({ minLength: 1, maxLength: 12 }).map(wellFormed)),
    value,
    {
      maxKeys: 10,
    },
  ),
  query: fc.dictionary(fc.constantFrom('seq', 'contact', 'survey', 'x'), value, { maxKeys: 3 }),
});

/**
 * Issue 13, security sweep: Twilio's webhooks fuzzed over HTTP with correctly signed bodies of
 * every shape. None crashes the app (no 5xx), each is answered with TwiML, 204 or a clear 400,
 * and nothing is written: no call record, queue entry, survey or instance, no SMS status changed.
 */
describe('fuzzing the webhooks over HTTP, signed', () => {
  let app: RunningApp;
  let base: string;
  beforeAll(async () => {
    const [port] = (await freePorts(1)) as [number];
    base = `http://127.0.0.1:${port}`;
    app = await startTestApp(
      { PORT: String(port), PUBLIC_BASE_URL: base, WEBHOOK_LIMIT_PER_MINUTE: '100000' },
      { twilioWebhookToken: SMS_TOKEN },
    );
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** A digest of everything a webhook could write. */
  const written = async (): Promise<string> => {
    const rows = await app.db.query<{ t: string; n: string; d: string | null }[]>(
      `SELECT 'calls' AS t, count(*)::text AS n, md5(string_agg(call_sid || status, ',' ORDER BY call_sid)) AS d FROM call_records
       UNION ALL SELECT 'queue', count(*)::text, md5(string_agg(call_sid || state, ',' ORDER BY call_sid)) FROM voice_queue_entries
       UNION ALL SELECT 'surveys', count(*)::text, NULL FROM voice_surveys
       UNION ALL SELECT 'sms', count(*)::text, md5(string_agg(id::text || status, ',' ORDER BY id)) FROM sms_messages`,
    );
    const instances = await app.engine.historicProcessInstanceCount({});
    return createHash('sha256')
      .update(JSON.stringify([rows, instances]))
      .digest('hex');
  };

  it('answers every signed request without a 5xx, a clear 400 for a bad one, and writes nothing', async () => {
    const before = await written();
    const tokenOf = (path: string) =>
      path === '/webhooks/twilio/sms-status' ? SMS_TOKEN : (app.voice?.webhook.authToken ?? '');
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ route, params, query }) => {
        const q = new URLSearchParams(query).toString();
        const url = `${base}${route.path}${q ? `?${q}` : ''}`;
        // Twilio signs the URL and the parameters as posted; the form body carries them.
        const signature = twilio.getExpectedTwilioSignature(tokenOf(route.path), url, params);
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
          body: new URLSearchParams(params).toString(),
        });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(res.status, `${route.path} ${text.slice(0, 200)}`).toBeLessThan(500);
        // A signature computed as Twilio does is never refused.
        expect(res.status, `${url} ${JSON.stringify(params)}`).not.toBe(403);
        if (res.status === 400) {
          const problem = JSON.parse(text) as { title?: string; detail?: string };
          expect(problem.title).toBeTruthy();
          expect(problem.detail).toMatch(/^[A-ZÈ\p{Lu}]/u);
        } else if (res.status === 200) {
          expect(text).toMatch(/^<\?xml[^>]*\?><Response>/);
        } else {
          expect([204, 404]).toContain(res.status);
        }
      }),
      { numRuns: 300, seed: 13 },
    );
    // Most are refused as malformed.
    expect(seen.get(400) ?? 0).toBeGreaterThan(100);
    expect(await written()).toBe(before);
  });
});
