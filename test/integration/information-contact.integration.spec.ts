import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';
import { openTaskOf } from './support/booking.js';

interface Fcr {
  contacts: number;
  inScope: number;
  resolvedFirstContact: number;
  firstContactResolutionPct: number | null;
}

describe('information contacts close with an outcome code (C7)', () => {
  let app: RunningApp;
  let operator: ApiClient;
  let supervisor: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    operator = apiAs(app, 'operatore.info', ['operator']);
    supervisor = apiAs(app, 'supervisore.info', ['supervisor']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  async function contact(variables: Record<string, unknown>): Promise<number> {
    const started = await operator.post<{ processInstanceKey: string }>('/api/cup/information-contacts', {
      channel: 'telefono',
    });
    expect(started.status).toBe(201);
    const task = await openTaskOf(operator, started.body.processInstanceKey, 'close-contact', 'cup-information');
    await operator.post(`/api/tasks/${task.key}/claim`);
    return (await operator.post(`/api/tasks/${task.key}/complete`, { variables })).status;
  }

  it('refuses a code outside the catalogue, and measures first-contact resolution without out-of-scope contacts', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    expect(await contact({ outcomeCode: 'INVENTATO' })).toBe(400);

    expect(await contact({ outcomeCode: 'INFO-TICKET-ESENZIONI', resolvedFirstContact: true })).toBe(200);
    expect(
      await contact({ outcomeCode: 'INFO-PAGAMENTI', resolvedFirstContact: false, closingNote: 'Richiama domani' }),
    ).toBe(200);
    expect(await contact({ outcomeCode: 'FUORI-AMBITO', resolvedFirstContact: true })).toBe(200);

    let fcr: Fcr | undefined;
    for (let i = 0; i < 100; i++) {
      const to = new Date(Date.now() + 60_000).toISOString();
      fcr = (await supervisor.get<Fcr>(`/api/cup/information-contacts/fcr?from=${from}&to=${to}`)).body;
      if (fcr.contacts >= 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(fcr).toEqual({ contacts: 3, inScope: 2, resolvedFirstContact: 1, firstContactResolutionPct: 50 });
    const rows: { operator: string; outcome_code: string }[] = await app.db.query(
      `SELECT operator, outcome_code FROM contact_outcomes WHERE closed_at >= $1 ORDER BY closed_at`,
      [from],
    );
    expect(rows.map((r) => r.operator)).toEqual(['operatore.info', 'operatore.info', 'operatore.info']);
  });
});
