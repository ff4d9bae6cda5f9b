import { z } from 'zod';
import { PecRejectedError, PecUnavailableError } from '../adapters/pec/pec-provider.js';
import { PermanentError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { sendToHolder } from './pec-holder-message.js';

/**
 * Delivers a PEC mailbox's credentials safely: never a password. The provider issues a
 * one-time link (it expires, works once, supersedes the earlier ones) with which the holder
 * sets the password, and the link goes to the holder's personal email, or by SMS to the
 * mobile when there is no email. The link never becomes a process variable. Once per visit of
 * the step whatever the retries: the same request key gives back the same link, and the
 * message is sent once per purpose and reference.
 */
export const deliverPecCredentials = defineWorker({
  taskType: 'deliver-pec-credentials',
  permission: 'helpdesk:manage',
  description:
    'Invia al titolare il link monouso con cui scegliere la password della casella PEC (mai una password), per email personale o, senza email, per SMS; una sola volta per passaggio.',
  variables: z
    .object({
      pecAddress: z.string().trim().min(3),
      deliveryEmail: z.string().nullish(),
      deliveryMobile: z.string().nullish(),
      ticketId: z.string().nullish(),
      pecQuotaMb: z.coerce.number().int().nullish(),
    })
    .passthrough(),
  headers: z.object({ kind: z.enum(['activation', 'password-reset']).default('activation') }).passthrough(),
  async handler({ variables, headers, deps, job }) {
    if (!variables.deliveryEmail?.trim() && !variables.deliveryMobile?.trim()) {
      throw new PermanentError(
        `Nessun recapito del titolare (email personale o cellulare) a cui inviare il link di attivazione di ${variables.pecAddress}: indicarne uno (variabile deliveryEmail o deliveryMobile) e riprovare.`,
      );
    }
    const reference = `pec-credentials:${job.processInstanceKey}:${job.elementInstanceKey ?? job.elementId}`;
    let activation;
    try {
      activation = await deps.pec.issuePasswordReset({
        address: variables.pecAddress.toLowerCase(),
        requestKey: reference,
        kind: headers.kind,
      });
    } catch (err) {
      if (err instanceof PecRejectedError) {
        throw new PermanentError(
          `Il gestore PEC non ha emesso il link per ${variables.pecAddress}: ${err.message}. Verificare la casella sul pannello del gestore e riprovare.`,
        );
      }
      if (err instanceof PecUnavailableError) throw new TransientError(`Gestore PEC non raggiungibile: ${err.message}`);
      throw err;
    }
    const sent = await sendToHolder(deps, {
      template: `pec-${headers.kind}`,
      purpose: `pec-${headers.kind}`,
      reference,
      contacts: { email: variables.deliveryEmail, mobile: variables.deliveryMobile },
      ticketId: variables.ticketId ?? undefined,
      secrets: [activation.activationUrl],
      data: {
        pecAddress: activation.address,
        activationUrl: activation.activationUrl,
        expiresAt: activation.expiresAt,
        pecQuotaMb: variables.pecQuotaMb ?? '',
      },
    });
    return {
      credentialsChannel: sent?.channel ?? null,
      credentialsSentTo: sent?.to ?? null,
      activationExpiresAt: activation.expiresAt,
    };
  },
});
