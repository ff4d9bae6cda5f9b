import { z } from 'zod';
import { SmsRejectedError, SmsUnavailableError } from '../adapters/sms/sms.js';
import { normaliseItalianMobile } from '../domain/cup/patient.js';
import { SmsInDoubtError } from '../domain/sms/sms-sender.js';
import { EffectInProgressError, PermanentError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/**
 * Sends the patient an SMS about an appointment, from the template named in the task's
 * `template` header. One SMS per appointment and purpose, whatever the retries.
 */
export const sendSms = defineWorker({
  taskType: 'send-sms',
  permission: 'cup:contact',
  description:
    "Invia al paziente l'SMS del modello indicato nell'intestazione `template`, una sola volta per prenotazione e scopo.",
  variables: z.object({
    appointmentId: z.string().min(1),
  }),
  headers: z.object({
    template: z.string().min(1),
    /** What the SMS is for (defaults to the template name); with the appointment it identifies the SMS. */
    purpose: z.string().min(1).optional(),
  }),
  async handler({ variables, headers, deps, once }) {
    const appointment = await deps.cup.getAppointment(variables.appointmentId);
    if (!appointment) {
      throw new PermanentError(
        `Prenotazione ${variables.appointmentId} non trovata sul CUP: verificare la prenotazione e riprovare.`,
      );
    }
    const patient = await deps.cup.getPatient(appointment.patientId);
    if (!patient?.mobile) return { smsStatus: 'no-mobile' };
    const checked = normaliseItalianMobile(patient.mobile);
    if ('problem' in checked) {
      throw new PermanentError(
        `Il cellulare registrato per il paziente ${patient.id} non è un numero mobile italiano valido: correggere l'anagrafica e riprovare.`,
      );
    }
    const mobile = checked.e164;
    const purpose = headers.purpose ?? headers.template;
    const text = deps.templates.render('sms', headers.template, { ...appointment });
    const sent = await once(`${purpose}:${appointment.id}`, async () => {
      try {
        const r = await deps.smsSender.sendOnce({ purpose, reference: appointment.id, to: mobile, text });
        return { providerSid: r.providerSid, status: r.status };
      } catch (err) {
        if (err instanceof SmsRejectedError) {
          throw new PermanentError(
            `SMS rifiutato dal gestore (codice ${err.providerCode}): ${err.message}. Verificare il numero del paziente e riprovare.`,
          );
        }
        if (err instanceof SmsUnavailableError) throw new TransientError(err.message);
        if (err instanceof SmsInDoubtError) throw new EffectInProgressError(err.message, err.retryAfterMs);
        throw err;
      }
    });
    return { smsStatus: sent.status, smsSid: sent.providerSid };
  },
});
