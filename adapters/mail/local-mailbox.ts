import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { InboxMessage, Mailbox, MessageRef } from './mailbox.js';

/** The local mailboxes never change their UID space: one UIDVALIDITY for all. */
const LOCAL_UID_VALIDITY = '1';

/**
 * A mailbox kept in PostgreSQL (`local_mailbox_messages`), filled by the local SMTP listener
 * (stand-ins/mail/smtp-listener.ts) on the embedded default: the intake reads it through the
 * same `Mailbox` boundary as a real IMAP inbox, so `npm start` does the whole job.
 */
export class LocalMailbox implements Mailbox {
  constructor(
    private readonly db: DataSource,
    readonly name: string,
    private readonly pollMs = 1000,
    /** Every this often the whole inbox is offered again, as a reconnecting IMAP watcher does. */
    private readonly fullPassMs = 30_000,
  ) {}

  async watch(onMessage: (message: InboxMessage) => Promise<void>, signal: AbortSignal): Promise<void> {
    let last = 0;
    let lastFullPass = Date.now();
    while (!signal.aborted) {
      if (Date.now() - lastFullPass > this.fullPassMs) {
        last = 0;
        lastFullPass = Date.now();
      }
      const rows = await this.db
        .query<{ uid: string; size: number }[]>(
          `SELECT uid, octet_length(raw) AS size FROM local_mailbox_messages
            WHERE mailbox = $1 AND folder = 'INBOX' AND uid > $2 ORDER BY uid LIMIT 500`,
          [this.name, last],
        )
        .catch(() => []);
      for (const row of rows) {
        if (signal.aborted) break;
        const uid = Number(row.uid);
        last = Math.max(last, uid);
        await onMessage({
          uid,
          uidValidity: LOCAL_UID_VALIDITY,
          size: Number(row.size),
          open: async () => Readable.from([await this.raw(uid)]),
        }).catch(() => undefined);
      }
      if (rows.length < 500) await sleep(this.pollMs, signal);
    }
  }

  async archive(ref: MessageRef, folder: string): Promise<'moved' | 'gone'> {
    if (ref.uidValidity !== LOCAL_UID_VALIDITY) return 'gone';
    const moved: unknown[] = await this.db.query(
      `UPDATE local_mailbox_messages SET folder = $3 WHERE mailbox = $1 AND uid = $2 AND folder = 'INBOX' RETURNING uid`,
      [this.name, ref.uid, folder],
    );
    return moved.length > 0 ? 'moved' : 'gone';
  }

  private async raw(uid: number): Promise<Buffer> {
    const rows: { raw: Buffer }[] = await this.db.query(
      `SELECT raw FROM local_mailbox_messages WHERE mailbox = $1 AND uid = $2`,
      [this.name, uid],
    );
    if (!rows[0]) throw new Error(`messaggio ${uid} non più presente nella casella locale ${this.name}`);
    return rows[0].raw;
  }
}

/** Puts a message into a local mailbox's inbox (what the SMTP listener does for each recipient). */
export async function deliverLocally(db: DataSource, mailbox: string, raw: Buffer): Promise<number> {
  const rows: { uid: string }[] = await db.query(
    `INSERT INTO local_mailbox_messages (mailbox, raw) VALUES ($1, $2) RETURNING uid`,
    [mailbox, raw],
  );
  return Number(rows[0]?.uid);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
