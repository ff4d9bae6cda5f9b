import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import type { DataSource } from 'typeorm';
import { deliverLocally } from '../../adapters/mail/local-mailbox.js';
import { ChunkedFiles } from '../../platform/content/chunked-files.js';

export interface LocalSmtpListener {
  port: number;
  close(): Promise<void>;
}

/**
 * The embedded default's inbound mail: an SMTP server on loopback that accepts mail for
 * `<mailbox>@<domain>` (e.g. `helpdesk@helpdesk.local`) and puts it into that local mailbox,
 * which the intake reads like an IMAP inbox. A person tests the help desk with any mail
 * client or `swaks`/`curl` pointed at it. No authentication: it listens on loopback only.
 */
export async function startLocalSmtpListener(opts: {
  db: DataSource;
  host: string;
  port: number;
  domain: string;
  mailboxes: readonly string[];
  maxBytes: number;
}): Promise<LocalSmtpListener> {
  const known = new Set(opts.mailboxes);
  const mailboxOf = (address: string): string | undefined => {
    const [local, domain] = address.toLowerCase().split('@');
    return domain === opts.domain.toLowerCase() && local && known.has(local) ? local : undefined;
  };
  const server = new SMTPServer({
    name: opts.domain,
    banner: 'Contact center Regione Basilicata, casella locale di prova',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: opts.maxBytes,
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!mailboxOf(address.address)) {
        const err = new Error(
          `casella sconosciuta: si accettano ${[...known].map((m) => `${m}@${opts.domain}`).join(', ')}`,
        ) as Error & { responseCode: number };
        err.responseCode = 550;
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const files = new ChunkedFiles(opts.db);
      // Past the limit the rest is read and dropped: the message is refused at its end.
      let size = 0;
      const upToLimit = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(null, size <= opts.maxBytes ? chunk : undefined);
        },
      });
      const boxes = [...new Set(session.envelope.rcptTo.map((r) => mailboxOf(r.address)))].filter(
        (m): m is string => m !== undefined,
      );
      if (boxes.length === 0) {
        stream.resume();
        stream.once('end', () => callback(new Error('nessuna casella locale tra i destinatari')));
        return;
      }
      stream.once('error', (err: Error) => upToLimit.destroy(err));
      // Written into pieces as it arrives: a large message is never held whole.
      files
        .write(stream.pipe(upToLimit))
        .then(async (written) => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || size > opts.maxBytes) {
            await files.remove(written.fileId);
            const err = new Error('messaggio troppo grande') as Error & { responseCode: number };
            err.responseCode = 552;
            throw err;
          }
          await deliverLocally(opts.db, boxes, written);
        })
        .then(
          () => callback(null, 'Messaggio ricevuto'),
          (err: Error) => {
            // The rest of the message is read and dropped, so the session can answer.
            stream.unpipe(upToLimit);
            if (stream.readableEnded) callback(err);
            else {
              stream.once('end', () => callback(err));
              stream.resume();
            }
          },
        );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  server.on('error', () => undefined);
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
