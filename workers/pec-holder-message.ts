import { SmsRejectedError, SmsUnavailableError } from '../adapters/sms/sms.js';
import { normaliseItalianMobile } from '../domain/cup/patient.js';
import { SmsInDoubtError } from '../domain/sms/sms-sender.js';
import { EffectInProgressError, PermanentError, TransientError } from './framework/errors.js';
import type { WorkerDeps } from './framework/define.js';
import { jobErrorOfMail } from './mail-failure.js';

/** Where a PEC holder is written to: a personal email, else a mobile. Empty strings count as none. */
export interface HolderContacts {
  email?: string | null | undefined;
  mobile?: string | null | undefined;
}

export type HolderChannel = 'email' | 'sms';

/** A value a form may have left empty. */
export function present(v: string | null | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** `m…@example.org`, `+39 ••• ••• 4567`: enough for the operator to recognise, not to copy. */
export function maskContact(channel: HolderChannel, to: string): string {
  return channel === 'email' ? to.replace(/^(.).*@/, '$1…@') : `${to.slice(0, 3)} ••• ••• ${to.slice(-4)}`;
}

/**
 * Sends the holder the message of template `pec-…` (templates/email: first line the subject;
 * templates/sms: the text) by email when there is a personal email, else by SMS, exactly once
 * per purpose and reference whatever the retries (the mail outbox and the SMS record say so).
 * Undefined when there is neither.
 */
export async function sendToHolder(
  deps: WorkerDeps,
  m: {
    template: string;
    purpose: string;
    reference: string;
    contacts: HolderContacts;
    data: Record<string, unknown>;
    ticketId?: string | undefined;
    /** Values of `data` the back office must not read in the outbox (the activation link). */
    secrets?: string[];
  },
): Promise<{ channel: HolderChannel; to: string } | undefined> {
  const email = present(m.contacts.email);
  const mobile = present(m.contacts.mobile);
  const data = { ticketId: m.ticketId ?? '', ...m.data };
  if (email) {
    const [subject, ...body] = deps.templates.render('email', m.template, data).split('\n');
    try {
      await deps.mail.sender.sendOnce({
        purpose: m.purpose,
        reference: m.reference,
        from: deps.mail.from,
        to: email,
        subject: (subject ?? '').trim(),
        text: body.join('\n').trim(),
        storedText: withoutSecrets(body.join('\n').trim(), m.secrets ?? []),
        ticketId: m.ticketId,
      });
    } catch (err) {
      throw jobErrorOfMail(
        err,
        (reason) =>
          `Email a ${maskContact('email', email)} rifiutata: ${reason}. Correggere l'indirizzo email del titolare (variabile deliveryEmail) e riprovare.`,
      );
    }
    return { channel: 'email', to: maskContact('email', email) };
  }
  if (mobile) {
    const checked = normaliseItalianMobile(mobile);
    if ('problem' in checked) {
      throw new PermanentError(
        `Il cellulare del titolare non è un numero mobile italiano valido (${checked.problem}): correggere la variabile deliveryMobile e riprovare.`,
      );
    }
    const text = deps.templates.render('sms', m.template, data);
    try {
      await deps.smsSender.sendOnce({
        purpose: m.purpose,
        reference: m.reference,
        to: checked.e164,
        text,
        storedText: m.secrets?.length ? withoutSecrets(text, m.secrets) : undefined,
      });
    } catch (err) {
      if (err instanceof SmsInDoubtError) throw new EffectInProgressError(err.message, err.retryAfterMs);
      if (err instanceof SmsRejectedError) {
        throw new PermanentError(
          `SMS rifiutato dal gestore (codice ${err.providerCode}): ${err.message}. Verificare il cellulare del titolare e riprovare.`,
        );
      }
      if (err instanceof SmsUnavailableError) throw new TransientError(err.message);
      throw err;
    }
    return { channel: 'sms', to: maskContact('sms', checked.e164) };
  }
  return undefined;
}

/** The text as the platform keeps it: each secret (a one-time link) replaced by a placeholder. */
function withoutSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, secret) => t.split(secret).join('[collegamento riservato al titolare]'), text);
}
