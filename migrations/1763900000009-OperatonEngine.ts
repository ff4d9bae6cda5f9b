import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The move to Operaton: user tasks, instance state and variables, and incidents now come
 * from the engine itself (its task service and history), so the platform's copies go.
 * `process_instances` keeps who started an instance from the platform and with which
 * business key; `job_outcomes` keeps every worker outcome (the KPI work reads it).
 * Engine ids are UUIDs, not Zeebe's numeric keys; the text columns take both.
 * `job_outcomes` rows of the Zeebe era stay (keys of instances that no longer exist).
 */
export class OperatonEngine1763900000009 implements MigrationInterface {
  name = 'OperatonEngine1763900000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE user_tasks;
      DROP INDEX process_instances_process_idx;
      ALTER TABLE process_instances DROP COLUMN state, DROP COLUMN ended_at, DROP COLUMN variables;
      CREATE INDEX process_instances_process_idx ON process_instances (bpmn_process_id, started_at DESC);
      -- Zeebe models cannot run on Operaton, nor be rolled back to: the version history starts
      -- again with the engine's own versions, and every file of processes/ is deployed anew.
      -- (Who deployed what and when stays in audit_events.)
      DELETE FROM resource_deployments;
      DELETE FROM repository_files;
    `);
  }

  down(): Promise<void> {
    return Promise.reject(new Error('the move to Operaton cannot be undone by a migration: restore a backup instead'));
  }
}
