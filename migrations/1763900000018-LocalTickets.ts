import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The help desk's tickets on the embedded default (LocalTickets), with Request Tracker's
 * semantics: tickets live in known queues, every change is a transaction with its old and new
 * value, files hang off the transaction that brought them. A request key opens at most one
 * ticket (a unique column, so concurrent creates settle in the database) and adds at most one
 * message to a ticket (a unique index on the transaction's key).
 *
 * The queues are written out here rather than read from adapters/tickets/queues.ts: a
 * migration must do the same thing forever, and a later change to the list is a new migration.
 */
export class LocalTickets1763900000018 implements MigrationInterface {
  name = 'LocalTickets1763900000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ticket_queues (
        name text PRIMARY KEY,
        level text NOT NULL CHECK (level IN ('first', 'third')),
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE tickets (
        id bigserial PRIMARY KEY,
        queue text NOT NULL REFERENCES ticket_queues (name),
        subject text NOT NULL,
        status text NOT NULL CHECK (status IN ('new', 'open', 'stalled', 'resolved', 'rejected', 'deleted')),
        requestors text[] NOT NULL DEFAULT '{}',
        custom_fields jsonb NOT NULL DEFAULT '{}',
        request_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_updated timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT tickets_request_key_key UNIQUE (request_key)
      );
      CREATE INDEX tickets_queue_status_idx ON tickets (queue, status);
      CREATE INDEX tickets_last_updated_idx ON tickets (last_updated);

      CREATE TABLE ticket_transactions (
        id bigserial PRIMARY KEY,
        ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        type text NOT NULL,
        field text,
        old_value text,
        new_value text,
        content text,
        request_key text,
        creator text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ticket_transactions_ticket_idx ON ticket_transactions (ticket_id, id);
      CREATE UNIQUE INDEX ticket_transactions_request_key_idx
        ON ticket_transactions (ticket_id, request_key) WHERE request_key IS NOT NULL;

      CREATE TABLE ticket_attachments (
        id bigserial PRIMARY KEY,
        ticket_id bigint NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        transaction_id bigint NOT NULL REFERENCES ticket_transactions (id) ON DELETE CASCADE,
        filename text NOT NULL,
        content_type text NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX ticket_attachments_ticket_idx ON ticket_attachments (ticket_id, id);

      INSERT INTO ticket_queues (name, level) VALUES
        ('Generale', 'first'),
        ('Tributi CSB', 'first'),
        ('Formazione', 'first'),
        ('PEC', 'first'),
        ('Servizi on line', 'first'),
        ('Firma digitale', 'first'),
        ('Dipartimento Tributi', 'third'),
        ('Dipartimento Sanità', 'third'),
        ('Dipartimento Sistemi informativi', 'third');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE ticket_attachments;
      DROP TABLE ticket_transactions;
      DROP TABLE tickets;
      DROP TABLE ticket_queues;
    `);
  }
}
