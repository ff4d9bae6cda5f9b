import type { Transform } from 'node:stream';
import { Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
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
  original: Buffer | undefined;
}

/** Not a PEC envelope, or one the rules do not describe: quarantined with this reason. */
export class PecEnvelopeError extends Error {
  override name = 'PecEnvelopeError';
}

interface Part {
  contentType: string;
  filename: string | undefined;
  encoding: string;
  body: Buffer[];
}

const MAX_PARTS = 200;

/** Every MIME part with its raw (still transfer-encoded) body; embedded messages are not opened. */
function splitParts(raw: Buffer): Promise<{ parts: Part[]; transport: string | undefined }> {
  return new Promise((resolve, reject) => {
    // ignoreEmbedded: a message/rfc822 part stays one part, its bytes untouched (mailparser
    // would fold an inline one into the envelope's body).
    const splitter = new Splitter({ ignoreEmbedded: true });
    const parts: Part[] = [];
    let transport: string | undefined;
    let current: Part | undefined;
    const stream = splitter as unknown as Transform;
    splitter.on('data', (d: SplitterChunk) => {
      if (d.type === 'node') {
        if (d.root && d.headers) {
          transport = d.headers.getFirst('x-trasporto') || d.headers.getFirst('x-ricevuta') || undefined;
        }
        current = {
          contentType: (d.contentType || 'text/plain').toLowerCase(),
          filename: d.filename || undefined,
          encoding: (d.encoding || '').toLowerCase(),
          body: [],
        };
        parts.push(current);
        if (parts.length > MAX_PARTS) stream.destroy(new PecEnvelopeError('busta PEC con troppe parti'));
      } else if (d.type === 'body' && current) {
        current.body.push(d.value);
      }
    });
    stream.on('error', (err: Error) =>
      reject(err instanceof PecEnvelopeError ? err : new PecEnvelopeError(`busta PEC illeggibile: ${err.message}`)),
    );
    stream.on('end', () => resolve({ parts, transport: transport?.trim().toLowerCase() }));
    splitter.end(raw);
  });
}

/** A part's content, its transfer encoding undone. */
function decoded(p: Part): Buffer {
  const body = Buffer.concat(p.body);
  if (p.encoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (p.encoding === 'quoted-printable') {
    return Buffer.from(
      body
        .toString('latin1')
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  }
  return body;
}

/**
 * Opens a PEC envelope: its `daticert.xml` read and checked, and the original message taken
 * raw from its `postacert.eml` part. A certified message without its original, or anything
 * without `daticert.xml`, is refused (`PecEnvelopeError`, in Italian). No I/O.
 */
export async function openPecEnvelope(raw: Buffer): Promise<PecEnvelope> {
  const { parts, transport } = await splitParts(raw);
  const cert = parts.find((p) => p.filename?.toLowerCase() === 'daticert.xml');
  if (!cert) throw new PecEnvelopeError('non è una busta PEC: manca daticert.xml');
  let daticert: Daticert;
  try {
    daticert = readDaticert(decoded(cert));
  } catch (err) {
    throw new PecEnvelopeError((err as Error).message);
  }
  const eml =
    parts.find((p) => p.contentType === 'message/rfc822' && p.filename?.toLowerCase() === 'postacert.eml') ??
    parts.find((p) => p.contentType === 'message/rfc822');
  const original = eml ? decoded(eml) : undefined;
  if (daticert.tipo === 'posta-certificata' && !original?.length) {
    throw new PecEnvelopeError('busta PEC senza il messaggio originale (postacert.eml)');
  }
  return { daticert, transport, original };
}
