/**
 * The queue the pre-check proposes for a message (the operator decides): the mailbox it came
 * to first, then words of the subject and text the help desk's queues are known by (seed
 * §2.2.1: tributi, formazione, PEC, servizi on line, firma digitale).
 */
const RULES: { queue: string; words: RegExp }[] = [
  {
    queue: 'Tributi CSB',
    words:
      /\b(tribut\w*|bollo|tassa automobilistica|avviso di accertamento|ingiunzion\w*|cartell\w*|irap|addizionale)\b/i,
  },
  { queue: 'Firma digitale', words: /\b(firma digitale|smart ?card|token|certificato di firma|cns)\b/i },
  { queue: 'PEC', words: /\b(pec|posta elettronica certificata|casella certificata)\b/i },
  { queue: 'Formazione', words: /\b(formazione|cors[oi]|aula|iscrizion\w* al corso|attestat\w*)\b/i },
];

export const DEFAULT_QUEUE = 'Servizi on line';

export function suggestQueue(mailbox: string, subject: string | undefined, text: string): string {
  if (mailbox === 'tributi') return 'Tributi CSB';
  if (mailbox === 'pec') return 'PEC';
  const haystack = `${subject ?? ''}\n${text.slice(0, 5000)}`;
  return RULES.find((r) => r.words.test(haystack))?.queue ?? DEFAULT_QUEUE;
}
