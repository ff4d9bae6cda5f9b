/**
 * Whether an incoming message was sent by a machine rather than a person (RFC 3834 §2, and
 * what mail systems actually send): such messages never get an acknowledgement, so two
 * autoresponders never answer each other. A delivery report about our own reply is a bounce,
 * linked to its ticket instead.
 */
export type AutomaticKind = 'auto-reply' | 'bulk' | 'loop' | 'bounce';

/** Header names lower-cased, values as received (the first one when repeated). */
export type MailHeaders = ReadonlyMap<string, string> | Record<string, string | undefined>;

function get(h: MailHeaders, name: string): string | undefined {
  const value: string | undefined =
    h instanceof Map ? (h as ReadonlyMap<string, string>).get(name) : (h as Record<string, string | undefined>)[name];
  return value?.trim();
}

/**
 * Why this message must not be answered automatically, or undefined for a person's message.
 * `ourLoopId` is the `X-Loop` value our own replies carry.
 */
export function automaticKind(headers: MailHeaders, ourLoopId: string): AutomaticKind | undefined {
  const contentType = (get(headers, 'content-type') ?? '').toLowerCase();
  const from = (get(headers, 'from') ?? '').toLowerCase();
  const returnPath = get(headers, 'return-path');
  // Delivery status notifications (RFC 3464), and the null sender bounces use.
  if (
    (contentType.startsWith('multipart/report') && /report-type="?delivery-status/.test(contentType)) ||
    returnPath === '<>' ||
    /^(.*<)?(mailer-daemon|postmaster)@/.test(from)
  ) {
    return 'bounce';
  }
  const loops = (get(headers, 'x-loop') ?? '').toLowerCase();
  if (loops && loops.split(/[\s,]+/).includes(ourLoopId.toLowerCase())) return 'loop';
  const autoSubmitted = (get(headers, 'auto-submitted') ?? 'no').toLowerCase().split(';')[0]?.trim();
  if (autoSubmitted && autoSubmitted !== 'no') return 'auto-reply';
  if (get(headers, 'x-autoreply') !== undefined || get(headers, 'x-autorespond') !== undefined) return 'auto-reply';
  if (/^(bulk|junk|list|auto_reply)$/i.test(get(headers, 'precedence') ?? '')) return 'bulk';
  if (get(headers, 'list-id') !== undefined) return 'bulk';
  return undefined;
}
