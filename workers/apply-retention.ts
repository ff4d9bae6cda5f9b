import { z } from 'zod';
import { defineWorker } from './framework/define.js';

const DAY_MS = 86_400_000;

/** Runs one UPDATE/DELETE … RETURNING and counts the rows it touched. */
async function count(db: { query(sql: string, params: unknown[]): Promise<unknown> }, sql: string, params: unknown[]) {
  const rows = (await db.query(
    `WITH changed AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM changed`,
    params,
  )) as {
    n: number;
  }[];
  return rows[0]?.n ?? 0;
}

/**
 * Retention of personal data (P3): what the platform itself keeps of people (SMS texts and
 * numbers, contact notes) is emptied once older than `personalDataDays`; audit entries older
 * than `auditDays` are deleted. The records stay (who did what, when, with which outcome),
 * their personal content goes. Task and instance variables live in the engine's history,
 * which the engine removes itself (`historyTimeToLive` of each process, history cleanup).
 * Idempotent: a second run finds nothing left to empty.
 */
export const applyRetention = defineWorker({
  taskType: 'apply-retention',
  permission: 'retention:manage',
  description: 'Applica i tempi di conservazione dei dati personali e del registro degli accessi.',
  variables: z.object({}).passthrough(),
  headers: z.object({
    personalDataDays: z.coerce.number().int().min(1).max(3650),
    auditDays: z.coerce.number().int().min(30).max(3650),
  }),
  async handler({ headers, job, deps }) {
    const now = deps.now();
    const personalBefore = new Date(now.getTime() - headers.personalDataDays * DAY_MS);
    const auditBefore = new Date(now.getTime() - headers.auditDays * DAY_MS);
    const db = deps.db;
    const sms = await count(
      db,
      `UPDATE sms_messages SET body = '', to_number = ''
        WHERE created_at < $1 AND (body <> '' OR to_number <> '')`,
      [personalBefore],
    );
    const notes = await count(db, `UPDATE contact_outcomes SET note = NULL WHERE closed_at < $1 AND note IS NOT NULL`, [
      personalBefore,
    ]);
    const audit = await count(db, `DELETE FROM audit_events WHERE at < $1`, [auditBefore]);
    const summary = { sms, notes, auditDeleted: audit };
    // One record per run, even when a delivery that died after writing it is repeated.
    await db.query(
      `INSERT INTO audit_events (actor, action, subject_type, detail)
       SELECT 'sistema', 'retention.applied', 'platform', $1::jsonb
        WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE action = 'retention.applied' AND detail->>'run' = $2)`,
      [
        JSON.stringify({
          ...summary,
          personalDataDays: headers.personalDataDays,
          auditDays: headers.auditDays,
          run: job.processInstanceKey,
        }),
        job.processInstanceKey,
      ],
    );
    return { retention: { appliedAt: now.toISOString(), ...summary } };
  },
});
