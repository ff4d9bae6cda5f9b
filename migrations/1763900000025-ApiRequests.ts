import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Requests sent with an `Idempotency-Key` (api/idempotency.ts): per person, route and key, the
 * request's fingerprint and, once it succeeded, its answer, which a repeat gets again. Kept a day.
 */
export class ApiRequests1763900000025 implements MigrationInterface {
  name = 'ApiRequests1763900000025';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_requests (
        actor text NOT NULL,
        route text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        -- The request holding the key: only it records the answer or gives the key back.
        claim uuid NOT NULL,
        -- NULL while the request runs.
        status integer,
        body jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (actor, route, key)
      );
      CREATE INDEX api_requests_created_idx ON api_requests (created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_requests`);
  }
}
