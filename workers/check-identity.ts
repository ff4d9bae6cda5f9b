import { z } from 'zod';
import {
  IdentityUnavailableError,
  PIN_LABELS,
  REGISTRATION_LABELS,
  sameName,
  type IdentityRecord,
} from '../adapters/identity/identity-registry.js';
import { AuditLog } from '../domain/access/audit.js';
import { TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { present } from './pec-holder-message.js';

const dateIt = (iso: string | undefined) =>
  iso
    ? new Intl.DateTimeFormat('it-IT', {
        timeZone: 'Europe/Rome',
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
      }).format(new Date(iso.length === 10 ? `${iso}T12:00:00Z` : iso))
    : undefined;

/** What the back office reads on the approval task, in Italian. */
function describeIdentity(r: IdentityRecord | undefined, namesMatch: boolean, requested: string): string {
  if (!r) {
    return `Nessuna registrazione su IMS per il codice fiscale ${requested}: la persona deve registrarsi ai servizi on line della Regione prima del rilascio.`;
  }
  const born = [dateIt(r.birthDate) && `nato/a il ${dateIt(r.birthDate)}`, r.birthPlace && `a ${r.birthPlace}`]
    .filter(Boolean)
    .join(' ');
  const lines = [
    `IMS: ${r.givenName} ${r.familyName}${born ? `, ${born}` : ''}: ${REGISTRATION_LABELS[r.registration.state]}${
      r.registration.registeredAt ? ` dal ${dateIt(r.registration.registeredAt)}` : ''
    }.`,
    `${PIN_LABELS[r.pin.state]}${r.pin.state === 'requested' && r.pin.requestedAt ? ` il ${dateIt(r.pin.requestedAt)}` : ''}.`,
    `Email ${r.contacts.email ? (r.contacts.emailVerified ? 'confermata' : 'non confermata') : 'assente'}, cellulare ${
      r.contacts.mobile ? (r.contacts.mobileVerified ? 'confermato' : 'non confermato') : 'assente'
    }.`,
  ];
  if (!namesMatch)
    lines.push('ATTENZIONE: nome e cognome della richiesta non corrispondono a quelli registrati su IMS.');
  if (r.registration.state !== 'registered') {
    lines.push('ATTENZIONE: la registrazione non è attiva: verificare prima di approvare.');
  }
  return lines.join('\n\n');
}

/**
 * Looks the holder up in the identity registry (IMS) for the back office's approval: the
 * registration, the PIN request, the contacts. Proposes as the contacts to deliver to those
 * confirmed on IMS, else those given with the request. Each lookup is audited.
 */
export const checkIdentity = defineWorker({
  taskType: 'check-identity',
  // It changes nothing but returns a person's registration and contacts (ADR 0010).
  permission: 'personal:read',
  description:
    "Verifica il titolare sul registro delle identità (IMS): registrazione, stato del PIN, recapiti; l'esito per il back office. Ogni consultazione è registrata.",
  variables: z
    .object({
      holderFiscalCode: z.string().trim().toUpperCase().min(1),
      holderGivenName: z.string().nullish(),
      holderFamilyName: z.string().nullish(),
      requestEmail: z.string().nullish(),
      requestMobile: z.string().nullish(),
    })
    .passthrough(),
  headers: z.object({}).passthrough(),
  async handler({ variables, deps, job }) {
    let record: IdentityRecord | undefined;
    try {
      record = await deps.identity.lookup(variables.holderFiscalCode);
    } catch (err) {
      if (err instanceof IdentityUnavailableError) throw new TransientError(err.message);
      throw err;
    }
    // Every lookup of a person in IMS is audited, as the operator's are (P3).
    await new AuditLog(deps.db).record({
      actor: `worker:${job.type}`,
      action: 'personal-data.read',
      subjectType: 'identity',
      subjectId: variables.holderFiscalCode,
      detail: { processInstanceKey: job.processInstanceKey, found: record !== undefined },
    });
    const namesMatch =
      record !== undefined &&
      (!variables.holderGivenName || sameName(variables.holderGivenName, record.givenName)) &&
      (!variables.holderFamilyName || sameName(variables.holderFamilyName, record.familyName));
    const confirmedEmail = record?.contacts.emailVerified ? record.contacts.email : undefined;
    const confirmedMobile = record?.contacts.mobileVerified ? record.contacts.mobile : undefined;
    return {
      identityFound: record !== undefined,
      identityRegistration: record?.registration.state ?? 'not-registered',
      identityPin: record?.pin.state ?? 'not-requested',
      identityNamesMatch: namesMatch,
      identityEmail: record?.contacts.email ?? null,
      identityMobile: record?.contacts.mobile ?? null,
      // Credentials go to a contact the person confirmed on IMS rather than one dictated on the
      // phone; the approver sees both and may change them.
      deliveryEmail: confirmedEmail ?? present(variables.requestEmail) ?? null,
      deliveryMobile: confirmedMobile ?? present(variables.requestMobile) ?? null,
      identityNote: describeIdentity(record, namesMatch, variables.holderFiscalCode),
    };
  },
});
