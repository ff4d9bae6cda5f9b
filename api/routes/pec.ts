import { Router, type Request } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow, auditRead } from '../auth/access.js';
import { idempotent } from '../idempotency.js';
import { parseWith } from '../problems.js';
import { checkFiscalCode, normaliseItalianMobile } from '../../domain/cup/patient.js';
import { NotFoundError, UnavailableError, ValidationError } from '../../domain/errors.js';
import { newBusinessKey } from '../../domain/processes/process-starter.js';
import type { IdentityRegistry } from '../../adapters/identity/identity-registry.js';
import { IdentityUnavailableError } from '../../adapters/identity/identity-registry.js';
import { LocalIdentityRegistry } from '../../adapters/identity/local-identity-registry.js';
import { LocalPecProvider } from '../../adapters/pec/local-pec-provider.js';
import {
  DEFAULT_PEC_DOMAIN,
  PEC_QUOTAS_MB,
  PecUnavailableError,
  isPecDomainName,
  isPecLocalPart,
  parsePecAddress,
  type PecMailbox,
  type PecProvider,
} from '../../adapters/pec/pec-provider.js';
import { TicketRejectedError, TicketsUnavailableError, type Tickets } from '../../adapters/tickets/tickets.js';

const fiscalCode = z
  .string()
  .trim()
  .toUpperCase()
  .superRefine((v, ctx) => {
    const problem = checkFiscalCode(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const mobile = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const r = normaliseItalianMobile(v);
    if ('problem' in r) {
      ctx.addIssue({ code: 'custom', message: r.problem });
      return z.NEVER;
    }
    return r.e164;
  });

const quota = z.coerce
  .number()
  .int()
  .refine((q) => (PEC_QUOTAS_MB as readonly number[]).includes(q), {
    message: `dimensione non prevista: ${PEC_QUOTAS_MB.join(', ')} MB`,
  });

const ticketId = z
  .string()
  .trim()
  .regex(/^\d{1,12}$/, 'numero di ticket non valido');
const personName = z.string().trim().min(1).max(80);
const email = z.string().trim().toLowerCase().email('indirizzo email non valido').max(254);
const note = z.string().trim().max(2000);

const requestBody = z.object({
  fiscalCode,
  givenName: personName,
  familyName: personName,
  /** pec.basilicatanet.it for citizens, an entity's dedicated domain otherwise. */
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .refine(isPecDomainName, { message: 'dominio non valido' })
    .default(DEFAULT_PEC_DOMAIN),
  localPart: z.string().trim().toLowerCase().refine(isPecLocalPart, {
    message: 'nome della casella non valido: lettere, cifre, punti, trattini (non all’inizio o alla fine)',
  }),
  quotaMb: quota.default(1024),
  ticketId: ticketId.optional(),
  email: email.optional(),
  mobile: mobile.optional(),
  note: note.optional(),
});

const PEC_CHANGE_KINDS = ['holder', 'quota', 'delete', 'password'] as const;

const changeBody = z
  .object({
    address: z.string().trim().toLowerCase().min(3).max(320),
    change: z.enum(PEC_CHANGE_KINDS),
    /** For `holder`: the fields that change. */
    holder: z
      .object({
        givenName: personName.optional(),
        familyName: personName.optional(),
        fiscalCode: fiscalCode.optional(),
        email: email.optional(),
        phone: mobile.optional(),
      })
      .optional(),
    /** For `quota`. */
    quotaMb: quota.optional(),
    ticketId: ticketId.optional(),
    /** Where to tell the holder (their confirmed IMS contacts are proposed first). */
    email: email.optional(),
    mobile: mobile.optional(),
    note: note.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.change === 'quota' && b.quotaMb === undefined) {
      ctx.addIssue({ code: 'custom', path: ['quotaMb'], message: 'indicare la nuova dimensione della casella' });
    }
    if (b.change === 'holder' && Object.values(b.holder ?? {}).every((v) => v === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['holder'], message: 'indicare almeno un dato del titolare da modificare' });
    }
  });

