import { once } from 'node:events';
import { PassThrough, type Transform } from 'node:stream';
import { Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { Decoder as Base64Decoder } from 'libbase64';
import { Decoder as QpDecoder } from 'libqp';
import {
  ContentIoError,
  markingFailures,
  memoryStore,
  openMarked,
  readAll,
  type Content,
  type ContentStore,
  type StoredContent,
} from '../../platform/content/content.js';
import { readDaticert, type Daticert } from './daticert.js';

/**
 * A PEC message as the provider delivers it: an envelope (signed by the provider) holding
 * the certification data (`daticert.xml`) and, for a certified message, the citizen's own
 * message (`postacert.eml`) byte for byte.
 */
export interface PecEnvelope {
  daticert: Daticert;
  /** The envelope's `X-Trasporto` (`posta-certificata`, `errore`) or `X-Ricevuta` header. */
  transport: string | undefined;
  /** The original message, raw, when the envelope carries it (a certified message, a full receipt). */
  original: StoredContent | undefined;
}

/** Not a PEC envelope, or one the rules do not describe: quarantined with this reason. */
export class PecEnvelopeError extends Error {
  override name = 'PecEnvelopeError';
  constructor(
    message: string,
    /** A provider's anomaly envelope (`X-Trasporto: errore`): an uncertified message it wrapped. */
    readonly anomaly = false,
  ) {
    super(message);
  }
}

const MAX_PARTS = 200;
/** daticert.xml is a few kilobytes: anything much larger is not one. */
const MAX_DATICERT_BYTES = 1 << 20;

/** A part's content with its transfer encoding undone, as a stream. */
function decoder(encoding: string): Transform {
  if (encoding === 'base64') return new Base64Decoder();
  if (encoding === 'quoted-printable') return new QpDecoder();
  return new PassThrough();
}

/** The original message being written to the store while the envelope streams past. */
interface OriginalPart {
  named: boolean;
  sink: Transform;
  stored: Promise<StoredContent>;
}

/**
 * Opens a PEC envelope as it streams: its `daticert.xml` read and checked, and the original
 * message taken raw from its `postacert.eml` part (embedded messages are not opened:
 * mailparser would fold an inline one into the envelope's body) and written to `store`, never
 * held whole. A certified message without its original, or anything without `daticert.xml`,
 * is refused (`PecEnvelopeError`, in Italian).
 */
export async function openPecEnvelope(raw: Content, store: ContentStore = memoryStore()): Promise<PecEnvelope> {
  const splitter = new Splitter({ ignoreEmbedded: true });
  const input = openMarked(raw);
  store = markingFailures(store);
  input.on('error', (err: Error) => (splitter as unknown as Transform).destroy(err));
  input.pipe(splitter as unknown as Transform);

  let transport: string | undefined;
  let parts = 0;
  let cert: { encoding: string; body: Buffer[]; size: number } | undefined;
  let writing: OriginalPart | undefined;
  let original: { named: boolean; content: StoredContent } | undefined;
  let into: 'cert' | 'original' | undefined;

  const endPart = async () => {
    if (into === 'original' && writing) {
      writing.sink.end();
      const content = await writing.stored;
      // A part named postacert.eml wins over an unnamed message/rfc822 met before it.
      if (!original || (writing.named && !original.named)) original = { named: writing.named, content };
      writing = undefined;
    }
    into = undefined;
  };

  try {
    for await (const d of splitter as unknown as AsyncIterable<SplitterChunk>) {
      if (d.type === 'node') {
        await endPart();
        if (++parts > MAX_PARTS) throw new PecEnvelopeError('busta PEC con troppe parti');
        if (d.root && d.headers) {
          const header = d.headers.getFirst('x-trasporto') || d.headers.getFirst('x-ricevuta');
          transport = header ? header.trim().toLowerCase() : undefined;
        }
        const contentType = (d.contentType || 'text/plain').toLowerCase();
        const filename = d.filename ? d.filename.toLowerCase() : undefined;
        const encoding = (d.encoding || '').toLowerCase();
        if (filename === 'daticert.xml' && !cert) {
          cert = { encoding, body: [], size: 0 };
          into = 'cert';
        } else if (
          contentType === 'message/rfc822' &&
          (!original || (!original.named && filename === 'postacert.eml'))
        ) {
          const sink = decoder(encoding);
          const stored = store.put(sink);
          // Seen (and so not unhandled) even if it fails while the envelope goes on.
          stored.catch(() => undefined);
          writing = { named: filename === 'postacert.eml', sink, stored };
          into = 'original';
        }
      } else if (d.type === 'body') {
        if (into === 'cert' && cert) {
          cert.size += d.value.length;
          if (cert.size > MAX_DATICERT_BYTES) throw new PecEnvelopeError('daticert.xml troppo grande');
          cert.body.push(d.value);
        } else if (into === 'original' && writing && !writing.sink.write(d.value)) {
          // Written as fast as the store takes it; a store that fails ends the wait.
          await Promise.race([once(writing.sink, 'drain'), writing.stored]);
        }
      }
    }
    await endPart();
  } catch (err) {
    writing?.sink.destroy();
    input.destroy();
    if (err instanceof PecEnvelopeError || err instanceof ContentIoError) throw err;
    throw new PecEnvelopeError(`busta PEC illeggibile: ${(err as Error).message}`);
  }
  if (!cert) {
    // The provider wraps a message that is not certified (sent from an ordinary mailbox, or
    // failing its checks) in an anomaly envelope, which certifies nothing.
    if (transport === 'errore') {
      throw new PecEnvelopeError('busta di anomalia: il messaggio contenuto non è certificato', true);
    }
    throw new PecEnvelopeError('non è una busta PEC: manca daticert.xml');
  }
  let daticert: Daticert;
  try {
    daticert = readDaticert(await decode(cert.encoding, Buffer.concat(cert.body)));
  } catch (err) {
    throw new PecEnvelopeError((err as Error).message);
  }
  if (daticert.tipo === 'posta-certificata' && !original?.content.size) {
    throw new PecEnvelopeError('busta PEC senza il messaggio originale (postacert.eml)');
  }
  return { daticert, transport, original: original?.content };
}

async function decode(encoding: string, body: Buffer): Promise<Buffer> {
  const d = decoder(encoding);
  d.end(body);
  return readAll(d);
}
