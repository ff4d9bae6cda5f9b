import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailSendError, SmtpMailTransport, type OutgoingMail } from '../../adapters/mail/mail-transport.js';
import { freePorts } from '../support/ports.js';

const mail: OutgoingMail = {
  from: 'helpdesk@helpdesk.local',
  to: 'mario.rossi@example.test',
  subject: 'Prova',
  text: 'Testo',
  messageId: '<prova@helpdesk.local>',
};

/** What the transport says when the SMTP server behaves each way (a real smtp-server on loopback). */
describe('handing a mail to SMTP', () => {
  let server: SMTPServer;
  let port: number;
  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onRcptTo(address, _s, cb) {
        if (address.address.startsWith('rifiuta')) {
          const err = new Error('casella inesistente') as Error & { responseCode: number };
          err.responseCode = 550;
          cb(err);
        } else cb();
      },
      onData(stream, session, cb) {
        stream.on('data', () => undefined);
        // Takes the message and never answers the final dot: the answer is lost.
        stream.on('end', () => (session.envelope.rcptTo[0]?.address.startsWith('muto') ? undefined : cb(null, 'ok')));
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const transport = () => new SmtpMailTransport(`smtp://127.0.0.1:${port}`, 1500);
  const failure = (to: string, t = transport()) =>
    t.send({ ...mail, to }).then(
      () => undefined,
      (err: unknown) => err as MailSendError,
    );

  it('resolves with the server’s answer once it took the message', async () => {
    expect((await transport().send(mail)).response).toMatch(/ok/);
  });

  it('says a refused recipient is refused for good, not in doubt', async () => {
    const err = await failure('rifiuta@example.test');
    expect(err).toBeInstanceOf(MailSendError);
    expect(err).toMatchObject({ permanent: true, inDoubt: false });
  });

  it('says a message handed over whose answer never came is in doubt', async () => {
    const err = await failure('muto@example.test');
    expect(err).toMatchObject({ inDoubt: true, permanent: false });
  });

  it('says a server that cannot be reached certainly did not take it', async () => {
    const [closed] = (await freePorts(1)) as [number];
    const err = await failure('mario.rossi@example.test', new SmtpMailTransport(`smtp://127.0.0.1:${closed}`, 1500));
    expect(err).toMatchObject({ inDoubt: false, permanent: false });
  });
});
