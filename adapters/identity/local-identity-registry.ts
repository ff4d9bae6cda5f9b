import type { DataSource } from 'typeorm';
import type { IdentityRecord, IdentityRegistry, PinState, RegistrationState } from './identity-registry.js';

interface IdentityRow {
  fiscal_code: string;
  given_name: string;
  family_name: string;
  birth_date: string | null;
  birth_place: string | null;
  registration_state: RegistrationState;
  registered_at: Date | null;
  email: string | null;
  email_verified: boolean;
  mobile: string | null;
  mobile_verified: boolean;
  pin_state: PinState;
  pin_requested_at: Date | null;
  pin_issued_at: Date | null;
}

const COLUMNS = `fiscal_code, given_name, family_name, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, birth_place,
  registration_state, registered_at, email, email_verified, mobile, mobile_verified, pin_state, pin_requested_at, pin_issued_at`;

/**
 * IMS on the embedded default: the `identity_registry` table of migration 1763900000020, seeded
 * with five fictitious people (registered with a PIN, with a PIN requested, with a mobile only,
 * with a registration not completed, suspended). In PostgreSQL rather than in memory because
 * the API (the operator's lookup) and the workers (the flows' identity check) may run in
 * different processes and must see the same people, and a test or a demo adds its own.
 */
export class LocalIdentityRegistry implements IdentityRegistry {
  readonly provider = 'local' as const;

  constructor(private readonly db: DataSource) {}

  async lookup(fiscalCode: string): Promise<IdentityRecord | undefined> {
    const [row] = await this.db.query<IdentityRow[]>(
      `SELECT ${COLUMNS} FROM identity_registry WHERE fiscal_code = $1`,
      [fiscalCode.trim().toUpperCase()],
    );
    return row && toRecord(row);
  }

  /** Registers a person, or replaces their registration (tests and demos). */
  async register(p: IdentityRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO identity_registry (fiscal_code, given_name, family_name, birth_date, birth_place, registration_state,
          registered_at, email, email_verified, mobile, mobile_verified, pin_state, pin_requested_at, pin_issued_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (fiscal_code) DO UPDATE SET
         given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name, birth_date = EXCLUDED.birth_date,
         birth_place = EXCLUDED.birth_place, registration_state = EXCLUDED.registration_state,
         registered_at = EXCLUDED.registered_at, email = EXCLUDED.email, email_verified = EXCLUDED.email_verified,
         mobile = EXCLUDED.mobile, mobile_verified = EXCLUDED.mobile_verified, pin_state = EXCLUDED.pin_state,
         pin_requested_at = EXCLUDED.pin_requested_at, pin_issued_at = EXCLUDED.pin_issued_at, updated_at = now()`,
      [
        p.fiscalCode.trim().toUpperCase(),
        p.givenName,
        p.familyName,
        p.birthDate ?? null,
        p.birthPlace ?? null,
        p.registration.state,
        p.registration.registeredAt ?? null,
        p.contacts.email ?? null,
        p.contacts.emailVerified,
        p.contacts.mobile ?? null,
        p.contacts.mobileVerified,
        p.pin.state,
        p.pin.requestedAt ?? null,
        p.pin.issuedAt ?? null,
      ],
    );
  }
}

function toRecord(r: IdentityRow): IdentityRecord {
  return {
    fiscalCode: r.fiscal_code,
    givenName: r.given_name,
    familyName: r.family_name,
    birthDate: r.birth_date ?? undefined,
    birthPlace: r.birth_place ?? undefined,
    registration: { state: r.registration_state, registeredAt: r.registered_at?.toISOString() },
    contacts: {
      email: r.email ?? undefined,
      emailVerified: r.email_verified,
      mobile: r.mobile ?? undefined,
      mobileVerified: r.mobile_verified,
    },
    pin: {
      state: r.pin_state,
      requestedAt: r.pin_requested_at?.toISOString(),
      issuedAt: r.pin_issued_at?.toISOString(),
    },
  };
}
