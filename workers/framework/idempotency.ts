import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { EffectInProgressError } from './errors.js';

/**
 * How long a started effect is considered in progress before another delivery may take it
 * over: the workers' lock (WORKER_LOCK_MS). While the first delivery runs, the engine keeps
 * its lock extended and offers the task to nobody else; once the lock of a dead worker has
 * expired and the task comes again, the claim has expired too, and the new delivery resumes.
 */
const DEFAULT_LEASE_MS = 30_000;

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * Remembers side effects in PostgreSQL so that a retried or re-delivered job never repeats
 * one. The key is stored before the effect runs; no connection is held while it runs.
 *
 * - first delivery: claims the key, runs the effect, stores its result;
 * - a later delivery: returns the stored result without running the effect;
 * - a concurrent delivery (the first one still running): fails transiently, to retry later;
 * - the effect threw: the claim is removed, so a retry may run it again.
 *
 * An effect that completed remotely while this process crashed before storing its result
 * is run again after the lease; adapters pass the same key to providers that deduplicate
 * (the CUP's booking request key, the SMS record per booking and purpose).
 */
export class EffectStore {
  constructor(
    private readonly db: DataSource,
    private readonly leaseMs = DEFAULT_LEASE_MS,
  ) {}

  async once<T extends Json | undefined>(
    effectKey: string,
    meta: { taskType: string; jobKey: string },
    effect: () => Promise<T>,
  ): Promise<T> {
    const owner = randomUUID();
    const claimed: unknown[] = await this.db.query(
      `INSERT INTO job_effects (effect_key, task_type, job_key, result)
       VALUES ($1, $2, $3, jsonb_build_object('state', 'running', 'owner', $4::text))
       ON CONFLICT (effect_key) DO UPDATE
         SET result = jsonb_build_object('state', 'running', 'owner', $4::text), created_at = now(), job_key = $3
         WHERE job_effects.result->>'state' = 'running'
           AND job_effects.created_at < now() - ($5::int * interval '1 millisecond')
       RETURNING effect_key`,
      [effectKey, meta.taskType, meta.jobKey, owner, this.leaseMs],
    );
    if (claimed.length === 0) {
      const rows: { result: { state: string; value?: T }; age_ms: number }[] = await this.db.query(
        `SELECT result, (extract(epoch FROM now() - created_at) * 1000)::int AS age_ms
           FROM job_effects WHERE effect_key = $1`,
        [effectKey],
      );
      const row = rows[0];
      if (row?.result.state === 'done') return row.result.value as T;
      // In doubt: another delivery claimed it and has not finished (or died). Come back when
      // its lease ends; waiting spends no attempt.
      throw new EffectInProgressError(
        `effetto ${effectKey} già in corso in un'altra consegna del job`,
        Math.max(500, this.leaseMs - (row?.age_ms ?? 0) + 250),
      );
    }
    let value: T;
    try {
      value = await effect();
    } catch (err) {
      await this.db.query(`DELETE FROM job_effects WHERE effect_key = $1 AND result->>'owner' = $2`, [
        effectKey,
        owner,
      ]);
      throw err;
    }
    await this.db.query(
      `UPDATE job_effects SET result = jsonb_build_object('state', 'done', 'value', $2::jsonb)
        WHERE effect_key = $1`,
      [effectKey, JSON.stringify(value ?? null)],
    );
    return value;
  }
}
