import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stand-ins of two systems the help desk's back office uses and cannot reach from here
 * (capitolato §2.2.1): Aruba's PEC postmaster (LocalPecProvider) and the Regione's identity
 * registry, IMS (LocalIdentityRegistry). The real adapters never read these tables.
 *
 * PEC: the domains the postmaster manages, with their largest size; the mailboxes (an address
 * is never given twice, a deleted one included, and a request key creates at most one); the
 * changes made to them, once per request key; the one-time links with which a holder sets the
 * password, kept as the SHA-256 of their token only. No password is stored anywhere.
 *
 * IMS: the registration of the users of the Regione's online services (personal data,
 * contacts, the state of their PIN request), with a few fictitious people for the demo and the
 * tests, whose fiscal codes pass the checksum. They are written out here, like the queues of
 * migration 18: a migration does the same thing forever, and another set is a new migration.
 */
export class PecMailboxes1763900000020 implements MigrationInterface {
  name = 'PecMailboxes1763900000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE pec_domains (
        name text PRIMARY KEY CHECK (name = lower(name)),
        kind text NOT NULL CHECK (kind IN ('citizens', 'entity')),
        entity text,
        max_quota_mb integer NOT NULL CHECK (max_quota_mb > 0),
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE pec_mailboxes (
        address text PRIMARY KEY CHECK (address = lower(address)),
        domain text NOT NULL REFERENCES pec_domains (name),
        fiscal_code text NOT NULL,
        given_name text NOT NULL,
        family_name text NOT NULL,
        email text,
        phone text,
        quota_mb integer NOT NULL CHECK (quota_mb > 0),
        used_mb integer NOT NULL DEFAULT 0 CHECK (used_mb >= 0),
        status text NOT NULL CHECK (status IN ('active', 'deleted')),
        request_key text NOT NULL,
        activated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        CONSTRAINT pec_mailboxes_request_key_key UNIQUE (request_key)
      );
      CREATE INDEX pec_mailboxes_fiscal_code_idx ON pec_mailboxes (fiscal_code);

      CREATE TABLE pec_mailbox_changes (
        id bigserial PRIMARY KEY,
        address text NOT NULL REFERENCES pec_mailboxes (address),
        kind text NOT NULL CHECK (kind IN ('holder', 'quota', 'delete')),
        request_key text NOT NULL UNIQUE,
        old_value jsonb,
        new_value jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX pec_mailbox_changes_address_idx ON pec_mailbox_changes (address, id);

      CREATE TABLE pec_activations (
        id bigserial PRIMARY KEY,
        address text NOT NULL REFERENCES pec_mailboxes (address),
        kind text NOT NULL CHECK (kind IN ('activation', 'password-reset')),
        request_key text NOT NULL UNIQUE,
        token_sha256 text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        superseded_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX pec_activations_address_idx ON pec_activations (address) WHERE used_at IS NULL AND superseded_at IS NULL;

      INSERT INTO pec_domains (name, kind, entity, max_quota_mb) VALUES
        ('pec.basilicatanet.it', 'citizens', NULL, 2048),
        ('cert.regione.basilicata.it', 'entity', 'Regione Basilicata', 5120);

      CREATE TABLE identity_registry (
        fiscal_code text PRIMARY KEY CHECK (fiscal_code = upper(fiscal_code) AND length(fiscal_code) = 16),
        given_name text NOT NULL,
        family_name text NOT NULL,
        birth_date date,
        birth_place text,
        registration_state text NOT NULL CHECK (registration_state IN ('registered', 'pending', 'suspended')),
        registered_at timestamptz,
        email text,
        email_verified boolean NOT NULL DEFAULT false,
        mobile text,
        mobile_verified boolean NOT NULL DEFAULT false,
        pin_state text NOT NULL CHECK (pin_state IN ('not-requested', 'requested', 'issued', 'revoked')),
        pin_requested_at timestamptz,
        pin_issued_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      INSERT INTO identity_registry (fiscal_code, given_name, family_name, birth_date, birth_place,
          registration_state, registered_at, email, email_verified, mobile, mobile_verified,
          pin_state, pin_requested_at, pin_issued_at) VALUES
        ('RSSMRA80A01G942K', 'Mario', 'Rossi', '1980-01-01', 'Potenza (PZ)',
          'registered', '2019-03-12T09:30:00Z', 'mario.rossi@example.org', true, '+393331234567', true,
          'issued', '2019-03-12T09:35:00Z', '2019-03-20T11:00:00Z'),
        ('BNCGLI92L55F052T', 'Giulia', 'Bianchi', '1992-07-15', 'Matera (MT)',
          'registered', '2021-10-04T15:10:00Z', 'giulia.bianchi@example.org', true, NULL, false,
          'requested', '2026-11-20T10:00:00Z', NULL),
        ('LRSNTN75C20F104N', 'Antonio', 'Lorusso', '1975-03-20', 'Melfi (PZ)',
          'registered', '2017-06-01T08:00:00Z', NULL, false, '+393471234568', true,
          'not-requested', NULL, NULL),
        ('SNTCML68S43E483O', 'Carmela', 'Santoro', '1968-11-03', 'Lauria (PZ)',
          'pending', NULL, 'carmela.santoro@example.org', false, NULL, false,
          'not-requested', NULL, NULL),
        ('CLNFNC01E09G786L', 'Francesco', 'Colangelo', '2001-05-09', 'Policoro (MT)',
          'suspended', '2020-01-15T12:00:00Z', 'francesco.colangelo@example.org', true, '+393291234569', true,
          'revoked', '2020-01-15T12:05:00Z', '2020-01-22T09:00:00Z');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE identity_registry;
      DROP TABLE pec_activations;
      DROP TABLE pec_mailbox_changes;
      DROP TABLE pec_mailboxes;
      DROP TABLE pec_domains;
    `);
  }
}
