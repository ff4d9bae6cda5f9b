import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ChunkedFiles } from '../../platform/content/chunked-files.js';
import type { ContentStore, StoredContent } from '../../platform/content/content.js';

/**
 * The help desk's stored contents (raw messages, attachments, documents of a call), known by
 * their SHA-256 (table `mail_blobs`): the same bytes are kept once whoever sent them. Written
 * and read as streams, in pieces (`ChunkedFiles`), so a large attachment is never held whole.
 */
export class MailBlobs implements ContentStore {
  private readonly files: ChunkedFiles;

  constructor(
    private readonly db: DataSource,
    chunkBytes?: number,
  ) {
    this.files = new ChunkedFiles(db, chunkBytes);
  }

  async put(source: Readable | Buffer, options?: { limit?: number }): Promise<StoredContent> {
    const written = await this.files.write(source, options?.limit);
    // The same content stored before (or at this moment by another watcher): keep that one.
    const rows: { file_id: string | null }[] = await this.db.query(
      `INSERT INTO mail_blobs (sha256, size, file_id) VALUES ($1, $2, $3)
       ON CONFLICT (sha256) DO UPDATE SET created_at = now() RETURNING file_id`,
      [written.sha256, written.size, written.fileId],
    );
    if (rows[0]?.file_id !== written.fileId) await this.files.remove(written.fileId);
    return this.content(written.sha256, written.size, rows[0]?.file_id ?? null);
  }

  async get(sha256: string): Promise<StoredContent | undefined> {
    const rows: { size: number; file_id: string | null }[] = await this.db.query(
      `SELECT size, file_id FROM mail_blobs WHERE sha256 = $1`,
      [sha256],
    );
    const r = rows[0];
    return r ? this.content(sha256, Number(r.size), r.file_id) : undefined;
  }

  private content(sha256: string, size: number, fileId: string | null): StoredContent {
    return {
      sha256,
      size,
      open: () => {
        if (fileId) return this.files.read(fileId, size);
        // Stored whole before contents were kept in pieces.
        const db = this.db;
        return Readable.from(
          (async function* () {
            const rows: { content: Buffer | null }[] = await db.query(
              `SELECT content FROM mail_blobs WHERE sha256 = $1`,
              [sha256],
            );
            if (!rows[0]?.content) throw new Error(`contenuto ${sha256} non più disponibile`);
            yield rows[0].content;
          })(),
        );
      },
    };
  }
}
