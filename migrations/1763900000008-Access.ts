import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in and roles (accounts, HTTP sessions, audit trail), platform settings (the session
 * secret of the embedded default), and the end of process instances for the instance view.
 */
export class Access1763900000008 implements MigrationInterface {
  name = 'Access1763900000008';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        username text PRIMARY KEY,
        display_name text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        active boolean NOT NULL DEFAULT true,
        source text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'oidc')),
        password_hash text,
        must_change_password boolean NOT NULL DEFAULT true,
        failed_logins integer NOT NULL DEFAULT 0,
        locked_until timestamptz,
        last_login_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      -- The table connect-pg-simple expects (its own table.sql), under our name.
      CREATE TABLE http_sessions (
        sid varchar NOT NULL PRIMARY KEY,
        sess json NOT NULL,
        expire timestamp(6) NOT NULL
      );
      CREATE INDEX http_sessions_expire_idx ON http_sessions (expire);

      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        action text NOT NULL,
        subject_type text,
        subject_id text,
        detail jsonb,
        ip text
      );
      CREATE INDEX audit_events_actor_idx ON audit_events (actor, id);
      CREATE INDEX audit_events_subject_idx ON audit_events (subject_id, id);

      CREATE TABLE platform_settings (
        name text PRIMARY KEY,
        value text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      ALTER TABLE process_instances
        ADD COLUMN state text NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('ACTIVE', 'COMPLETED', 'CANCELED')),
        ADD COLUMN ended_at timestamptz,
        ADD COLUMN variables jsonb NOT NULL DEFAULT '{}';
      CREATE INDEX process_instances_process_idx ON process_instances (bpmn_process_id, started_at DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX process_instances_process_idx;
      ALTER TABLE process_instances DROP COLUMN state, DROP COLUMN ended_at, DROP COLUMN variables;
      DROP TABLE platform_settings;
      DROP TABLE audit_events;
      DROP TABLE http_sessions;
      DROP TABLE users;
    `);
  }
}
