import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { checkFiscalCode } from '../../domain/cup/patient.js';
import { returning } from '../../platform/database/query.js';
import {
  PEC_QUOTAS_MB,
  PecRejectedError,
  parsePecAddress,
  type NewPecMailbox,
  type PecActivation,
  type PecActivationKind,
  type PecDomain,
  type PecHolder,
  type PecMailbox,
  type PecProvider,
} from './pec-provider.js';

interface MailboxRow {
  address: string;
  domain: string;
  fiscal_code: string;
  given_name: string;
  family_name: string;
  email: string | null;
  phone: string | null;
  quota_mb: number;
  used_mb: number;
  status: 'active' | 'deleted';
  request_key: string;
  activated_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

interface DomainRow {
  name: string;
  kind: 'citizens' | 'entity';
  entity: string | null;
  max_quota_mb: number;
}

interface ActivationRow {
  address: string;
  kind: PecActivationKind;
  request_key: string;
  token_sha256: string;
  expires_at: Date;
  used_at: Date | null;
  superseded_at: Date | null;
}

const MAILBOX_COLUMNS =
  'address, domain, fiscal_code, given_name, family_name, email, phone, quota_mb, used_mb, status, request_key, activated_at, created_at, updated_at, deleted_at';

/** Where the secret the activation tokens are derived from is kept (platform_settings). */
const SECRET_SETTING = 'pec-local-activation-secret';

export interface LocalPecProviderOptions {
  /** The page the activation links open; the token is its `token` parameter. */
  activationBaseUrl?: string;
  /** How long a link works (default 72 hours). */
  activationHours?: number;
}

/**
 * The postmaster on the embedded default, in PostgreSQL (migration 1763900000020), refusing
 * what Aruba's refuses: an address in use or ever used, an invalid fiscal code, a size that
 * is not offered or exceeds the domain's largest, a domain the Regione has not activated, a
 * change to a deleted mailbox. A request key creates one mailbox and makes one change, settled
 * by unique indexes, so concurrent retries need no lock.
 *
 * The activation links are derived from a secret (an HMAC of the request key) and only their
 * SHA-256 is stored: the same request key gives back the same link without the link being
 * kept anywhere, and a new one supersedes the links issued before for the mailbox.
 */
export class LocalPecProvider implements PecProvider {
  readonly provider = 'local' as const;
  private readonly activationBaseUrl: string;
  private readonly activationHours: number;
  private secret: Promise<string> | undefined;

  constructor(
    private readonly db: DataSource,
    options: LocalPecProviderOptions = {},
  ) {
    this.activationBaseUrl = options.activationBaseUrl ?? 'https://postmaster.pec.basilicatanet.it/attivazione';
    this.activationHours = options.activationHours ?? 72;
  }

  async createMailbox(request: NewPecMailbox): Promise<PecMailbox> {
    const earlier = await this.byKey(this.db.manager, request.requestKey);
    if (earlier) return toMailbox(earlier);
    const parsed = parsePecAddress(request.address);
    if (!parsed) throw new PecRejectedError('invalid-address', request.address);
    const domain = await this.domain(parsed.domain);
    const holder = checkHolder(request.holder);
    checkQuota(request.quotaMb, domain);
    const inserted = await this.db.query<MailboxRow[]>(
      `INSERT INTO pec_mailboxes (address, domain, fiscal_code, given_name, family_name, email, phone, quota_mb, status, request_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9)
       ON CONFLICT DO NOTHING
       RETURNING ${MAILBOX_COLUMNS}`,
      [
        parsed.address,
        domain.name,
        holder.fiscalCode,
        holder.givenName,
        holder.familyName,
        holder.email ?? null,
        holder.phone ?? null,
        request.quotaMb,
        request.requestKey,
      ],
    );
    if (inserted[0]) return toMailbox(inserted[0]);
    // Either a concurrent create with this key committed first, or the address is taken.
    const same = await this.byKey(this.db.manager, request.requestKey);
    if (same) return toMailbox(same);
    const taken = await this.byAddress(this.db.manager, parsed.address);
    throw new PecRejectedError(
      'address-taken',
      taken?.status === 'deleted'
        ? `${parsed.address} apparteneva a una casella cancellata e non può essere riassegnato`
        : parsed.address,
    );
  }

