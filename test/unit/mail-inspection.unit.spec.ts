import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inspectMail, sanitise } from '../../domain/helpdesk/mail-inspection.js';
import { memoryStore, type ContentStore } from '../../platform/content/content.js';
import { suggestQueue } from '../../domain/helpdesk/queue-suggestion.js';
import { CORPUS_ATTACHMENT_LIMIT, malformedCorpus } from '../support/malformed-mail.js';
import { envelope } from '../support/pec-mail.js';

const opts = { loopId: 'helpdesk.local', maxAttachmentBytes: CORPUS_ATTACHMENT_LIMIT, pecExpected: false };

describe('inspecting a received mail', () => {
  const corpus = malformedCorpus('unit');

  it('has at least 20 hostile or malformed messages to try', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
  });

  for (const c of corpus) {
    it(`quarantines ${c.name}, saying why`, async () => {
      const inspected = await inspectMail(c.raw, opts);
      expect(inspected.quarantineReason).toMatch(c.reason);
    });
  }

  it('lets an ordinary message through with its sender, subject, text and attachment', async () => {
    const raw = Buffer.from(
      [
        'From: "Rossi, Mario" <Mario.Rossi@Example.test>',
        'Reply-To: ufficio@example.test',
        'To: helpdesk@helpdesk.local',
        'Subject: =?UTF-8?Q?Bollo_auto_pagato_due_volte?=',
        'Message-ID: <ok-1@example.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Ho pagato il bollo due volte, pu=F2 verificare?',
        '--b1',
        'Content-Type: application/pdf; name="ricevuta.pdf"',
        'Content-Disposition: attachment; filename="ricevuta.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQK',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const store = memoryStore();
    const m = await inspectMail(raw, { ...opts, store });
    expect(m.quarantineReason).toBeUndefined();
    expect(m).toMatchObject({
      messageId: '<ok-1@example.test>',
      fromAddress: 'mario.rossi@example.test',
      fromName: 'Rossi, Mario',
      replyTo: 'ufficio@example.test',
      subject: 'Bollo auto pagato due volte',
      automatic: undefined,
    });
    expect(m.text).toContain('può verificare');
    expect(
      m.attachments.map((a) => [a.filename, a.contentType, store.contents.get(a.sha256)?.toString('latin1')]),
    ).toEqual([['ricevuta.pdf', 'application/pdf', '%PDF-1.4\n']]);
    expect(suggestQueue('helpdesk', m.subject, m.text)).toBe('Tributi CSB');
  });

  it('keeps no script, handler, remote image or javascript: link in the HTML it shows', () => {
    const clean = sanitise(
      '<p onclick="x()">Salve <b>utente</b></p><script>alert(1)</script><img src="https://tracker.example/p.gif"><a href="javascript:alert(1)">a</a><a href="https://regione.basilicata.it">b</a>',
    );
    expect(clean).not.toMatch(/script|onclick|<img|javascript:/i);
    expect(clean).toContain('<b>utente</b>');
    expect(clean).toContain('href="https://regione.basilicata.it"');
    expect(clean).toContain('rel="noopener noreferrer nofollow"');
  });

  it('recognises machine mail from the headers as written: null sender, mailer-daemon, lists, every X-Loop', async () => {
    const mail = (...headerLines: string[]) =>
      Buffer.from(
        [
          ...headerLines,
          'To: helpdesk@helpdesk.local',
          'Subject: x',
          'Message-ID: <m@example.test>',
          '',
          'testo',
          '',
        ].join('\r\n'),
      );
    const kind = async (...h: string[]) => (await inspectMail(mail(...h), opts)).automatic;
    expect(await kind('Return-Path: <>', 'From: Sistema <sistema@example.test>')).toBe('bounce');
    expect(await kind('From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.test>')).toBe('bounce');
    expect(await kind('From: lista@example.test', 'List-Id: <notizie.example.test>')).toBe('bulk');
    expect(await kind('From: a@example.test', 'X-Loop: altro@example.test', 'X-Loop: helpdesk.local')).toBe('loop');
    expect(await kind('From: Mario Rossi <mario.rossi@example.test>')).toBeUndefined();
  });

  it('keeps no NUL or control character in what it records: subject, sender name, file names', async () => {
    const raw = Buffer.from(
      [
        'From: =?UTF-8?Q?Mario=00Rossi?= <mario@example.test>',
        'Subject: =?UTF-8?Q?a=00b?=',
        'Message-ID: <nul@example.test>',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'testo',
        '--b',
        'Content-Type: application/pdf',
        'Content-Disposition: attachment; filename="=?UTF-8?Q?fi=00le.pdf?="',
        '',
        'JVBERi0=',
        '--b--',
        '',
      ].join('\r\n'),
    );
    const m = await inspectMail(raw, opts);
    expect(JSON.stringify([m.subject, m.fromName, m.attachments.map((a) => a.filename)])).not.toMatch(/\\u0000/);
    expect(m.subject).toBe('a b');
  });

  it('names a PEC provider’s anomaly envelope (an uncertified message it wrapped) as such, not as a broken envelope', async () => {
    const anomaly = Buffer.from(
      [
        'From: "Per conto di: mario.rossi@example.test" <posta-certificata@pec.aruba.it>',
        'To: helpdesk@pec.regione.basilicata.it',
        'Subject: ANOMALIA MESSAGGIO: Richiesta',
        'X-Trasporto: errore',
        'Message-ID: <anomalia-1@pec.aruba.it>',
        'Content-Type: multipart/mixed; boundary="m"',
        '',
        '--m',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Il messaggio allegato non è un messaggio di posta certificata.',
        '--m',
        'Content-Type: message/rfc822; name="postacert.eml"',
        'Content-Disposition: attachment; filename="postacert.eml"',
        '',
        'From: mario.rossi@example.test',
        'Message-ID: <ordinaria-1@example.test>',
        'Subject: Richiesta',
        '',
        'Buongiorno.',
        '--m--',
        '',
      ].join('\r\n'),
    );
    const m = await inspectMail(anomaly, { ...opts, pecExpected: true });
    expect(m.quarantineReason).toMatch(/^Busta di anomalia del gestore PEC: il messaggio contenuto non è certificato/);
    expect(m.pec).toBeUndefined();
  });

  it('passes on a failure of the store instead of quarantining a good message as unreadable', async () => {
    const raw = Buffer.from(
      [
        'From: mario@example.test',
        'Message-ID: <store-down@example.test>',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'testo',
        '--b',
        'Content-Type: application/pdf; name="a.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQK',
        '--b--',
        '',
      ].join('\r\n'),
    );
    const down: ContentStore = { put: () => Promise.reject(new Error('connessione al database chiusa')) };
    await expect(inspectMail(raw, { ...opts, store: down })).rejects.toThrow('connessione al database chiusa');
    await expect(inspectMail(raw, { ...opts, pecExpected: true, store: down })).rejects.toThrow(
      'connessione al database chiusa',
    );
    // A PEC whose postacert.eml cannot be stored: not a broken envelope.
    await expect(inspectMail(envelope(), { ...opts, pecExpected: true, store: down })).rejects.toThrow(
      'connessione al database chiusa',
    );
  });

  it('reads folded header lines, long lines and long messages as a parser does', async () => {
    const mail = (...lines: string[]) => Buffer.from(lines.join('\r\n'));
    // A boundary folded after its `=`, never closed: truncated.
    const folded = await inspectMail(
      mail(
        'From: a@example.test',
        'Message-ID: <f1@example.test>',
        'Content-Type: multipart/mixed; boundary=',
        ' "abc"',
        '',
        '--abc',
        'Content-Type: text/plain',
        '',
        'testo',
        '',
      ),
      opts,
    );
    expect(folded.quarantineReason).toMatch(/troncato/);
    // A forwarded message inline, its Content-Type folded onto the next line (mailparser folds it into the body).
    const forwarded = await inspectMail(
      mail(
        'From: a@example.test',
        'Message-ID: <f2@example.test>',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'vedi sotto',
        '--b',
        'Content-Type:',
        ' message/rfc822',
        'Content-Disposition: inline',
        '',
        'From: b@example.test',
        'Subject: inoltrato',
        '',
        'ciao',
        '--b--',
        '',
      ),
      opts,
    );
    expect(forwarded.quarantineReason).toMatch(/inoltrato/);
    // An unknown charset far into a long line is still found.
    const longLine = await inspectMail(
      mail(
        'From: a@example.test',
        'Message-ID: <f3@example.test>',
        `X-Note: ${'x'.repeat(100_000)} charset=x-sconosciuto`,
        '',
        'testo',
        '',
      ),
      opts,
    );
    expect(longLine.quarantineReason).toMatch(/oltre 256 KB|Set di caratteri sconosciuto/);
    // Thousands of `--` lines (a SQL script) before the closing delimiter: a whole message.
    const sql = Array.from({ length: 3000 }, (_, i) => `-- commento ${i}`);
    const script = await inspectMail(
      mail(
        'From: a@example.test',
        'Message-ID: <f4@example.test>',
        'Subject: script',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        ...sql,
        '--b--',
        '',
      ),
      opts,
    );
    expect(script.quarantineReason).toBeUndefined();
  });

  it('streams a large attachment into the store piece by piece, never holding it whole', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(3 * 1024 * 1024)]);
    const raw = Buffer.from(
      [
        'From: mario@example.test',
        'Message-ID: <big@example.test>',
        'Subject: avviso',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'in allegato',
        '--b',
        'Content-Type: application/pdf; name="avviso.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        pdf.toString('base64').replace(/.{76}/g, '$&\r\n'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    // The raw message read in 64 KiB pieces, as from the mailbox or the database.
    const source = { size: raw.length, open: () => Readable.from(chunked(raw, 64 * 1024)) };
    const pieces: number[] = [];
    const kept = memoryStore();
    const store: ContentStore = {
      async put(stream, options) {
        const seen: Buffer[] = [];
        for await (const c of stream as Readable) {
          pieces.push((c as Buffer).length);
          seen.push(c as Buffer);
        }
        return kept.put(Buffer.concat(seen), options);
      },
    };
    const m = await inspectMail(source, { ...opts, maxAttachmentBytes: 10 * 1024 * 1024, store });
    expect(m.quarantineReason).toBeUndefined();
    expect(m.attachments).toHaveLength(1);
    expect(kept.contents.get(m.attachments[0]?.sha256 ?? '')?.equals(pdf)).toBe(true);
    // Decoded as it arrived: many pieces, none anywhere near the whole file.
    expect(pieces.length).toBeGreaterThan(20);
    expect(Math.max(...pieces)).toBeLessThan(256 * 1024);
  });
});

function* chunked(b: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