const CHANGE_LABELS: Record<(typeof PEC_CHANGE_KINDS)[number], string> = {
  holder: 'modifica dei dati del titolare',
  quota: 'nuova dimensione della casella',
  delete: 'cancellazione della casella',
  password: 'cambio della password (link monouso al titolare)',
};

/**
 * The back office's PEC desk (R4) and the identity registry lookup (R7): requests for a new
 * mailbox and for changes start their flows, each with a ticket in the PEC queue (the one
 * given, or a new one); a mailbox and a person's IMS registration can be read beside a task.
 * Every read of a person's data is audited.
 *
 * The provider and the registry are the app's when given, otherwise the local stand-ins over
 * the same database the workers use.
 */
export function pecRoutes(deps: ApiDeps & { pec?: PecProvider; identity?: IdentityRegistry }): Router {
  const pec = deps.pec ?? new LocalPecProvider(deps.db);
  const identity = deps.identity ?? new LocalIdentityRegistry(deps.db);
  const tickets = deps.helpDesk.tickets;
  const once = idempotent(deps.db);
  const r = Router();

  r.post('/pec-requests', allow('helpdesk:manage'), once, async (req, res) => {
    const body = parseWith(requestBody, req.body ?? {});
    const address = `${body.localPart}@${body.domain}`;
    if (!parsePecAddress(address)) {
      throw new ValidationError('La richiesta contiene dati non validi.', [
        { field: 'localPart', message: `indirizzo ${address} non valido` },
      ]);
    }
    const businessKey = newBusinessKey('PEC');
    const ticket = await ticketFor(tickets, body.ticketId, {
      subject: `Richiesta di casella PEC ${address}`,
      requestor: body.email,
      content: [
        `Richiesta di una casella PEC per ${body.givenName} ${body.familyName} (codice fiscale ${body.fiscalCode}).`,
        `Casella: ${address}, ${body.quotaMb} MB.`,
        body.note ? `Nota: ${body.note}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
      requestKey: `pec-request:${businessKey}`,
    });
    const started = await deps.starter.start({
      bpmnProcessId: 'helpdesk-pec-issuance',
      businessKey,
      startedBy: actorOf(req).id,
      variables: {
        ticketId: ticket,
        holderFiscalCode: body.fiscalCode,
        holderGivenName: body.givenName,
        holderFamilyName: body.familyName,
        pecMailboxName: body.localPart,
        pecDomain: body.domain,
        pecQuotaMb: body.quotaMb,
        requestEmail: body.email ?? null,
        requestMobile: body.mobile ?? null,
        requestNote: body.note ?? null,
        pecRejectionNote: '',
      },
    });
    res.status(201).json({ ...started, ticketId: ticket, address });
  });

  r.post('/pec-changes', allow('helpdesk:manage'), once, async (req, res) => {
    const body = parseWith(changeBody, req.body ?? {});
    const mailbox = await readMailbox(pec, body.address);
    if (!mailbox || mailbox.status === 'deleted') {
      throw new NotFoundError(
        mailbox ? `La casella ${body.address} è già stata cancellata.` : `La casella ${body.address} non esiste.`,
      );
    }
    await auditRead(req, 'pec-mailbox', mailbox.address, { purpose: `change:${body.change}` });
    const businessKey = newBusinessKey('PECVAR');
    const label =
      body.change === 'quota'
        ? `${CHANGE_LABELS.quota}: da ${mailbox.quotaMb} MB a ${body.quotaMb ?? mailbox.quotaMb} MB`
        : CHANGE_LABELS[body.change];
    const ticket = await ticketFor(tickets, body.ticketId, {
      subject: `Variazione della casella PEC ${mailbox.address}: ${CHANGE_LABELS[body.change]}`,
      requestor: body.email,
      content: [
        `Richiesta di ${label} per la casella ${mailbox.address} di ${mailbox.holder.givenName} ${mailbox.holder.familyName}.`,
        body.note ? `Nota: ${body.note}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
      requestKey: `pec-change:${businessKey}`,
    });
    const started = await deps.starter.start({
      bpmnProcessId: 'helpdesk-pec-change',
      businessKey,
      startedBy: actorOf(req).id,
      variables: {
        ticketId: ticket,
        pecAddress: mailbox.address,
        pecChange: body.change,
        pecChangeLabel: label,
        currentQuotaMb: mailbox.quotaMb,
        pecQuotaMb: body.quotaMb ?? mailbox.quotaMb,
        holderFiscalCode: mailbox.holder.fiscalCode,
        holderGivenName: mailbox.holder.givenName,
        holderFamilyName: mailbox.holder.familyName,
        newGivenName: body.holder?.givenName ?? null,
        newFamilyName: body.holder?.familyName ?? null,
        newFiscalCode: body.holder?.fiscalCode ?? null,
        newEmail: body.holder?.email ?? null,
        newPhone: body.holder?.phone ?? null,
        // The provider's record of the holder's contacts comes after the ones given now.
        requestEmail: body.email ?? mailbox.holder.email ?? null,
        requestMobile: body.mobile ?? mailbox.holder.phone ?? null,
        requestNote: body.note ?? null,
        pecRejectionNote: '',
      },
    });
    res.status(201).json({ ...started, ticketId: ticket, address: mailbox.address });
  });

  r.get('/pec-mailboxes/:address', allow('helpdesk:manage'), async (req, res) => {
    const address = parseWith(z.string().trim().toLowerCase().min(3).max(320), req.params.address);
    const mailbox = await readMailbox(pec, address);
    await auditRead(req, 'pec-mailbox', address, { found: mailbox !== undefined });
    if (!mailbox) throw new NotFoundError(`La casella ${address} non esiste.`);
    res.json(mailbox);
  });

  r.get('/identity/:fiscalCode', allow('helpdesk:contact', 'helpdesk:manage'), async (req: Request, res) => {
    const cf = parseWith(fiscalCode, req.params.fiscalCode);
    let person;
    try {
      person = await identity.lookup(cf);
    } catch (err) {
      if (err instanceof IdentityUnavailableError) {
        throw new UnavailableError('Il registro delle identità (IMS) non è raggiungibile; riprovare.');
      }
      throw err;
    }
    // Every lookup is audited, the ones that find nobody too.
    await auditRead(req, 'identity', cf, { found: person !== undefined });
    if (!person) throw new NotFoundError(`Nessuna registrazione su IMS per il codice fiscale ${cf}.`);
    res.json(person);
  });

  return r;
}

async function readMailbox(pec: PecProvider, address: string): Promise<PecMailbox | undefined> {
  try {
    return await pec.getMailbox(address);
  } catch (err) {
    if (err instanceof PecUnavailableError) {
      throw new UnavailableError('Il gestore PEC non è raggiungibile; riprovare.');
    }
    throw err;
  }
}

/** The request's ticket: the one given (it must exist), or a new one in the PEC queue. */
async function ticketFor(
  tickets: Tickets,
  given: string | undefined,
  opened: { subject: string; requestor: string | undefined; content: string; requestKey: string },
): Promise<string> {
  try {
    if (given) {
      const t = await tickets.get(given);
      if (!t) throw new NotFoundError(`Ticket ${given} non trovato.`);
      return t.id;
    }
    const t = await tickets.create({ queue: 'PEC', ...opened });
    return t.id;
  } catch (err) {
    if (err instanceof TicketsUnavailableError) {
      throw new UnavailableError('Il sistema dei ticket non è raggiungibile; riprovare.');
    }
    if (err instanceof TicketRejectedError) {
      throw new UnavailableError(`Il sistema dei ticket ha rifiutato il ticket della richiesta: ${err.message}`);
    }
    throw err;
  }
}
