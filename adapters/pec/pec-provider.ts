/**
 * The PEC provider's postmaster (Aruba's, capitolato §2.2.1, §2.2.9): the back office creates
 * the certified mailboxes of the citizens on `pec.basilicatanet.it` and of the regional and
 * sub-regional entities on their dedicated domains, changes their holders' data and size,
 * deletes them and issues the password-change links. The real postmaster cannot be reached
 * from here: `local-pec-provider.ts` keeps the mailboxes in PostgreSQL and refuses what the
 * real one would (an address already taken, an invalid fiscal code, a size beyond the limit,
 * a domain it does not manage).
 *
 * No method ever returns or takes a password: a holder sets their own through the one-time
 * link `issuePasswordReset` returns.
 */
export interface PecProvider {
  readonly provider: 'local' | 'aruba';
  /**
   * Creates a mailbox, at most once per `requestKey`: a second call with the key of a mailbox
   * already created (a retry, a delivery that died after the provider answered) returns it
   * and creates nothing. A refused request creates nothing and records no key.
   */
  createMailbox(request: NewPecMailbox): Promise<PecMailbox>;
  /** Changes the holder's data (the fields given); once per `requestKey`. */
  updateHolder(request: { address: string; holder: Partial<PecHolder>; requestKey: string }): Promise<PecMailbox>;
  /** Sets the mailbox's size to one of `PEC_QUOTAS_MB`; once per `requestKey`. */
  changeQuota(request: { address: string; quotaMb: number; requestKey: string }): Promise<PecMailbox>;
  /**
   * Deletes the mailbox: it stops receiving and its address is never given again (certified
   * mail must keep pointing at one holder). A retry with the same `requestKey` returns it.
   */
  deleteMailbox(request: { address: string; requestKey: string }): Promise<PecMailbox>;
  /**
   * A one-time link with which the holder sets the password (`activation` after creation,
   * `password-reset` for the password-change form). It expires, works once, and supersedes
   * the links issued before for the mailbox. The same `requestKey` returns the same link, so
   * a retry does not void the one already sent.
   */
  issuePasswordReset(request: {
    address: string;
    requestKey: string;
    kind?: PecActivationKind;
  }): Promise<PecActivation>;
  /** The mailbox with this address, deleted ones included. */
  getMailbox(address: string): Promise<PecMailbox | undefined>;
  /** The domains the postmaster manages for the Regione (the citizens' one first). */
  managedDomains(): Promise<PecDomain[]>;
}

/** The citizens' PEC domain of the Regione. */
export const DEFAULT_PEC_DOMAIN = 'pec.basilicatanet.it';

/** The sizes the contract offers, in MB. */
export const PEC_QUOTAS_MB = [1024, 2048, 5120] as const;
export type PecQuotaMb = (typeof PEC_QUOTAS_MB)[number];

export interface PecHolder {
  /** Upper case, 16 characters. */
  fiscalCode: string;
  givenName: string;
  familyName: string;
  /** A personal (non-PEC) address the provider writes to. */
  email?: string | undefined;
  /** E.164. */
  phone?: string | undefined;
}

export interface NewPecMailbox {
  /** `local-part@domain`, lower case. */
  address: string;
  holder: PecHolder;
  quotaMb: number;
  requestKey: string;
}

export interface PecMailbox {
  address: string;
  domain: string;
  holder: PecHolder;
  quotaMb: number;
  usedMb: number;
  status: 'active' | 'deleted';
  /** The holder set a password through the activation link. */
  activated: boolean;
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
  deletedAt?: string | undefined;
}

export interface PecDomain {
  name: string;
  /** `citizens`: pec.basilicatanet.it; `entity`: a regional or sub-regional entity's own domain. */
  kind: 'citizens' | 'entity';
  /** The entity the domain is dedicated to. */
  entity?: string | undefined;
  maxQuotaMb: number;
}

export type PecActivationKind = 'activation' | 'password-reset';

export interface PecActivation {
  address: string;
  kind: PecActivationKind;
  /** The link the holder opens, once, to set the password. Never stored in a process variable. */
  activationUrl: string;
  /** ISO 8601 UTC. */
  expiresAt: string;
}

/** Why the provider refused a request. */
export type PecRejectionCode =
  | 'address-taken'
  | 'invalid-address'
  | 'invalid-fiscal-code'
  | 'invalid-holder'
  | 'quota-over-limit'
  | 'quota-below-usage'
  | 'domain-not-managed'
  | 'mailbox-not-found'
  | 'mailbox-deleted';

/** The short reason the postmaster gives, in Italian. */
export const PEC_REJECTION_REASONS: Record<PecRejectionCode, string> = {
  'address-taken': 'indirizzo già esistente',
  'invalid-address': 'indirizzo non valido',
  'invalid-fiscal-code': 'codice fiscale non valido',
  'invalid-holder': 'dati del titolare incompleti',
  'quota-over-limit': 'quota oltre il limite',
  'quota-below-usage': 'quota inferiore allo spazio già occupato',
  'domain-not-managed': 'dominio non gestito',
  'mailbox-not-found': 'casella inesistente',
  'mailbox-deleted': 'casella cancellata',
};

/** The provider refused the request for good; `message` is Italian and names the reason. */
export class PecRejectedError extends Error {
  override name = 'PecRejectedError';
  constructor(
    readonly code: PecRejectionCode,
    detail?: string,
  ) {
    super(detail ? `${PEC_REJECTION_REASONS[code]}: ${detail}` : PEC_REJECTION_REASONS[code]);
  }
}

/** The provider could not be reached or had a server error: worth retrying. */
export class PecUnavailableError extends Error {
  override name = 'PecUnavailableError';
}

/** A local part the postmaster accepts: letters, digits, dots, hyphens, underscores; no dot at either end or twice. */
const LOCAL_PART = /^[a-z0-9](?:[a-z0-9_-]|\.(?!\.)){0,62}[a-z0-9]$|^[a-z0-9]$/;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** `local@domain` split and lower-cased, or undefined when it is no address the postmaster accepts. */
export function parsePecAddress(address: string): { address: string; localPart: string; domain: string } | undefined {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at <= 0) return undefined;
  const localPart = a.slice(0, at);
  const domain = a.slice(at + 1);
  if (!LOCAL_PART.test(localPart) || !DOMAIN.test(domain)) return undefined;
  return { address: `${localPart}@${domain}`, localPart, domain };
}

/** Whether `localPart` alone is acceptable (the request form checks it before the provider does). */
export function isPecLocalPart(localPart: string): boolean {
  return LOCAL_PART.test(localPart.trim().toLowerCase());
}

export function isPecDomainName(domain: string): boolean {
  return DOMAIN.test(domain.trim().toLowerCase());
}
