import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The contract's definitions as this migration stores them: a frozen copy, so that a later
 * change to `domain/kpi/definitions.ts` cannot rewrite what fresh installations get. A new
 * version of the definitions is added from the workspace, or by a new migration.
 */
export const CONTRACT_2026_1 = {
  version: 'contratto-2026.1',
  answeredWithin: 'contract',
  shortAbandonS: 5,
  solutionTimeFrom: 'call-start',
  pointRounding: 'begun',
  waitLimitS: 20,
  firstContactLimitS: { cup: 240, csb: 540 },
  secondLevelLimitS: 14400,
  writtenLimitBusinessHours: 24,
  outboundPackageHours: 24,
  outboundPackageSize: 100,
  outboundLatePenaltyPctPerHour: 3,
  lateReportEurPerDay: 500,
  reportDueDay: 15,
  operatorDowntimeEurPerHour: 5000,
  sla: {
    'answered-within-20s': {
      comparison: 'min',
      thresholdPct: 90,
      targetPct: 95,
      penaltyPctPerPoint: 0.5,
      penaltyBase: 'service',
    },
    'written-contacts-24h': {
      comparison: 'min',
      thresholdPct: 100,
      targetPct: 100,
      penaltyPctPerPoint: 0.5,
      penaltyBase: 'service',
    },
    'lost-calls': {
      comparison: 'max',
      thresholdPct: 10,
      targetPct: 5,
      penaltyPctPerPoint: 0.5,
      penaltyBase: 'service',
    },
    'first-contact-resolution': {
      comparison: 'min',
      thresholdPct: 70,
      targetPct: 95,
      penaltyPctPerPoint: 0.5,
      penaltyBase: 'service',
    },
    'first-contact-solution-time': {
      comparison: 'min',
      thresholdPct: 90,
      targetPct: null,
      penaltyPctPerPoint: 0.5,
      penaltyBase: 'service',
    },
    'second-level-resolution': {
      comparison: 'min',
      thresholdPct: 90,
      targetPct: 100,
      penaltyPctPerPoint: 1,
      penaltyBase: 'service',
    },
    'second-level-solution-time': {
      comparison: 'min',
      thresholdPct: 80,
      targetPct: 100,
      penaltyPctPerPoint: 1,
      penaltyBase: 'service',
    },
    'outbound-efficacy': {
      comparison: 'min',
      thresholdPct: 50,
      targetPct: null,
      penaltyPctPerPoint: 1,
      penaltyBase: 'outbound',
    },
    'outbound-efficiency': {
      comparison: 'min',
      thresholdPct: 100,
      targetPct: null,
      penaltyPctPerPoint: 0,
      penaltyBase: 'outbound',
    },
    'ivr-continuity': {
      comparison: 'min',
      thresholdPct: 95,
      targetPct: 99.5,
      penaltyPctPerPoint: 0.5,
      penaltyBase: 'service',
    },
  },
};

/**
 * The contract's definitions (`contratto-2026.1`), stored once here rather than by an insert
 * before every read (a read that writes, and a write each kill test would meet first). A
 * version is immutable: a change to the definitions is a new version, never an edit here.
 *
 * The presence log keeps only sign-ins and sign-outs (a change between `assente` and any
 * other presence): it is read only for "operators signed in", and the three changes of every
 * answered call (in conversation, wrap-up, available) made it 40 times larger (10 M rows in
 * five years) for nothing. Existing rows that change nothing of that are removed.
 *
 * Indexes measured by `npm run bench:kpi` (docs/benchmarks.md, "KPIs (issue 12)"). The
 * wallboard's three windows and the K1 distribution ask, for every operator, the last
 * presence before the window (`DISTINCT ON (username) … WHERE at < $1 ORDER BY username, at
 * DESC, id DESC`): with only the index on `at`, PostgreSQL read and sorted the whole presence
 * log before the window (three changes per answered call), on disk past `work_mem`, for each
 * window of each computation. This index returns the log in that order with the presence in
 * it (an index-only scan, no sort), and lets a query find one operator's last change before
 * an instant in a single descent.
 */
export class KpiContract1763900000032 implements MigrationInterface {
  name = 'KpiContract1763900000032';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO kpi_definitions (version, definitions, note, created_by, created_at)
       VALUES ($1, $2, 'Definizioni del capitolato (§6)', 'system', '2026-01-01T00:00:00Z') ON CONFLICT DO NOTHING`,
      [CONTRACT_2026_1.version, JSON.stringify(CONTRACT_2026_1)],
    );
    await q.query(`
      CREATE OR REPLACE FUNCTION voice_presence_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR (OLD.presence = 'assente') IS DISTINCT FROM (NEW.presence = 'assente') THEN
          INSERT INTO voice_presence_events (username, presence, at) VALUES (NEW.username, NEW.presence, NEW.presence_since);
        END IF;
        RETURN NEW;
      END $$;
      DELETE FROM voice_presence_events e USING (
        SELECT id, (presence = 'assente') IS NOT DISTINCT FROM
                   (lag(presence) OVER (PARTITION BY username ORDER BY at, id) = 'assente') AS same
          FROM voice_presence_events) x
       WHERE x.id = e.id AND x.same;
    `);
    await q.query(`
      CREATE INDEX voice_presence_events_user_at_idx
        ON voice_presence_events (username, at DESC, id DESC) INCLUDE (presence);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX voice_presence_events_user_at_idx');
    await q.query(`
      CREATE OR REPLACE FUNCTION voice_presence_log() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' OR OLD.presence IS DISTINCT FROM NEW.presence THEN
          INSERT INTO voice_presence_events (username, presence, at) VALUES (NEW.username, NEW.presence, NEW.presence_since);
        END IF;
        RETURN NEW;
      END $$;
    `);
    // The stored definitions stay: they are immutable, and reports refer to them.
  }
}
