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
    // Italian mobiles (3xx) and landlines (0x), with or without +39, as a token of their own:
    // not inside a longer run of digits, letters or hex (UUIDs, call sids, ids, times).
    pattern: /(?<![\w.:+-])(?:(?:\+|00)39\s?)?(?:3\d{2}\s?\d{6,7}|0\d{1,3}\s?\d{5,8})(?![\w-])/g,
    isPersonal: (_m, context) =>
      !/"(at|time|ms|id|pid|port|seq|uid|size|bytes|[a-z]*Ms|[a-z]*Id)"\s*:\s*$/i.test(context),
  },
  {
    kind: 'e-mail address',
    pattern: /(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?![\w-])/g,
    // A Message-ID (`"messageId":"<…@…>"`, `In-Reply-To`, `References`) names a message, not a
    // person; machine mailboxes are not persons. `Name <addr>` is a person's address.
    isPersonal: (m, context) =>
      !/"(messageId|inReplyTo|references|message_id|in_reply_to)"\s*:\s*"?[^"]*<?$/i.test(context) &&
      !MACHINE_LOCAL_PARTS.test(m.split('@')[0] ?? ''),
  },
];

/** Every finding in one log text (JSON lines), each with its line and masked sample. */
export function scanText(text: string, file = ''): Finding[] {
  const findings: Finding[] = [];
  text.split('\n').forEach((line, i) => {
    for (const k of KINDS) {
      for (const m of line.matchAll(k.pattern)) {
        const before = line.slice(Math.max(0, (m.index ?? 0) - 60), m.index);
        if (k.isPersonal(m[0], before)) findings.push({ file, line: i + 1, kind: k.kind, sample: mask(m[0]) });
      }
    }
  });
  return findings;
}