  async updateHolder(request: {
    address: string;
    holder: Partial<PecHolder>;
    requestKey: string;
  }): Promise<PecMailbox> {
    return this.change(request.address, request.requestKey, 'holder', (current) => {
      const next: PecHolder = checkHolder({
        fiscalCode: request.holder.fiscalCode ?? current.fiscal_code,
        givenName: request.holder.givenName ?? current.given_name,
        familyName: request.holder.familyName ?? current.family_name,
        email: request.holder.email !== undefined ? request.holder.email : (current.email ?? undefined),
        phone: request.holder.phone !== undefined ? request.holder.phone : (current.phone ?? undefined),
      });
      return {
        sql: `fiscal_code = $2, given_name = $3, family_name = $4, email = $5, phone = $6`,
        params: [next.fiscalCode, next.givenName, next.familyName, next.email ?? null, next.phone ?? null],
        oldValue: holderOf(current),
        newValue: next,
      };
    });
  }

  async changeQuota(request: { address: string; quotaMb: number; requestKey: string }): Promise<PecMailbox> {
    return this.change(request.address, request.requestKey, 'quota', async (current, m) => {
      checkQuota(request.quotaMb, await this.domain(current.domain, m));
      if (request.quotaMb < current.used_mb) {
        throw new PecRejectedError(
          'quota-below-usage',
          `la casella occupa già ${current.used_mb} MB, più dei ${request.quotaMb} MB richiesti`,
        );
      }
      return {
        sql: `quota_mb = $2`,
        params: [request.quotaMb],
        oldValue: { quotaMb: current.quota_mb },
        newValue: { quotaMb: request.quotaMb },
      };
    });
  }

  async deleteMailbox(request: { address: string; requestKey: string }): Promise<PecMailbox> {
    const mailbox = await this.change(request.address, request.requestKey, 'delete', () => ({
      sql: `status = 'deleted', deleted_at = now()`,
      params: [],
      oldValue: { status: 'active' },
      newValue: { status: 'deleted' },
    }));
    await this.db.query(
      `UPDATE pec_activations SET superseded_at = now() WHERE address = $1 AND used_at IS NULL AND superseded_at IS NULL`,
      [mailbox.address],
    );
    return mailbox;
  }

  async issuePasswordReset(request: {
    address: string;
    requestKey: string;
    kind?: PecActivationKind;
  }): Promise<PecActivation> {
    const secret = await this.secretValue();
    const token = createHmac('sha256', secret).update(`pec-activation\n${request.requestKey}`).digest('base64url');
    const tokenHash = sha256(token);
    const row = await this.db.transaction(async (m) => {
      // The mailbox's row first: concurrent issues for it queue here, and see each other's key.
      const mailbox = await this.lockActive(m, request.address);
      const [earlier] = await m.query<ActivationRow[]>(`SELECT * FROM pec_activations WHERE request_key = $1`, [
        request.requestKey,
      ]);
      if (earlier) return earlier;
      await m.query(
        `UPDATE pec_activations SET superseded_at = now() WHERE address = $1 AND used_at IS NULL AND superseded_at IS NULL`,
        [mailbox.address],
      );
      const [created] = await m.query<ActivationRow[]>(
        `INSERT INTO pec_activations (address, kind, request_key, token_sha256, expires_at)
         VALUES ($1, $2, $3, $4, now() + ($5::int * interval '1 hour'))
         RETURNING *`,
        [mailbox.address, request.kind ?? 'password-reset', request.requestKey, tokenHash, this.activationHours],
      );
      return created!;
    });
    if (row.token_sha256 !== tokenHash) {
      // Another secret derived it (the setting was replaced): the earlier link cannot be given back.
      throw new Error(`il link di attivazione per ${request.requestKey} non è più ricostruibile`);
    }
    return {
      address: row.address,
      kind: row.kind,
      activationUrl: `${this.activationBaseUrl}?token=${token}`,
      expiresAt: row.expires_at.toISOString(),
    };
  }

