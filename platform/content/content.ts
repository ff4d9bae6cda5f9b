import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';

/**
 * Bytes that may be too large to hold whole: a mail's raw message, an attachment, a document.
 * They are read as a stream, as often as needed, and their size is known before reading.
 */
export interface ContentSource {
  readonly size: number;
  open(): Readable;
}

/** Small contents may stay a Buffer; large ones are a source read in pieces. */
export type Content = Buffer | ContentSource;

/** A content kept by a store, known by its SHA-256. */
export interface StoredContent extends ContentSource {
  readonly sha256: string;
}

/** Where contents are written as they stream in, never held whole. */
export interface ContentStore {
  put(source: Readable | Buffer, options?: { limit?: number }): Promise<StoredContent>;
}

/**
 * Reading or storing a content failed (the database, the mailbox): the content itself may be
 * fine. A parser that meets it must pass it on, to be retried, not judge the content by it.
 */
export class ContentIoError extends Error {
  override name = 'ContentIoError';
  constructor(readonly failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
  }
}

/** The same store, its failures marked as `ContentIoError`. */
export function markingFailures(store: ContentStore): ContentStore {
  return {
    put: (source, options) =>
      store.put(source, options).catch((err: unknown) => {
        throw err instanceof ContentIoError || err instanceof ContentTooLargeError ? err : new ContentIoError(err);
      }),
  };
}

/** The content's stream, its read failures marked as `ContentIoError`. */
export function openMarked(c: Content): Readable {
  const s = openContent(c);
  const marked = new PassThrough();
  s.on('error', (err) => marked.destroy(err instanceof ContentIoError ? err : new ContentIoError(err)));
  marked.on('close', () => s.destroy());
  return s.pipe(marked);
}

/** A stored content is not all there (a piece deleted, a size that does not match): not worth retrying. */
export class ContentMissingError extends Error {
  override name = 'ContentMissingError';
}

/** A content larger than the limit its writer set. */
export class ContentTooLargeError extends Error {
  override name = 'ContentTooLargeError';
}

export function contentSize(c: Content): number {
  return Buffer.isBuffer(c) ? c.length : c.size;
}

export function openContent(c: Content): Readable {
  return Buffer.isBuffer(c) ? Readable.from([c]) : c.open();
}

/** The whole content in memory: only where it is known to be small, or a person asked to see it. */
export async function readContent(c: Content): Promise<Buffer> {
  return Buffer.isBuffer(c) ? c : readAll(c.open());
}

/** A stream (or a Buffer) read to its end into one Buffer, failing past `limit` bytes. */
export async function readAll(source: Readable | Buffer, limit?: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunksOf(source, limit)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Chunks of a stream as Buffers, failing once more than `limit` bytes have come. */
export async function* chunksOf(source: Readable | Buffer, limit = Infinity): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(source)) {
    if (source.length > limit) throw new ContentTooLargeError(`contenuto oltre ${limit} byte`);
    yield source;
    return;
  }
  let size = 0;
  try {
    for await (const chunk of source) {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += b.length;
      if (size > limit) throw new ContentTooLargeError(`contenuto oltre ${limit} byte`);
      yield b;
    }
  } finally {
    if (!source.readableEnded) source.destroy();
  }
}

/**
 * A store that keeps contents in memory: for what is small by construction (tests, a parsed
 * message's pieces nobody will read again).
 */
export function memoryStore(): ContentStore & { contents: Map<string, Buffer> } {
  const contents = new Map<string, Buffer>();
  return {
    contents,
    async put(source, options) {
      const content = await readAll(source, options?.limit);
      const sha256 = createHash('sha256').update(content).digest('hex');
      contents.set(sha256, content);
      return { sha256, size: content.length, open: () => Readable.from([content]) };
    },
  };
}
