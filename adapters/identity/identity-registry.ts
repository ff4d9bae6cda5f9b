/**
 * The Regione's identity registry, IMS (capitolato §2.2.1): the registration of every user of
 * the online services, with their personal data, their contacts (telephone and email) and the
 * state of their PIN request, the strong authentication code some regional services ask for.
 * Front and back office look people up in it; the help desk checks a PEC holder's identity
 * there before a mailbox is created or changed. The real IMS cannot be reached from here:
 * `local-identity-registry.ts` reads a registry in PostgreSQL with a few fictitious people.
 *
 * Every lookup is a read of a person's data: the callers audit it (the API with the signed-in
 * person, the check-identity worker with its process instance).
 */
export interface IdentityRegistry {
  readonly provider: 'local' | 'ims';
  /** The person registered under this fiscal code (any case), or undefined when there is none. */
  lookup(fiscalCode: string): Promise<IdentityRecord | undefined>;
}

/** `registered`: confirmed; `pending`: registration begun, contacts not confirmed; `suspended`: blocked by the Regione. */
export type RegistrationState = 'registered' | 'pending' | 'suspended';

/** The PIN (strong authentication code): never asked, asked and not yet given, given, revoked. */
export type PinState = 'not-requested' | 'requested' | 'issued' | 'revoked';

export interface IdentityRecord {
  /** Upper case, 16 characters. */
  fiscalCode: string;
  givenName: string;
  familyName: string;
  /** YYYY-MM-DD. */
  birthDate?: string | undefined;
  birthPlace?: string | undefined;
  registration: { state: RegistrationState; registeredAt?: string | undefined };
  contacts: {
    email?: string | undefined;
    emailVerified: boolean;
    /** E.164. */
    mobile?: string | undefined;
    mobileVerified: boolean;
  };
  pin: { state: PinState; requestedAt?: string | undefined; issuedAt?: string | undefined };
}

/** How each state reads on screen. */
export const REGISTRATION_LABELS: Record<RegistrationState | 'not-registered', string> = {
  registered: 'registrato',
  pending: 'registrazione non completata (recapiti da confermare)',
  suspended: 'utenza sospesa',
  'not-registered': 'non registrato su IMS',
};

export const PIN_LABELS: Record<PinState, string> = {
  'not-requested': 'PIN mai richiesto',
  requested: 'PIN richiesto, non ancora rilasciato',
  issued: 'PIN rilasciato',
  revoked: 'PIN revocato',
};

/** The registry could not be reached or answered with a server error: worth retrying. */
export class IdentityUnavailableError extends Error {
  override name = 'IdentityUnavailableError';
}

/** Names compared as a person would: case, accents, apostrophes and spaces do not count. */
export function sameName(a: string, b: string): boolean {
  const fold = (s: string) =>
    s
      .normalize('NFD')
      .replace(/\p{Diacritic}/gu, '')
      .replace(/[^\p{L}]/gu, '')
      .toLowerCase();
  return fold(a) === fold(b);
}
