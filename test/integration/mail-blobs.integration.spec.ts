import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MailBlobs } from '../../domain/helpdesk/mail-blobs.js';
import { ContentTooLargeError, readContent } from '../../platform/content/content.js';
import { openDatabase } from '../../platform/database/data-source.js';
import { databaseMigratedTo } from './support/migrations.js';
import { ChunkedFiles1763900000024 } from '../../migrations/1763900000024-ChunkedFiles.js';
import { deliverLocally } from '../../adapters/mail/local-mailbox.js';

const PIECE = 256 * 1024;

/** A stream of `b` in pieces of `size`, as a mailbox or an upload gives it. */
const streamOf = (b: Buffer, size = 64 * 1024) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
    })(),
  );

describe('stored mail contents, in pieces', () => {
  let db: DataSource;
  let blobs: MailBlobs;

  beforeAll(async () => {
    db = await openDatabase(inject('databaseUrl'), 4);
    blobs = new MailBlobs(db, PIECE);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  const pieces = async (sha256: string) =>
    Number(
      (
        await db.query<{ n: string }[]>(
          `SELECT count(*) AS n FROM file_chunks c JOIN mail_blobs b ON b.file_id = c.file_id WHERE b.sha256 = $1`,
          [sha256],
        )
      )[0]?.n,
    );

  it('writes a stream into pieces of the configured size and reads back the same bytes', async () => {
    const content = randomBytes(10 * PIECE + 123);
    const stored = await blobs.put(streamOf(content));
    expect(stored.sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(stored.size).toBe(content.length);
    expect(await pieces(stored.sha256)).toBe(11);
    const again = await blobs.get(stored.sha256);
    expect(again && (await readContent(again)).equals(content)).toBe(true);
  });

  it('keeps the same bytes once, even when two writers store them at the same moment', async () => {
    const content = randomBytes(3 * PIECE);
    const [a, b] = await Promise.all([blobs.put(streamOf(content)), blobs.put(streamOf(content))]);
    expect(a.sha256).toBe(b.sha256);
    expect(await pieces(a.sha256)).toBe(3);
    const orphans = await db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM file_chunks c WHERE NOT EXISTS (SELECT 1 FROM mail_blobs b WHERE b.file_id = c.file_id)
          AND NOT EXISTS (SELECT 1 FROM ticket_attachments t WHERE t.file_id = c.file_id)
          AND NOT EXISTS (SELECT 1 FROM local_mailbox_messages l WHERE l.file_id = c.file_id)`,
    );
    expect(Number(orphans[0]?.n)).toBe(0);
    expect((await readContent(b)).equals(content)).toBe(true);
  });

  it('refuses a content over its limit and leaves no piece of it behind', async () => {
    const before = await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM file_chunks`);
    await expect(blobs.put(streamOf(randomBytes(3 * PIECE)), { limit: 2 * PIECE })).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
    const after = await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM file_chunks`);
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it('deletes the pieces with the content, and does not pass off a damaged content as whole', async () => {
    const content = randomBytes(2 * PIECE + 1);
    const stored = await blobs.put(content);
    const [{ file_id: fileId } = { file_id: '' }] = await db.query<{ file_id: string }[]>(
      `SELECT file_id FROM mail_blobs WHERE sha256 = $1`,
      [stored.sha256],
    );
    await db.query(`DELETE FROM file_chunks WHERE file_id = $1 AND seq = 2`, [fileId]);
    await expect(readContent(stored)).rejects.toThrow(/incompleto/);
    await db.query(`DELETE FROM mail_blobs WHERE sha256 = $1`, [stored.sha256]);
    const left = await db.query<unknown[]>(`SELECT 1 FROM file_chunks WHERE file_id = $1`, [fileId]);
    expect(left).toHaveLength(0);
  });
});

/** The migration on a database of its own: `down` puts every content back whole. */
describe('migration 1763900000024 (contents in pieces)', () => {
  it('reassembles the pieces into the single columns when undone', async () => {
    const ds = await databaseMigratedTo('chunked_migration', ChunkedFiles1763900000024, { including: true });
    try {
      const content = randomBytes(3 * PIECE + 7);
      const stored = await new MailBlobs(ds, PIECE).put(streamOf(content));
      const raw = randomBytes(2 * PIECE + 1);
      const uid = await deliverLocally(ds, 'helpdesk', raw);
      await ds.undoLastMigration({ transaction: 'each' });
      const [blob] = await ds.query<{ content: Buffer }[]>(`SELECT content FROM mail_blobs WHERE sha256 = $1`, [
        stored.sha256,
      ]);
      expect(blob?.content.equals(content)).toBe(true);
      const [message] = await ds.query<{ raw: Buffer }[]>(
        `SELECT raw FROM local_mailbox_messages WHERE mailbox = 'helpdesk' AND uid = $1`,
        [uid],
      );
      expect(message?.raw.equals(raw)).toBe(true);
      expect(await ds.query(`SELECT to_regclass('file_chunks') AS t`)).toEqual([{ t: null }]);
    } finally {
      await ds.destroy();
    }
  });
});
