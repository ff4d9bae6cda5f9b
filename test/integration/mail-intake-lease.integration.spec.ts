import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Mailbox } from '../../adapters/mail/mailbox.js';
import { startMailIntake, type MailIntake } from '../../domain/helpdesk/mail-intake.js';
import { createLogger } from '../../platform/logger.js';
import { waitFor } from './support/test-app.js';

/**
 * Issue 13: a mailbox is read by one process at a time. Two intakes (as two processes: each
 * its own pool, named so that one can be "killed" by closing its connections) compete for one
 * mailbox's lease; one reads, the other takes over when the first stops or dies.
 */
describe('one mailbox, read by one process at a time', () => {
  const pools: Record<'a' | 'b', DataSource> = {} as Record<'a' | 'b', DataSource>;
  const tag = randomUUID().slice(0, 8);

  beforeAll(async () => {
    for (const who of ['a', 'b'] as const) {
      pools[who] = new DataSource({
        type: 'postgres',
        url: inject('databaseUrl'),
        extra: { max: 3, application_name: `lease-test-${tag}-${who}` },
      });
      await pools[who].initialize();
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(pools).map((p) => p.destroy().catch(() => undefined)));
  });

  it('one reads; the other takes over when it stops, and when its connection dies', async () => {
    const reading = new Set<string>();
    let overlaps = 0;
    const box = (who: string) => ({
      name: `lease-test-${tag}`,
      channel: 'email' as const,
      mailbox: {
        watch: async (_onMessage: unknown, signal: AbortSignal) => {
          reading.add(who);
          if (reading.size > 1) overlaps++;
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          reading.delete(who);
        },
      } as unknown as Mailbox,
    });
    const intake = {} as MailIntake;
    const log = createLogger('silent');
    const stops = {
      a: startMailIntake(intake, [box('a')], log, { db: pools.a, retryMs: 200 }),
      b: startMailIntake(intake, [box('b')], log, { db: pools.b, retryMs: 200 }),
    };
    const reader = () => waitFor(() => Promise.resolve(reading.size === 1 ? [...reading][0] : undefined), 'one reader');
    const first = (await reader()) as 'a' | 'b';
    await new Promise((r) => setTimeout(r, 1000));
    expect([...reading]).toEqual([first]);

    // The reader stops (a process shut down): the other takes over.
    await stops[first]();
    const second = await waitFor(() => Promise.resolve(reading.has(first) ? undefined : [...reading][0]), 'a takeover');
    expect(second).not.toBe(first);

    // The new reader's connections die (its process killed, or PostgreSQL restarted under it):
    // the lock goes with them; the first intake, started again, takes the mailbox.
    stops[first] = startMailIntake(intake, [box(first)], log, { db: pools[first], retryMs: 200 });
    await new Promise((r) => setTimeout(r, 600));
    expect([...reading]).toEqual([second]);
    // Until here never two at once; after a death the dead holder notices within one check.
    expect(overlaps).toBe(0);
    await pools[first].query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      `lease-test-${tag}-${second}`,
    ]);
    await waitFor(
      () => Promise.resolve((reading.size === 1 && reading.has(first)) || undefined),
      'the takeover after a death',
    );
    await Promise.all([stops.a(), stops.b()]);
  });
});
