import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Queryable } from '../database/query.js';
import { chunksOf, ContentMissingError } from './content.js';

/** Size of one stored piece: a piece and its encoding are all a write or a read holds. */
export const CHUNK_BYTES = 1 << 20;

export interface WrittenFile {
  fileId: string;
  size: number;
  sha256: string;
}

/**
 * Large contents in PostgreSQL, in pieces of `chunkBytes` (table `file_chunks`): a write
 * streams its source into numbered pieces, hashing as it goes; a read streams them back one
 * query at a time. Neither holds more than one piece, whatever the size. A file is named by
 * the row that refers to it (`mail_blobs.file_id`, `ticket_attachments.file_id`); deleting
 * that row deletes its pieces (trigger), and pieces nobody refers to are swept by retention.
 */
export class ChunkedFiles {
  constructor(
    private readonly db: Queryable,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  async write(source: Readable | Buffer, limit?: number): Promise<WrittenFile> {
    const fileId = randomUUID();
    const hash = createHash('sha256');
    let size = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async (piece: Buffer) => {
      await this.db.query(`INSERT INTO file_chunks (file_id, seq, content) VALUES ($1, $2, $3)`, [fileId, seq, piece]);
      seq += 1;
    };
    try {
      for await (const chunk of chunksOf(source, limit)) {
        hash.update(chunk);
        size += chunk.length;
        // Cut into pieces by offset: a large chunk is sliced, never copied again and again.
        for (let at = 0; at < chunk.length;) {
          const take = chunk.subarray(at, at + this.chunkBytes - pendingBytes);
          pending.push(take);
          pendingBytes += take.length;
          at += take.length;
          if (pendingBytes === this.chunkBytes) {
            await flush(pending.length === 1 ? take : Buffer.concat(pending, pendingBytes));
            pending = [];
            pendingBytes = 0;
          }
        }
      }
      if (pendingBytes > 0 || seq === 0) await flush(Buffer.concat(pending, pendingBytes));
    } catch (err) {
      await this.remove(fileId).catch(() => undefined);
      throw err;
    }
    return { fileId, size, sha256: hash.digest('hex') };
  }

  /** The file's bytes, piece by piece; fails if a piece is missing or the size differs from `size`. */
  read(fileId: string, size: number): Readable {
    const db = this.db;
    return Readable.from(
      (async function* () {
        let read = 0;
        for (let seq = 0; ; seq++) {
          const rows = (await db.query(`SELECT content FROM file_chunks WHERE file_id = $1 AND seq = $2`, [
            fileId,
            seq,
          ])) as { content: Buffer }[];
          const piece = rows[0]?.content;
          if (!piece) break;
          read += piece.length;
          if (piece.length > 0) yield piece;
        }
        if (read !== size) throw new ContentMissingError(`file ${fileId} incompleto: ${read} byte letti su ${size}`);
      })(),
      { objectMode: false },
    );
  }

  /** A second file with the same pieces, copied inside the database. */
  async copy(fileId: string): Promise<string> {
    const copyId = randomUUID();
    await this.db.query(
      `INSERT INTO file_chunks (file_id, seq, content) SELECT $2, seq, content FROM file_chunks WHERE file_id = $1`,
      [fileId, copyId],
    );
    return copyId;
  }

  async remove(fileId: string): Promise<void> {
    await this.db.query(`DELETE FROM file_chunks WHERE file_id = $1`, [fileId]);
  }
}
