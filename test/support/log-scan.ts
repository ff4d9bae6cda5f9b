import { checkFiscalCode } from '../../domain/cup/patient.js';

/**
 * Finds a person's data in log text (issue 13, security sweep): a fiscal code (with a right
 * check character), an electronic prescription number (NRE), an Italian phone number, a
 * person's e-mail address. Used by `test/support/scan-test-logs.ts` over the test suite's logs.
 */
/** Machine addresses the platform itself uses or receives from: not persons. */
const MACHINE_LOCAL_PARTS =
  /^(helpdesk|help-desk|noreply|no-reply|postmaster|mailer-daemon|posta-certificata|pec|cup|protocollo|contact-center|contactcenter|support|bounce[s]?|test|root|rt|system)([-+.].*)?$/i;

export interface Finding {
  file: string;
  line: number;
  kind: string;
  sample: string;
}

export const mask = (s: string) => `${s.slice(0, 2)}…${s.slice(-1)} (${s.length} characters)`;

/** The kinds of personal data, each with how to find it and how to tell it from look-alikes. */
export const KINDS: { kind: string; pattern: RegExp; isPersonal: (m: string, context: string) => boolean }[] = [
  {
    kind: 'fiscal code',
    pattern: /\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b/g,
    // Only a code whose check character is right: a random upper-case token is not one.
    isPersonal: (m) => checkFiscalCode(m) === undefined,
  },
  {
    kind: 'NRE',
    pattern: /\b170[A-Z0-9]{2}\d{10}\b/g,
    isPersonal: () => true,
  },
  {
    kind: 'phone number',
    // Italian mobiles and landlines, with or without +39, not inside longer digit runs (ids, times).
    pattern: /(?<![\d.:-])(?:\+39|0039)?\s?3\d{2}\s?\d{6,7}(?![\d])/g,
    isPersonal: (_m, context) => !/"(at|time|ms|id|pid|port|seq|uid|size|bytes)"\s*:\s*$/.test(context),
  },
  {
    kind: 'e-mail address',
    pattern: /(?<![<\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?![\w>])/g,
    // A Message-ID is written <…@…> and excluded by the pattern; machine mailboxes are not persons.
    isPersonal: (m) => !MACHINE_LOCAL_PARTS.test(m.split('@')[0] ?? ''),
  },
];

/** Every finding in one log text (JSON lines), each with its line and masked sample. */
export function scanText(text: string, file = ''): Finding[] {
  const findings: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const k of KINDS) {
      for (const m of line.matchAll(k.pattern)) {
        const before = line.slice(Math.max(0, (m.index ?? 0) - 24), m.index);
        if (k.isPersonal(m[0], before)) findings.push({ file, line: i + 1, kind: k.kind, sample: mask(m[0]) });
      }
    }
  });
  return findings;
}
