import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp } from './support/test-app.js';

/**
 * Issue 13, security sweep: webhooks are limited per sending address before their signature
 * is checked, uploads per user; past the limit the answer is 429 in Italian with the seconds
 * to wait, and nothing is written.
 */
describe('rate limits on webhooks and uploads', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp({ WEBHOOK_LIMIT_PER_MINUTE: '3', UPLOAD_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers 429 to the fourth webhook of a minute from one address, signed or not', async () => {
    const post = () =>
      fetch(`${app.url}/webhooks/twilio/voice-status`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'CallSid=CA00000000000000000000000000000000&CallStatus=completed',
      });
    // Unsigned: refused by the signature check, until the limit answers first.
    for (let i = 0; i < 3; i++) expect((await post()).status).toBe(403);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const body = (await limited.json()) as { title: string; detail: string };
    expect(body.title).toBe('Troppe richieste');
    expect(body.detail).toMatch(/Riprovare tra \d+ secondi\./);
  });

  it('answers 429 to the third upload of a minute by one user, and writes nothing; another user is not held up', async () => {
    const count = async () =>
      (await app.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM campaigns`))[0]?.n ?? 0;
    const before = await count();
    const regione = apiAs(app, 'regione.limiti', ['regione']);
    const upload = (api = regione) =>
      api.post('/api/campaigns', { kind: 'information', name: 'Lista vuota', script: 'Buongiorno.', csv: '' });
    expect((await upload()).status).toBe(400);
    expect((await upload()).status).toBe(400);
    const limited = await upload();
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ title: 'Troppi caricamenti' });
    expect(await count()).toBe(before);
    expect((await upload(apiAs(app, 'regione.altra', ['regione']))).status).toBe(400);
  });
});
