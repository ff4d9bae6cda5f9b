import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The element instance of each job outcome (what an incident retry terminates and
 * re-activates), and `retried`: a person asked for a new attempt after an incident.
 */
export class JobOutcomeElementInstance1763900000006 implements MigrationInterface {
  name = 'JobOutcomeElementInstance1763900000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE job_outcomes ADD COLUMN element_instance_key text;
      ALTER TABLE job_outcomes DROP CONSTRAINT job_outcomes_outcome_check;
      ALTER TABLE job_outcomes ADD CONSTRAINT job_outcomes_outcome_check
        CHECK (outcome IN ('completed', 'bpmn_error', 'retry', 'incident', 'retried'));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM job_outcomes WHERE outcome = 'retried';
      ALTER TABLE job_outcomes DROP CONSTRAINT job_outcomes_outcome_check;
      ALTER TABLE job_outcomes ADD CONSTRAINT job_outcomes_outcome_check
        CHECK (outcome IN ('completed', 'bpmn_error', 'retry', 'incident'));
      ALTER TABLE job_outcomes DROP COLUMN element_instance_key;
    `);
  }
}
