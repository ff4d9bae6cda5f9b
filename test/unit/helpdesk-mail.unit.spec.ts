import { describe, expect, it } from 'vitest';
import { automaticKind } from '../../domain/helpdesk/automatic-mail.js';
import { DaticertError, isReceipt, readDaticert } from '../../domain/helpdesk/daticert.js';
import { openPecEnvelope, PecEnvelopeError } from '../../domain/helpdesk/pec-envelope.js';
import { daticert, envelope, ORIGINAL } from '../support/pec-mail.js';
import { readContent } from '../../platform/content/content.js';

describe('daticert.xml of a PEC envelope', () => {
  it('reads the certified message: sender, recipients, subject, provider, time, identifiers', () => {
    const d = readDaticert(daticert('posta-certificata'));
    expect(d).toEqual({
      tipo: 'posta-certificata',
      errore: 'nessuno',
      mittente: 'mario.rossi@pec.example.it',
      destinatari: [
        { address: 'helpdesk@pec.regione.basilicata.it', tipo: 'certificato' },
        { address: 'ufficio@example.org', tipo: 'esterno' },
      ],
      risposte: 'mario.rossi@pec.example.it',
      oggetto: 'Richiesta di rateizzazione & sgravio',
      gestoreEmittente: 'ARUBA PEC S.p.A.',
      data: '2026-12-01T09:15:30.000Z',
      identificativo: 'opec21012.20261201101530.12345.67.1.53@pec.aruba.it',
      msgid: 'CAF1234@mail.example.it',
      consegna: undefined,
      erroreEsteso: undefined,
    });
    expect(isReceipt(d)).toBe(false);
  });

  it('tells receipts of what we sent from a citizen’s message', () => {
    const delivered = readDaticert(
      daticert('avvenuta-consegna', '<consegna>helpdesk@pec.regione.basilicata.it</consegna>'),
    );
    expect(delivered).toMatchObject({ tipo: 'avvenuta-consegna', consegna: 'helpdesk@pec.regione.basilicata.it' });
    expect(isReceipt(delivered)).toBe(true);
    const failed = readDaticert(
      daticert('errore-consegna', '<errore-esteso>5.1.1 - casella inesistente</errore-esteso>').replace(
        'errore="nessuno"',
        'errore="no-dest"',
      ),
    );
    expect(failed).toMatchObject({
      tipo: 'errore-consegna',
      errore: 'no-dest',
      erroreEsteso: '5.1.1 - casella inesistente',
    });
  });

  it('refuses, in Italian, what the rules do not describe', () => {
    expect(() => readDaticert(daticert('cartolina'))).toThrow(/tipo di messaggio PEC sconosciuto/);
    expect(() => readDaticert(daticert('accettazione').replace(/<identificativo>.*<\/identificativo>/, ''))).toThrow(
      /senza identificativo/,
    );
    expect(() => readDaticert(daticert('accettazione').replace('+0100', 'CET'))).toThrow(/data non valida/);
    expect(() => readDaticert('<html><body>non è un daticert</body></html>')).toThrow(/senza elemento postacert/);
    expect(() => readDaticert(daticert('accettazione') + ' '.repeat(70_000))).toThrow(DaticertError);
  });

  it('expands no entity beyond XML’s own (no entity bombs, no external files)', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE postacert [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY x SYSTEM "file:///etc/passwd">]>
<postacert tipo="accettazione" errore="nessuno"><intestazione><mittente>&b;&x;</mittente></intestazione>
<dati><identificativo>id@pec</identificativo><data zona="+0100"><giorno>01/12/2026</giorno><ora>10:00:00</ora></data></dati></postacert>`;
    let mittente: string | undefined;
    try {
      mittente = readDaticert(bomb).mittente;
    } catch (err) {
      expect(err).toBeInstanceOf(DaticertError);
    }
    expect(mittente ?? '').not.toContain('root:');
    expect((mittente ?? '').length).toBeLessThan(200);
  });
});

describe('machine-sent mail, which never gets an acknowledgement', () => {
  const person = { from: 'Mario Rossi <mario.rossi@example.it>', 'content-type': 'text/plain; charset=utf-8' };
  it('lets a person’s message through', () => {
    expect(automaticKind(person, 'helpdesk@regione.basilicata.it')).toBeUndefined();
    expect(automaticKind({ ...person, 'auto-submitted': 'no' }, 'helpdesk@regione.basilicata.it')).toBeUndefined();
  });

  it('recognises auto-replies, bulk mail, our own loop and bounces', () => {
    const us = 'helpdesk@regione.basilicata.it';
    expect(automaticKind({ ...person, 'auto-submitted': 'auto-replied' }, us)).toBe('auto-reply');
    expect(automaticKind({ ...person, 'auto-submitted': 'auto-generated; owner-email="x@y"' }, us)).toBe('auto-reply');
    expect(automaticKind({ ...person, 'x-autoreply': 'yes' }, us)).toBe('auto-reply');
    expect(automaticKind({ ...person, precedence: 'bulk' }, us)).toBe('bulk');
    expect(automaticKind({ ...person, precedence: 'list' }, us)).toBe('bulk');
    expect(automaticKind({ ...person, 'list-id': '<news.example.it>' }, us)).toBe('bulk');
    expect(automaticKind({ ...person, 'x-loop': 'Helpdesk@Regione.Basilicata.it' }, us)).toBe('loop');
    expect(
      automaticKind(
        {
          from: 'Mail Delivery System <MAILER-DAEMON@mx.example.it>',
          'content-type': 'multipart/report; report-type=delivery-status; boundary="b"',
        },
        us,
      ),
    ).toBe('bounce');
    expect(
      automaticKind(
        new Map([
          ['return-path', '<>'],
          ['from', 'x@example.it'],
        ]),
        us,
      ),
    ).toBe('bounce');
  });
});

describe('a PEC envelope', () => {
  it('gives the citizen’s message byte for byte, inline or attached, and its certification', async () => {
    for (const disposition of ['inline', 'attachment']) {
      const opened = await openPecEnvelope(envelope({ disposition }));
      expect(opened.transport).toBe('posta-certificata');
      expect(opened.daticert.identificativo).toMatch(/@pec\.aruba\.it$/);
      expect(opened.original && (await readContent(opened.original)).toString()).toBe(ORIGINAL);
    }
    // A provider that base64-encodes the original: decoded to the same bytes.
    const encoded = (await openPecEnvelope(envelope({ base64: true }))).original;
    expect(encoded && (await readContent(encoded)).toString()).toBe(ORIGINAL);
  });

  it('opens a receipt about what we sent, which carries no original', async () => {
    const receipt = await openPecEnvelope(envelope({ tipo: 'accettazione', withOriginal: false }));
    expect(receipt).toMatchObject({ transport: 'accettazione', original: undefined });
    expect(isReceipt(receipt.daticert)).toBe(true);
  });

  it('refuses a message that is not a PEC envelope, or a certified one without its original', async () => {
    await expect(openPecEnvelope(Buffer.from(ORIGINAL))).rejects.toThrow(PecEnvelopeError);
    await expect(openPecEnvelope(Buffer.from(ORIGINAL))).rejects.toThrow(/manca daticert\.xml/);
    await expect(openPecEnvelope(envelope({ withOriginal: false }))).rejects.toThrow(/senza il messaggio originale/);
  });
});
