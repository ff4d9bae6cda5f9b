/**
 * Hostile or malformed messages the help desk's intake must quarantine (issue 10): each with
 * the reason the back office will read. Raw bytes as they would arrive from a mailbox.
 */
export interface MalformedCase {
  name: string;
  raw: Buffer;
  /** What the quarantine reason must say. */
  reason: RegExp;
}

const CRLF = '\r\n';
const lines = (...l: string[]) => Buffer.from(l.join(CRLF), 'utf8');
const headers = (id: string, extra: string[] = []) => [
  'From: Mario Rossi <mario.rossi@example.test>',
  'To: helpdesk@helpdesk.local',
  'Subject: Richiesta',
  'Date: Tue, 01 Dec 2026 10:00:00 +0100',
  `Message-ID: <${id}@example.test>`,
  'MIME-Version: 1.0',
  ...extra,
];

const withAttachment = (id: string, filename: string, contentType: string, body = 'QUJD') =>
  lines(
    ...headers(id, ['Content-Type: multipart/mixed; boundary="b1"']),
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Allego il file.',
    '--b1',
    `Content-Type: ${contentType}; name="${filename}"`,
    `Content-Disposition: attachment; filename="${filename}"`,
    'Content-Transfer-Encoding: base64',
    '',
    body,
    '--b1--',
    '',
  );

const html = (id: string, body: string) =>
  lines(...headers(id, ['Content-Type: text/html; charset=utf-8']), '', body, '');

const nested = (id: string, disposition: string) =>
  lines(
    ...headers(id, ['Content-Type: multipart/mixed; boundary="b1"']),
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Inoltro il messaggio ricevuto.',
    '--b1',
    'Content-Type: message/rfc822; name="inoltrato.eml"',
    `Content-Disposition: ${disposition}; filename="inoltrato.eml"`,
    '',
    'From: altro@example.test',
    'Subject: originale',
    'Message-ID: <orig@example.test>',
    '',
    'testo originale',
    '--b1--',
    '',
  );

export function malformedCorpus(tag: string): MalformedCase[] {
  const id = (n: number) => `malformed-${tag}-${n}`;
  const big = Buffer.alloc(1_600_000, 'A')
    .toString('base64')
    .replace(/(.{76})/g, `$1${CRLF}`);
  return [
    {
      name: 'no Message-ID',
      raw: lines('From: a@example.test', 'Subject: senza id', 'Content-Type: text/plain', '', 'ciao', ''),
      reason: /Message-ID/,
    },
    { name: 'an empty message', raw: Buffer.alloc(0), reason: /Message-ID|MIME/ },
    {
      name: 'binary garbage',
      raw: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x9c, 0x00, 0x0d, 0x0a]),
      reason: /8 bit|Message-ID|MIME/,
    },
    {
      name: 'headers only, no Message-ID',
      raw: lines('From: a@example.test', 'To: helpdesk@helpdesk.local', 'Subject: solo intestazioni', ''),
      reason: /Message-ID/,
    },
    {
      name: 'a multipart whose closing boundary never comes (truncated)',
      raw: lines(
        ...headers(id(5), ['Content-Type: multipart/mixed; boundary="b1"']),
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'inizio del testo e poi nul',
      ),
      reason: /troncato/,
    },
    {
      name: 'a truncated base64 attachment',
      raw: lines(
        ...headers(id(6), ['Content-Type: multipart/mixed; boundary="b1"']),
        '',
        '--b1',
        'Content-Type: application/pdf; name="avviso.pdf"',
        'Content-Disposition: attachment; filename="avviso.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI',
      ),
      reason: /troncato/,
    },
    {
      name: 'an unknown charset',
      raw: lines(...headers(id(7), ['Content-Type: text/plain; charset="x-klingon-1"']), '', 'testo', ''),
      reason: /caratteri sconosciuto/,
    },
    {
      name: 'an unknown charset in a second part',
      raw: lines(
        ...headers(id(8), ['Content-Type: multipart/alternative; boundary="b1"']),
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'testo',
        '--b1',
        'Content-Type: text/html; charset=x-unknown-42',
        '',
        '<p>testo</p>',
        '--b1--',
        '',
      ),
      reason: /caratteri sconosciuto/,
    },
    {
      name: 'raw 8-bit headers that are not UTF-8',
      raw: Buffer.concat([
        Buffer.from(`From: a@example.test${CRLF}Message-ID: <${id(9)}@example.test>${CRLF}Subject: `),
        Buffer.from([0x52, 0x69, 0x63, 0x68, 0x69, 0x65, 0x73, 0x74, 0x61, 0x20, 0xe8, 0xe0]),
        Buffer.from(`${CRLF}${CRLF}testo${CRLF}`),
      ]),
      reason: /8 bit/,
    },
    {
      name: 'an .exe attachment',
      raw: withAttachment(id(10), 'fattura.exe', 'application/octet-stream'),
      reason: /fattura\.exe/,
    },
    {
      name: 'a .zip attachment',
      raw: withAttachment(id(11), 'documenti.zip', 'application/zip'),
      reason: /documenti\.zip/,
    },
    { name: 'a .js attachment', raw: withAttachment(id(12), 'avviso.js', 'text/plain'), reason: /avviso\.js/ },
    {
      name: 'a macro document',
      raw: withAttachment(id(13), 'modulo.docm', 'application/octet-stream'),
      reason: /modulo\.docm/,
    },
    {
      name: 'a program disguised as a PDF',
      raw: withAttachment(id(14), 'ricevuta.pdf', 'application/x-msdownload'),
      reason: /ricevuta\.pdf/,
    },
    {
      name: 'a disk image',
      raw: withAttachment(id(15), 'archivio.iso', 'application/octet-stream'),
      reason: /archivio\.iso/,
    },
    { name: 'a shortcut', raw: withAttachment(id(16), 'apri.lnk', 'application/octet-stream'), reason: /apri\.lnk/ },
    { name: 'an attached message/rfc822', raw: nested(id(17), 'attachment'), reason: /inoltrato/ },
    { name: 'an inline message/rfc822', raw: nested(id(18), 'inline'), reason: /inoltrato/ },
    { name: 'HTML with a script', raw: html(id(19), '<p>Salve</p><script>alert(1)</script>'), reason: /script/ },
    {
      name: 'HTML with an event handler',
      raw: html(id(20), '<p>Salve</p><img src="x" onerror="alert(1)">'),
      reason: /script/,
    },
    {
      name: 'HTML with a javascript: link',
      raw: html(id(21), '<a href="javascript:alert(1)">clicca</a>'),
      reason: /script/,
    },
    {
      name: 'attachments over the limit',
      raw: withAttachment(id(22), 'scansione.pdf', 'application/pdf', big),
      reason: /oltre il limite/,
    },
    {
      name: 'a PEC envelope without its certification',
      raw: lines(
        ...headers(id(23), ['X-Trasporto: posta-certificata', 'Content-Type: text/plain']),
        '',
        'busta vuota',
        '',
      ),
      reason: /Busta PEC non valida/,
    },
  ];
}

/** The attachments limit the corpus's "over the limit" case is built against. */
export const CORPUS_ATTACHMENT_LIMIT = 1_048_576;
