import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A model deployed from the modeler whose workers need permissions its deployer lacks
 * (a timer that cancels appointments, a retention run with other periods) waits here for
 * the approval of another person who holds them (four eyes). `needs` says which tasks need
 * which permission, as computed when it was requested. Once approved and deployed, the
 * version's row in `resource_deployments` records its approver too.
 */
export class ModelApprovals1763900000013 implements MigrationInterface {
  name = 'ModelApprovals1763900000013';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE model_approvals (
        id bigserial PRIMARY KEY,
        resource_name text NOT NULL,
        content text NOT NULL,
        comment text NOT NULL,
        -- The requester confirmed deploying despite the platform's lint errors.
        override boolean NOT NULL DEFAULT false,
        -- A rollback to this earlier version, rather than a new model.
        rollback_of bigint REFERENCES resource_deployments (id),
        requested_by text NOT NULL,
        needs jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
        decided_by text,
        decided_at timestamptz,
        decision_note text,
        deployment_id bigint REFERENCES resource_deployments (id),
        version integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((status = 'pending') = (decided_by IS NULL)),
        CHECK (decided_by IS NULL OR decided_by <> requested_by OR status = 'refused')
      );
      CREATE INDEX model_approvals_pending_idx ON model_approvals (created_at) WHERE status = 'pending';
      ALTER TABLE resource_deployments ADD COLUMN approved_by text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE resource_deployments DROP COLUMN approved_by;
      DROP TABLE model_approvals;
    `);
  }
}
