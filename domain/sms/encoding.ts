/**
 * GSM 03.38 basic character set and its extension table: a text made only of these is sent
 * in GSM-7 (160 characters per single SMS, 153 per part); anything else forces UCS-2
 * (70 per single SMS, 67 per part). Extension characters count twice.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';

const basic = new Set(GSM7_BASIC);
const extended = new Set(GSM7_EXTENDED);

/** Replacements that change nothing for an Italian reader but keep a text in GSM-7. */
const NORMALISE: Record<string, string> = {
  '’': "'",
  '‘': "'",
  '“': '"',
  '”': '"',
  '«': '"',
  '»': '"',
  '–': '-',
  '—': '-',
  '…': '...',
  '\u00a0': ' ',
  È: "E'",
  À: "A'",
  Ì: "I'",
  Ò: "O'",
  Ù: "U'",
  á: 'à',
  í: 'ì',
  ó: 'ò',
  ú: 'ù',
};

export interface SmsEncoding {
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  /** Characters as the network counts them (septets for GSM-7, UTF-16 units for UCS-2). */
  units: number;
  segments: number;
}

export function normaliseForGsm(text: string): string {
  return [...text].map((c) => (basic.has(c) || extended.has(c) ? c : (NORMALISE[c] ?? c))).join('');
}

/** Normalises a text where harmless and reports its encoding and number of segments. */
export function encodeSms(input: string): SmsEncoding {
  const text = normaliseForGsm(input);
  const chars = [...text];
  const gsm = chars.every((c) => basic.has(c) || extended.has(c));
  if (gsm) {
    const units = chars.reduce((n, c) => n + (extended.has(c) ? 2 : 1), 0);
    return { text, encoding: 'GSM-7', units, segments: units <= 160 ? 1 : Math.ceil(units / 153) };
  }
  const units = text.length;
  return { text, encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}
