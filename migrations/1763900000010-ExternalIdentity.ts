import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account made by a single sign-on is bound to the identity provider's issuer and `sub`
 * (the person's stable id there), no longer to the name the provider suggests
 * (`preferred_username`), which a local account such as `admin` can hold.
 * Local accounts never carry a provider identity. Accounts made by a sign-on before this
 * migration have none yet: the first sign-on with their name binds them (as the name did
 * until now), and from then on only that identity reaches them.
 */
export class ExternalIdentity1763900000010 implements MigrationInterface {
  name = 'ExternalIdentity1763900000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN external_issuer text,
        ADD COLUMN external_subject text,
        ADD CONSTRAINT users_external_identity_check CHECK (
          (external_issuer IS NULL) = (external_subject IS NULL)
          AND (source = 'oidc' OR external_issuer IS NULL)
        );
      CREATE UNIQUE INDEX users_external_identity_idx ON users (external_issuer, external_subject);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX users_external_identity_idx;
      ALTER TABLE users
        DROP CONSTRAINT users_external_identity_check,
        DROP COLUMN external_issuer,
        DROP COLUMN external_subject;
    `);
  }
}
