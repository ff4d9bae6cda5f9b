import { z } from 'zod';
import { SmsRejectedError, SmsUnavailableError } from '../adapters/sms/sms.js';
import { normaliseItalianMobile } from '../domain/cup/patient.js';
import { SmsInDoubtError } from '../domain/sms/sms-sender.js';
import { dayInRome, nextDay, startOfDayInRome } from '../domain/time.js';
import { EffectInProgressError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

const cursorSchema = z.object({ start: z.string(), appointmentId: z.string() });

/**
 * One batch of the daily reminder run (C3): reads the next entries of the CUP extract
 * (mobile, booking code, date/time) for `reminderDate` and sends one reminder each. The
 * model loops while entries remain. Every reminder is sent at most once per booking,
 * whatever retries, re-deliveries or restarts happen mid-run.
 */
export const sendReminderBatch = defineWorker({
  taskType: 'send-reminder-batch',
  permission: 'cup:manage',
  description: 'Invia un blocco di SMS di promemoria per le prenotazioni del giorno indicato, uno per prenotazione.',
  retries: 5,
  variables: z.object({
    /** The day whose bookings get a reminder; the daily timer run leaves it out: tomorrow. */
    reminderDate: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
    cursor: cursorSchema.nullish(),
    reminded: z.number().int().min(0).default(0),
    skipped: z.number().int().min(0).default(0),
    reconciled: z.number().int().min(0).default(0),
  }),
  headers: z.object({
    template: z.string().min(1),
    batchSize: z.coerce.number().int().min(1).max(5000).default(500),
    parallel: z.coerce.number().int().min(1).max(64).default(8),
  }),
  async handler({ variables, headers, deps }) {
    const reminderDate = variables.reminderDate ?? nextDay(dayInRome(deps.now()));
    const from = startOfDayInRome(reminderDate);
    const to = startOfDayInRome(nextDay(reminderDate));
    const entries = await deps.cup.upcoming({
      from,
      to,
      after: variables.cursor ?? undefined,
      limit: headers.batchSize,
    });
    let sent = 0;
    let skipped = 0;
    let reconciled = 0;
    let unavailable = 0;
    let inDoubt = 0;
    let retryAfterMs = 0;
    let next = 0;
    const work = async () => {
      while (next < entries.length) {
        const e = entries[next++];
        if (!e) break;
        const mobile = e.mobile ? normaliseItalianMobile(e.mobile) : undefined;
        if (!mobile || 'problem' in mobile) {
          skipped++;
          continue;
        }
        try {
          const text = deps.templates.render('sms', headers.template, { ...e });
          const r = await deps.smsSender.sendOnce({
            purpose: 'cup-reminder',
            reference: e.appointmentId,
            to: mobile.e164,
            text,
          });
          // Counted once per booking of the run, whichever delivery of the batch sent it.
          sent++;
          if (r.kind === 'reconciled') reconciled++;
        } catch (err) {
          if (err instanceof SmsRejectedError) skipped++;
          else if (err instanceof SmsUnavailableError) unavailable++;
          else if (err instanceof SmsInDoubtError) {
            inDoubt++;
            retryAfterMs = Math.max(retryAfterMs, err.retryAfterMs);
          } else throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: headers.parallel }, work));
    if (unavailable > 0) {
      // What was sent is recorded; the retry resumes this batch and skips it.
      throw new TransientError(`gestore SMS non disponibile per ${unavailable} promemoria su ${entries.length}`);
    }
    if (inDoubt > 0) {
      // Sends cut by a crash: settled against the provider when they are old enough, with no attempt spent.
      throw new EffectInProgressError(`${inDoubt} promemoria in verifica presso il gestore SMS`, retryAfterMs);
    }
    const last = entries.at(-1);
    return {
      reminderDate,
      cursor: last ? { start: last.start, appointmentId: last.appointmentId } : (variables.cursor ?? null),
      moreReminders: entries.length === headers.batchSize,
      reminded: variables.reminded + sent,
      skipped: variables.skipped + skipped,
      reconciled: variables.reconciled + reconciled,
    };
  },
});
