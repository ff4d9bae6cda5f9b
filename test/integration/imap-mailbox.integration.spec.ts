import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImapMailbox, type ImapMailboxOptions } from '../../adapters/mail/imap-mailbox.js';
import { MailboxUnavailableError, type InboxMessage } from '../../adapters/mail/mailbox.js';
import { ConfigError } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { startDovecot, type TestDovecot } from '../support/help-desk/dovecot.js';
import { waitFor } from './support/test-app.js';

const DOMAIN = 'example.test';
// One login per scenario: Dovecot holds back logins of a user after failed ones (auth penalty),
// and each scenario wants a folder of its own.
const USERS = ['initial', 'idle', 'reconnect', 'flaky', 'busy', 'nofolder', 'archive', 'purge', 'abort', 'refused'].map(
  (u) => ({
    user: `${u}@${DOMAIN}`,
    password: `pw-${u}-0123`,
  }),
);
// A password with the characters an address has to encode.
const URL_USER = { user: `url@${DOMAIN}`, password: 'p@ss%/w#rd?' };
const login = (u: string) => `${u}@${DOMAIN}`;

const mail = (id: string, body = 'Buongiorno, chiedo informazioni.') =>
  [
    `Message-ID: <${id}@${DOMAIN}>`,
    `From: Mario Rossi <mario.rossi@${DOMAIN}>`,
    `To: helpdesk@${DOMAIN}`,
    `Subject: Richiesta ${id}`,
    'Date: Tue, 01 Dec 2026 10:00:00 +0100',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');

/** A message with a 3 MB attachment, base64 in 76-character lines as a mail client writes it. */
function withAttachment(id: string): Buffer {
  const b64 = randomBytes(3 * 1024 * 1024)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      `Message-ID: <${id}@${DOMAIN}>`,
      `From: mario.rossi@${DOMAIN}`,
      'Subject: Avviso TARI',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'In allegato l’avviso.',
      '--b1',
      'Content-Type: application/pdf; name="avviso.pdf"',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="avviso.pdf"',
      '',
      b64,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

/** Waits until `condition` holds, polling as `waitFor` does. */
const until = (condition: () => boolean, what: string, timeoutMs: number) =>
  waitFor(() => Promise.resolve(condition() || undefined), what, timeoutMs);

interface Offer {
  uid: number;
  uidValidity: string;
  size: number;
  raw: Buffer;
}

/** The log lines a mailbox writes, to check what is (and is not) in them. */
function capturedLog() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

describe('IMAP mailbox on Dovecot', () => {
  let dovecot: TestDovecot;
  const stops: (() => Promise<void>)[] = [];

  const mailbox = (user: string, extra: Partial<ImapMailboxOptions> = {}) =>
    new ImapMailbox({
      name: user,
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      user: login(user),
      password: `pw-${user}-0123`,
      // Short, so the tests see reconnects and retries within seconds.
      idleWatchdogMs: 1_000,
      reconnectMinMs: 200,
      reconnectMaxMs: 1_000,
      ...extra,
    });

  /** Watches `box`, reading every offered message whole; `fail` makes the handler throw instead. */
  const watch = (box: ImapMailbox, fail: (m: InboxMessage) => boolean = () => false) => {
    const offers: Offer[] = [];
    const controller = new AbortController();
    const done = box.watch(async (m) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await m.open()) chunks.push(chunk as Buffer);
      if (fail(m)) throw new Error(`rifiutato: mario.rossi@${DOMAIN}`);
      offers.push({ uid: m.uid, uidValidity: m.uidValidity, size: m.size, raw: Buffer.concat(chunks) });
    }, controller.signal);
    const stop = async () => {
      controller.abort();
      await done;
    };
    stops.push(stop);
    return { offers, stop, done };
  };

  beforeAll(async () => {
    const started = Date.now();
    dovecot = await startDovecot([...USERS, URL_USER]);
    process.stderr.write(`[imap-mailbox] Dovecot started in ${Date.now() - started} ms\n`);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });
  afterAll(async () => {
    await dovecot?.stop();
  });

  it('offers the messages already in the inbox in UID order, with the UIDVALIDITY and the raw bytes', async () => {
    const first = await dovecot.append(login('initial'), mail('m1'));
    const big = withAttachment('m2');
    const second = await dovecot.append(login('initial'), big);
    const third = await dovecot.append(login('initial'), mail('m3'));

    const { offers, stop } = watch(mailbox('initial'));
    await until(() => offers.length >= 3, 'three messages offered', 15_000);
    await stop();

    expect(offers.map((o) => o.uid)).toEqual([first.uid, second.uid, third.uid]);
    expect(offers.every((o) => o.uidValidity === first.uidValidity)).toBe(true);
    expect(offers[0]?.raw.toString('utf8')).toBe(mail('m1'));
    // The 3 MB message comes back byte for byte, through imapflow's chunked download.
    expect(offers[1]?.size).toBe(big.length);
    expect(offers[1]?.raw.equals(big)).toBe(true);
  });

  it('offers a message that arrives while watching within a couple of seconds (IDLE)', async () => {
    // A watchdog far longer than the test: only IDLE can bring the message in time.
    const { offers } = watch(mailbox('idle', { idleWatchdogMs: 60_000 }));
    await new Promise((r) => setTimeout(r, 500));
    const appended = await dovecot.append(login('idle'), mail('new'));
    const started = Date.now();
    await until(() => offers.length >= 1, 'the new message offered', 3_000);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(offers[0]).toMatchObject({ uid: appended.uid, uidValidity: appended.uidValidity });
  });

  it('reconnects by itself after the server is killed and restarted, and offers the inbox again with what arrived meanwhile', async () => {
    const before = await dovecot.append(login('reconnect'), mail('before'));
    const { log, lines } = capturedLog();
    const { offers } = watch(mailbox('reconnect', { log }));
    await until(() => offers.length >= 1, 'the first pass', 10_000);

    await dovecot.kill();
    await new Promise((r) => setTimeout(r, 500));
    await dovecot.start();
    const meanwhile = await dovecot.append(login('reconnect'), mail('meanwhile'));

    await until(() => offers.some((o) => o.uid === meanwhile.uid), 'the message appended meanwhile', 15_000);
    // The whole inbox again after the reconnect (the intake deduplicates), same UIDVALIDITY.
    expect(offers.filter((o) => o.uid === before.uid).length).toBeGreaterThanOrEqual(2);
    expect(offers.every((o) => o.uidValidity === before.uidValidity)).toBe(true);
    const lost = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'warn');
    expect(lost).toMatchObject({ mailbox: 'reconnect', code: expect.any(String) as unknown });
  });

  it('goes on after a handler throws, and offers that message again later', async () => {
    const bad = await dovecot.append(login('flaky'), mail('bad'));
    const good = await dovecot.append(login('flaky'), mail('good'));
    const { log, lines } = capturedLog();
    let offeredBad = 0;
    // The handler throws the first time it gets `bad`, and takes it the next time.
    const { offers } = watch(mailbox('flaky', { log }), (m) => m.uid === bad.uid && ++offeredBad === 1);

    await until(() => offers.some((o) => o.uid === bad.uid), 'the failed message offered again', 10_000);
    expect(offeredBad).toBe(2);
    expect(offers.map((o) => o.uid)).toContain(good.uid);
    const text = lines.join('');
    expect(text).toContain('handler failed');
    // The error's text (an address) and the message's content stay out of the logs.
    expect(text).not.toContain('mario.rossi');
    expect(text).not.toContain('Richiesta');
  });

  it('offers a failed message again on its own schedule even when the mailbox is never quiet', async () => {
    const bad = await dovecot.append(login('busy'), mail('busy-bad'));
    let offeredBad = 0;
    // A watchdog far beyond the test: no quiet period comes, only the failed messages' turn.
    const { offers } = watch(
      mailbox('busy', { idleWatchdogMs: 120_000, retryFailedMs: 1_500 }),
      (m) => m.uid === bad.uid && ++offeredBad === 1,
    );
    await until(() => offeredBad === 1, 'the first offer, refused', 10_000);
    for (let i = 0; i < 5; i++) {
      await dovecot.append(login('busy'), mail(`busy-${i}`));
      await new Promise((r) => setTimeout(r, 300));
    }
    // The failed message again, among the five new ones (which it may come before or after, as
    // the machine's load decides: the retry is on its own schedule).
    await until(
      () => offers.some((o) => o.uid === bad.uid) && offers.length >= 6,
      'the failed message offered again, and the five new ones',
      10_000,
    );
  });

  it('waits longer and longer when it is let in but cannot watch (a folder that does not exist)', async () => {
    const { log, lines } = capturedLog();
    watch(mailbox('nofolder', { folder: 'NonEsiste', reconnectMinMs: 100, reconnectMaxMs: 5_000, log }));
    const waits = () =>
      lines
        .map((l) => JSON.parse(l) as { msg?: string; retryInMs?: number })
        .filter((l) => l.retryInMs !== undefined)
        .map((l) => l.retryInMs ?? 0);
    await until(() => waits().length >= 4, 'four attempts', 20_000);
    const [first = 0, , , fourth = 0] = waits();
    // 100, 200, 400, 800 ms give or take a fifth: not the shortest pause again and again.
    expect(fourth).toBeGreaterThan(3 * first);
  });

  it("archives a message into 'Archivio', creating it, and says 'gone' when asked again", async () => {
    const ref = await dovecot.append(login('archive'), mail('to-archive'));
    const box = mailbox('archive');

    await expect(box.archive(ref, 'Archivio')).resolves.toBe('moved');
    expect(await dovecot.list(login('archive'), 'INBOX')).toEqual([]);
    expect(await dovecot.list(login('archive'), 'Archivio')).toEqual([
      expect.objectContaining({ messageId: `<to-archive@${DOMAIN}>` }),
    ]);
    await expect(box.archive(ref, 'Archivio')).resolves.toBe('gone');
    // A UIDVALIDITY of another life of the folder names no message of this one.
    const other = await dovecot.append(login('archive'), mail('other'));
    await expect(box.archive({ uid: other.uid, uidValidity: '1' }, 'Archivio')).resolves.toBe('gone');
    // No server on the port: unavailable, naming the mailbox.
    const nowhere = mailbox('archive', { port: 1 }).archive(ref, 'Archivio');
    await expect(nowhere).rejects.toBeInstanceOf(MailboxUnavailableError);
    await expect(nowhere).rejects.toThrow('La casella archive non è raggiungibile (ECONNREFUSED)');
  });

  it('deletes from the archive what arrived before the retention date, and nothing else', async () => {
    const box = mailbox('purge');
    // No archive yet: nothing to delete, no error.
    expect(await box.purge('Archivio', new Date(Date.now() + 86_400_000))).toBe(0);
    const first = await dovecot.append(login('purge'), mail('purge-1'));
    const second = await dovecot.append(login('purge'), mail('purge-2'));
    expect(await box.archive(first, 'Archivio')).toBe('moved');
    expect(await box.archive(second, 'Archivio')).toBe('moved');
    const kept = await dovecot.append(login('purge'), mail('purge-inbox'));
    // Arrived today: a retention date in the past keeps them.
    expect(await box.purge('Archivio', new Date(Date.now() - 2 * 86_400_000))).toBe(0);
    expect(await box.purge('Archivio', new Date(Date.now() + 2 * 86_400_000))).toBe(2);
    expect(await box.purge('Archivio', new Date(Date.now() + 2 * 86_400_000))).toBe(0);
    // The inbox is not the archive: its message is still offered.
    const { offers } = watch(box);
    await until(() => offers.some((o) => o.uid === kept.uid), 'the inbox message offered', 10_000);
  });

  it('stops watching promptly when the signal aborts', async () => {
    await dovecot.append(login('abort'), mail('a'));
    const { offers, stop, done } = watch(mailbox('abort', { idleWatchdogMs: 60_000 }));
    await until(() => offers.length >= 1, 'the first pass', 10_000);
    const started = Date.now();
    await stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(done).resolves.toBeUndefined();
  });

  it('reads its settings from an imap:// address with an encoded user and password, and refuses a malformed one in Italian', async () => {
    const address = `imap://${encodeURIComponent(URL_USER.user)}:${encodeURIComponent(URL_USER.password)}@127.0.0.1:${dovecot.port}/INBOX`;
    const ref = await dovecot.append(URL_USER.user, mail('by-url'));
    await expect(ImapMailbox.fromUrl('url', address).archive(ref, 'Archivio')).resolves.toBe('moved');

    expect(() => ImapMailbox.fromUrl('fax', 'http://u:p@host/INBOX')).toThrow(ConfigError);
    expect(() => ImapMailbox.fromUrl('fax', 'imap://host/INBOX')).toThrow(/casella "fax" non indica l'utente/);
    expect(() => ImapMailbox.fromUrl('fax', 'imaps://utente@host/INBOX')).toThrow(/non indica la password/);
    expect(() => ImapMailbox.fromUrl('fax', 'non un indirizzo')).toThrow(/non è un indirizzo valido/);
    // The message names the mailbox, never the address with its password.
    expect(() => ImapMailbox.fromUrl('fax', 'imap://u:segreto%zz@host/')).toThrow(/codifica % non valida/);
    expect(() => ImapMailbox.fromUrl('fax', 'imap://u:segreto%zz@host/')).not.toThrow(/segreto/);
  });

  it('keeps retrying with a wrong password without crashing, logging no password, and archive says unavailable', async () => {
    const { log, lines } = capturedLog();
    const box = mailbox('refused', { password: 'wrong-password', log });
    const { offers, done } = watch(box);
    let settled = false;
    void done.finally(() => (settled = true));

    // Dovecot answers a failed login after about 2 s (more for the next ones): two attempts.
    await until(() => lines.length >= 2, 'two failed attempts logged', 20_000);
    expect(settled).toBe(false);
    expect(offers).toEqual([]);
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({ level: 'warn', mailbox: 'refused', code: 'AUTHENTICATIONFAILED' });
    expect(lines.join('')).not.toContain('wrong-password');

    // Each failed login waits longer (Dovecot's auth penalty), so archive is asked once.
    const refused = await box.archive({ uid: 1, uidValidity: '1' }, 'Archivio').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(MailboxUnavailableError);
    expect((refused as Error).message).toMatch(/casella refused ha rifiutato l'accesso/);
    expect((refused as Error).message).not.toContain('wrong-password');
  });
});
