/**
 * PEC messages as a provider delivers them (DM 2 November 2005 and its technical rules): the
 * certification data, the citizen's original, and the signed envelope around them.
 */

/** A daticert.xml as the PEC technical rules describe it (DM 2 November 2005, annex). */
export const daticert = (
  tipo: string,
  extra = '',
  ids: { msgid?: string; identificativo?: string } = {},
) => `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE postacert SYSTEM "Postacert.dtd">
<postacert tipo="${tipo}" errore="nessuno">
  <intestazione>
    <mittente>mario.rossi@pec.example.it</mittente>
    <destinatari tipo="certificato">helpdesk@pec.regione.basilicata.it</destinatari>
    <destinatari tipo="esterno">ufficio@example.org</destinatari>
    <risposte>mario.rossi@pec.example.it</risposte>
    <oggetto>Richiesta di rateizzazione &amp; sgravio</oggetto>
  </intestazione>
  <dati>
    <gestore-emittente>ARUBA PEC S.p.A.</gestore-emittente>
    <data zona="+0100">
      <giorno>01/12/2026</giorno>
      <ora>10:15:30</ora>
    </data>
    <identificativo>${ids.identificativo ?? 'opec21012.20261201101530.12345.67.1.53@pec.aruba.it'}</identificativo>
    <msgid>${(ids.msgid ?? '<CAF1234@mail.example.it>').replace('<', '&lt;').replace('>', '&gt;')}</msgid>
    ${extra}
  </dati>
</postacert>`;

/** The citizen's message, as it left their mail client. */
export const ORIGINAL = [
  'From: Mario Rossi <mario.rossi@pec.example.it>',
  'To: helpdesk@pec.regione.basilicata.it',
  'Subject: Richiesta',
  'Message-ID: <CAF1234@mail.example.it>',
  'Content-Type: multipart/mixed; boundary="in"',
  '',
  '--in',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Buongiorno, allego l’avviso.',
  '--in',
  'Content-Type: application/pdf; name="avviso.pdf"',
  'Content-Disposition: attachment; filename="avviso.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0xLjQK',
  '--in--',
  '',
].join('\r\n');

/** A provider's envelope around it (signed, the daticert and postacert parts as providers send them). */
export function envelope(
  opts: {
    tipo?: string;
    disposition?: string;
    base64?: boolean;
    withOriginal?: boolean;
    /** The original's Message-ID (in daticert's msgid); for a receipt, the message it certifies. */
    msgid?: string;
    identificativo?: string;
    /** The citizen's own message, when not ORIGINAL. */
    original?: string;
  } = {},
) {
  const { tipo = 'posta-certificata', disposition = 'inline', base64 = false, withOriginal = true } = opts;
  const original = opts.original ?? ORIGINAL;
  const eml = base64
    ? (
        Buffer.from(original)
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join('\r\n')
    : original;
  return Buffer.from(
    [
      'From: "Per conto di: mario.rossi@pec.example.it" <posta-certificata@pec.aruba.it>',
      'To: helpdesk@pec.regione.basilicata.it',
      'Subject: POSTA CERTIFICATA: Richiesta',
      tipo === 'posta-certificata' ? 'X-Trasporto: posta-certificata' : `X-Ricevuta: ${tipo}`,
      `Message-ID: <opec.${opts.identificativo ?? '1'}.${tipo}@pec.aruba.it>`,
      'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="s"',
      '',
      '--s',
      'Content-Type: multipart/mixed; boundary="m"',
      '',
      '--m',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Messaggio di posta certificata',
      '--m',
      'Content-Type: application/xml; name="daticert.xml"',
      'Content-Disposition: inline; filename="daticert.xml"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from(daticert(tipo, '', { msgid: opts.msgid, identificativo: opts.identificativo })).toString('base64'),
      ...(withOriginal
        ? [
            '--m',
            'Content-Type: message/rfc822; name="postacert.eml"',
            `Content-Disposition: ${disposition}; filename="postacert.eml"`,
            ...(base64 ? ['Content-Transfer-Encoding: base64'] : []),
            '',
            eml,
          ]
        : []),
      '--m--',
      '--s',
      'Content-Type: application/pkcs7-signature; name="smime.p7s"',
      'Content-Disposition: attachment; filename="smime.p7s"',
      'Content-Transfer-Encoding: base64',
      '',
      'MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwGg',
      '--s--',
      '',
    ].join('\r\n'),
  );
}
