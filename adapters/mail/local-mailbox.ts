import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ChunkedFiles, type WrittenFile } from '../../platform/content/chunked-files.js';
import { returning } from '../../platform/database/query.js';
import type { InboxMessage, Mailbox, MessageRef } from './mailbox.js';
import { pause } from '../../platform/pause.js';

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
          `SELECT uid, coalesce(size, octet_length(raw)) AS size FROM local_mailbox_messages
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
          open: () => this.raw(uid),
        }).catch(() => undefined);
      }
      if (rows.length < 500) await pause(this.pollMs, signal);
    }
  }

  async archive(ref: MessageRef, folder: string): Promise<'moved' | 'gone'> {
    if (ref.uidValidity !== LOCAL_UID_VALIDITY) return 'gone';
    const moved = await returning(
      this.db,
      `UPDATE local_mailbox_messages SET folder = $3 WHERE mailbox = $1 AND uid = $2 AND folder = 'INBOX' RETURNING uid`,
      [this.name, ref.uid, folder],
    );
    return moved.length > 0 ? 'moved' : 'gone';
  }

  async purge(folder: string, before: Date): Promise<number> {
    const gone = await returning(
      this.db,
      `DELETE FROM local_mailbox_messages WHERE mailbox = $1 AND folder = $2 AND received_at < $3 RETURNING uid`,
      [this.name, folder, before],
    );
    return gone.length;
  }

  /** The message as stored, streamed piece by piece. */
  private async raw(uid: number): Promise<Readable> {
    const rows: { raw: Buffer | null; file_id: string | null; size: string | null }[] = await this.db.query(
      `SELECT CASE WHEN file_id IS NULL THEN raw END AS raw, file_id, size
         FROM local_mailbox_messages WHERE mailbox = $1 AND uid = $2`,
      [this.name, uid],
    );
    const row = rows[0];
    if (!row) throw new Error(`messaggio ${uid} non più presente nella casella locale ${this.name}`);
    return row.file_id
      ? new ChunkedFiles(this.db).read(row.file_id, Number(row.size))
      : Readable.from([row.raw ?? Buffer.alloc(0)]);
  }
}

/**
 * Puts a message into local mailboxes' inboxes (what the SMTP listener does for its
 * recipients), streamed into pieces: one copy per mailbox, as each would have its own.
 * Answers the first mailbox's UID.
 */
export async function deliverLocally(
  db: DataSource,
  mailbox: string | readonly string[],
  raw: Buffer | Readable | WrittenFile,
): Promise<number> {
  const files = new ChunkedFiles(db);
  const written = Buffer.isBuffer(raw) || raw instanceof Readable ? await files.write(raw) : raw;
  const boxes = typeof mailbox === 'string' ? [mailbox] : mailbox;
  let first: number | undefined;
  for (const [i, box] of boxes.entries()) {
    const fileId = i === 0 ? written.fileId : await files.copy(written.fileId);
    const rows: { uid: string }[] = await db.query(
      `INSERT INTO local_mailbox_messages (mailbox, file_id, size) VALUES ($1, $2, $3) RETURNING uid`,
      [box, fileId, written.size],
    );
    first ??= Number(rows[0]?.uid);
  }
  return first ?? 0;
}