  async getMailbox(address: string): Promise<PecMailbox | undefined> {
    const row = await this.byAddress(this.db.manager, address.trim().toLowerCase());
    return row && toMailbox(row);
  }

  async managedDomains(): Promise<PecDomain[]> {
    const rows = await this.db.query<DomainRow[]>(
      `SELECT name, kind, entity, max_quota_mb FROM pec_domains ORDER BY kind, name`,
    );
    return rows.map(toDomain);
  }

  /**
   * What the holder's activation page does on the real postmaster: the link works once, before
   * it expires, if no later link superseded it and the mailbox still exists. The address it
   * activated, or the Italian reason it did not.
   */
  async redeemActivation(token: string): Promise<{ address: string } | { refused: string }> {
    return this.db.transaction(async (m) => {
      const [row] = await m.query<(ActivationRow & { expired: boolean })[]>(
        `SELECT *, expires_at < now() AS expired FROM pec_activations WHERE token_sha256 = $1 FOR UPDATE`,
        [sha256(token)],
      );
      if (!row) return { refused: 'link non valido' };
      if (row.used_at) return { refused: 'link già usato' };
      if (row.superseded_at) return { refused: 'link sostituito da uno più recente' };
      if (row.expired) return { refused: 'link scaduto' };
      const mailbox = await this.byAddress(m, row.address);
      if (mailbox?.status !== 'active') return { refused: 'casella cancellata' };
      await m.query(`UPDATE pec_activations SET used_at = now() WHERE token_sha256 = $1`, [row.token_sha256]);
      await m.query(
        `UPDATE pec_mailboxes SET activated_at = coalesce(activated_at, now()), updated_at = now() WHERE address = $1`,
        [row.address],
      );
      return { address: row.address };
    });
  }

  /**
   * One change to an active mailbox under its request key: recorded with its old and new value,
   * and applied, in one transaction; a retry with the key returns the mailbox as it is.
   */
  private async change(
    address: string,
    requestKey: string,
    kind: 'holder' | 'quota' | 'delete',
    plan: (
      current: MailboxRow,
      m: EntityManager,
    ) =>
      | { sql: string; params: unknown[]; oldValue: unknown; newValue: unknown }
      | Promise<{ sql: string; params: unknown[]; oldValue: unknown; newValue: unknown }>,
  ): Promise<PecMailbox> {
    return this.db.transaction(async (m) => {
      // The mailbox's row first: a concurrent retry with the same key waits here, then finds it done.
      const a = address.trim().toLowerCase();
      const [current] = await m.query<MailboxRow[]>(
        `SELECT ${MAILBOX_COLUMNS} FROM pec_mailboxes WHERE address = $1 FOR UPDATE`,
        [a],
      );
      const [done] = await m.query<unknown[]>(`SELECT 1 FROM pec_mailbox_changes WHERE request_key = $1`, [requestKey]);
      if (current && done) return toMailbox(current);
      if (!current) throw new PecRejectedError('mailbox-not-found', a);
      if (current.status === 'deleted') throw new PecRejectedError('mailbox-deleted', a);
      const p = await plan(current, m);
      await m.query(
        `INSERT INTO pec_mailbox_changes (address, kind, request_key, old_value, new_value)
         VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)`,
        [current.address, kind, requestKey, JSON.stringify(p.oldValue), JSON.stringify(p.newValue)],
      );
      const [row] = await returning<MailboxRow>(
        m,
        `UPDATE pec_mailboxes SET ${p.sql}, updated_at = now() WHERE address = $1 RETURNING ${MAILBOX_COLUMNS}`,
        [current.address, ...p.params],
      );
      return toMailbox(row!);
    });
  }

  private async lockActive(m: EntityManager, address: string): Promise<MailboxRow> {
    const a = address.trim().toLowerCase();
    const [row] = await m.query<MailboxRow[]>(
      `SELECT ${MAILBOX_COLUMNS} FROM pec_mailboxes WHERE address = $1 FOR UPDATE`,
      [a],
    );
    if (!row) throw new PecRejectedError('mailbox-not-found', a);
    if (row.status === 'deleted') throw new PecRejectedError('mailbox-deleted', a);
    return row;
  }

