import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account a single sign-on made before identities were kept (migration 10) has no issuer
 * nor `sub`. Its name alone no longer binds it: whoever the provider calls by that name would
 * take it. An administrator, who knows the person, allows the binding of one such account;
 * the next sign-on with its name binds it, and the permission is spent.
 */
export class ExternalBindingAllowed1763900000016 implements MigrationInterface {
  name = 'ExternalBindingAllowed1763900000016';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN external_binding_allowed boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT users_external_binding_check CHECK (
          NOT external_binding_allowed OR (source = 'oidc' AND external_issuer IS NULL)
        )
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        DROP CONSTRAINT users_external_binding_check,
        DROP COLUMN external_binding_allowed
    `);
  }
}
