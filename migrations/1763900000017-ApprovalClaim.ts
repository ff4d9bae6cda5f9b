import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An approval claims its request before it deploys (`approving`, with the approver in
 * `decided_by` and the claim's time in `decided_at`) and records `approved` afterwards, so the
 * engine is called outside any transaction and no row lock is held across it. A deploy that
 * fails puts the request back to `pending`; a claim whose outcome was never recorded (the
 * approver's process died) may be taken again after a while (ModelDeploys.approve).
 */
export class ApprovalClaim1763900000017 implements MigrationInterface {
  name = 'ApprovalClaim1763900000017';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE model_approvals
        DROP CONSTRAINT model_approvals_status_check,
        ADD CONSTRAINT model_approvals_status_check CHECK (status IN ('pending', 'approving', 'approved', 'refused'));
      DROP INDEX model_approvals_pending_idx;
      CREATE INDEX model_approvals_pending_idx ON model_approvals (created_at) WHERE status IN ('pending', 'approving');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE model_approvals SET status = 'pending', decided_by = NULL, decided_at = NULL WHERE status = 'approving';
      ALTER TABLE model_approvals
        DROP CONSTRAINT model_approvals_status_check,
        ADD CONSTRAINT model_approvals_status_check CHECK (status IN ('pending', 'approved', 'refused'));
      DROP INDEX model_approvals_pending_idx;
      CREATE INDEX model_approvals_pending_idx ON model_approvals (created_at) WHERE status = 'pending';
    `);
  }
}