  private async byKey(m: EntityManager, requestKey: string): Promise<MailboxRow | undefined> {
    const [row] = await m.query<MailboxRow[]>(`SELECT ${MAILBOX_COLUMNS} FROM pec_mailboxes WHERE request_key = $1`, [
      requestKey,
    ]);
    return row;
  }

  private async byAddress(m: EntityManager, address: string): Promise<MailboxRow | undefined> {
    const [row] = await m.query<MailboxRow[]>(`SELECT ${MAILBOX_COLUMNS} FROM pec_mailboxes WHERE address = $1`, [
      address,
    ]);
    return row;
  }

  private async domain(name: string, m: EntityManager = this.db.manager): Promise<PecDomain> {
    const [row] = await m.query<DomainRow[]>(
      `SELECT name, kind, entity, max_quota_mb FROM pec_domains WHERE name = $1`,
      [name],
    );
    if (!row) throw new PecRejectedError('domain-not-managed', name);
    return toDomain(row);
  }

  /** The secret of the activation tokens: made once, shared by every process over the database. */
  private secretValue(): Promise<string> {
    this.secret ??= (async () => {
      await this.db.query(`INSERT INTO platform_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
        SECRET_SETTING,
        randomBytes(32).toString('base64url'),
      ]);
      const [row] = await this.db.query<{ value: string }[]>(`SELECT value FROM platform_settings WHERE name = $1`, [
        SECRET_SETTING,
      ]);
      if (!row) throw new Error('segreto dei link di attivazione PEC non trovato');
      return row.value;
    })().catch((err: unknown) => {
      this.secret = undefined;
      throw err;
    });
    return this.secret;
  }
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The holder as the postmaster checks it: a valid fiscal code (upper case), names present. */
function checkHolder(h: PecHolder): PecHolder {
  const fiscalCode = h.fiscalCode.trim().toUpperCase();
  const problem = checkFiscalCode(fiscalCode);
  if (problem) throw new PecRejectedError('invalid-fiscal-code', `${fiscalCode} (${problem})`);
  const givenName = h.givenName.trim();
  const familyName = h.familyName.trim();
  if (!givenName || !familyName) {
    throw new PecRejectedError('invalid-holder', 'nome e cognome del titolare sono obbligatori');
  }
  const email = h.email?.trim() || undefined;
  const phone = h.phone?.trim() || undefined;
  return { fiscalCode, givenName, familyName, email, phone };
}

function checkQuota(quotaMb: number, domain: PecDomain): void {
  if (!(PEC_QUOTAS_MB as readonly number[]).includes(quotaMb)) {
    throw new PecRejectedError(
      'quota-over-limit',
      `${quotaMb} MB non è una dimensione prevista (${PEC_QUOTAS_MB.join(', ')} MB)`,
    );
  }
  if (quotaMb > domain.maxQuotaMb) {
    throw new PecRejectedError(
      'quota-over-limit',
      `sul dominio ${domain.name} la dimensione massima è ${domain.maxQuotaMb} MB, richiesti ${quotaMb} MB`,
    );
  }
}

function holderOf(r: MailboxRow): PecHolder {
  return {
    fiscalCode: r.fiscal_code,
    givenName: r.given_name,
    familyName: r.family_name,
    email: r.email ?? undefined,
    phone: r.phone ?? undefined,
  };
}

function toMailbox(r: MailboxRow): PecMailbox {
  return {
    address: r.address,
    domain: r.domain,
    holder: holderOf(r),
    quotaMb: r.quota_mb,
    usedMb: r.used_mb,
    status: r.status,
    activated: r.activated_at !== null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    deletedAt: r.deleted_at?.toISOString(),
  };
}

function toDomain(r: DomainRow): PecDomain {
  return { name: r.name, kind: r.kind, entity: r.entity ?? undefined, maxQuotaMb: r.max_quota_mb };
}
