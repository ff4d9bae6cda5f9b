import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { groupsOf, isRole, permissionsOf, type Permission, type Role } from './roles.js';
import { generatePassword, hashPassword, passwordProblem, verifyPassword } from './passwords.js';

/** A signed-in person, as the API and the workers see them. */
export interface Principal {
  id: string;
  displayName: string;
  roles: Role[];
  groups: string[];
  permissions: Permission[];
  /** A one-time password is in use: nothing but changing it is allowed. */
  mustChangePassword?: boolean;
}

export interface UserAccount {
  username: string;
  displayName: string;
  roles: Role[];
  active: boolean;
  source: 'local' | 'oidc';
  mustChangePassword: boolean;
  /** A sign-on account bound to its identity at the provider (issuer and `sub`). */
  externalIdentity: boolean;
  /** An unbound sign-on account that an administrator let the next sign-on with its name bind. */
  externalBindingAllowed: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

interface Row {
  username: string;
  display_name: string;
  roles: string[];
  active: boolean;
  source: 'local' | 'oidc';
  password_hash: string | null;
  must_change_password: boolean;
  failed_logins: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  external_issuer: string | null;
  external_subject: string | null;
  external_binding_allowed: boolean;
}

/**
 * What a sign-on through an identity provider comes to: the person's account (`bound` when
 * this sign-on bound an account made before identities were kept), or why they are refused:
 * - `local-account`: a local account holds the name the provider suggests;
 * - `other-identity`: an account of another provider identity holds it;
 * - `unbound-account`: an account made by a sign-on before identities were kept holds it,
 *   and no administrator has allowed its binding (whoever bears the name could be anyone);
 * - `disabled`: the person's account (`account`) is disabled;
 * - `invalid-username`: a new account would be named so, and the name breaks the local rule.
 */
export type ExternalSignIn =
  | { principal: Principal; bound?: true; refused?: never }
  | { refused: 'local-account' | 'other-identity' | 'unbound-account' | 'invalid-username' }
  | { refused: 'disabled'; account: string };

/** After this many wrong passwords in a row the account waits LOCK_MS before the next try. */
const MAX_FAILED_LOGINS = 5;
const LOCK_MS = 15 * 60_000;
/** What a username may be, local or made by a sign-on: lowercase letters, digits, `.`, `_`, `-`, 2–63 characters. */
export const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;

export function principalOf(username: string, displayName: string, roles: Role[]): Principal {
  return { id: username, displayName, roles, groups: groupsOf(roles), permissions: permissionsOf(roles) };
}

/** The demo accounts created on the first start of an empty database, one per role. */
export const DEMO_USERS: { username: string; displayName: string; roles: Role[] }[] = [
  { username: 'operatore', displayName: 'Operatore Demo', roles: ['operator'] },
  { username: 'backoffice1', displayName: 'Back office 1° livello Demo', roles: ['back-office-1'] },
  { username: 'backoffice2', displayName: 'Back office 2° livello Demo', roles: ['back-office-2'] },
  { username: 'helpdesk', displayName: 'Operatore help desk Demo', roles: ['helpdesk-operator'] },
  { username: 'helpdesk1', displayName: 'Back office help desk 1° livello Demo', roles: ['helpdesk-back-office-1'] },
  { username: 'helpdesk2', displayName: 'Back office help desk 2° livello Demo', roles: ['helpdesk-back-office-2'] },
  { username: 'terzolivello', displayName: 'Ufficio regionale Demo', roles: ['third-level'] },
  { username: 'analista', displayName: 'Analista Demo', roles: ['analyst'] },
  { username: 'supervisore', displayName: 'Supervisore Demo', roles: ['supervisor'] },
  { username: 'regione', displayName: 'Regione Basilicata Demo', roles: ['regione'] },
  { username: 'admin', displayName: 'Amministratore Demo', roles: ['admin'] },
];

/**
 * Local accounts (the embedded default) and the accounts OpenID Connect sign-ins leave
 * behind (roles from the identity provider, no password here).
 */
export class UserDirectory {
  constructor(private readonly db: DataSource) {}

  /**
   * Checks a username and password. Unknown users, wrong passwords, disabled and locked
   * accounts all answer undefined the same way, so the answer does not tell which.
   */
  async authenticate(username: string, password: string, now = new Date()): Promise<Principal | undefined> {
    const rows: Row[] = await this.db.query(`SELECT * FROM users WHERE username = $1`, [username.toLowerCase()]);
    const row = rows[0];
    if (!row?.password_hash || !row.active || row.source !== 'local') {
      await verifyPassword(password, DUMMY_HASH); // same time as a real check
      return undefined;
    }
    if (row.locked_until && row.locked_until > now) {
      await verifyPassword(password, DUMMY_HASH); // a locked account answers as slowly as the others
      return undefined;
    }
    if (!(await verifyPassword(password, row.password_hash))) {
      await this.db.query(
        `UPDATE users SET failed_logins = failed_logins + 1,
                locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3::timestamptz ELSE locked_until END
          WHERE username = $1`,
        [row.username, MAX_FAILED_LOGINS, new Date(now.getTime() + LOCK_MS)],
      );
      return undefined;
    }
    await this.db.query(
      `UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE username = $1`,
      [row.username, now],
    );
    return toPrincipal(row);
  }

  /** The current view of a signed-in person (roles may have changed since sign-in). */
  async principal(username: string): Promise<Principal | undefined> {
    const rows: Row[] = await this.db.query(`SELECT * FROM users WHERE username = $1 AND active`, [username]);
    return rows[0] ? toPrincipal(rows[0]) : undefined;
  }

  async list(): Promise<UserAccount[]> {
    const rows: Row[] = await this.db.query(`SELECT * FROM users ORDER BY username`);
    return rows.map(toAccount);
  }

  /** Creates a local account; returns the initial password when none was given. */
  async create(input: {
    username: string;
    displayName: string;
    roles: Role[];
    password?: string | undefined;
    mustChangePassword?: boolean;
  }): Promise<{ account: UserAccount; initialPassword?: string }> {
    const username = input.username.toLowerCase();
    if (!USERNAME.test(username)) {
      throw new ValidationError('Nome utente non valido: minuscole, cifre, punto, trattino (2–63 caratteri).', [
        { field: 'username', message: 'formato non valido' },
      ]);
    }
    const password = input.password ?? generatePassword();
    assertPassword(password);
    const rows: Row[] = await this.db.query(
      `INSERT INTO users (username, display_name, roles, password_hash, must_change_password)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING *`,
      [username, input.displayName, input.roles, await hashPassword(password), input.mustChangePassword ?? true],
    );
    if (!rows[0]) throw new ConflictError(`L'utente ${username} esiste già.`);
    return { account: toAccount(rows[0]), ...(input.password ? {} : { initialPassword: password }) };
  }

  /**
   * Changes an account. `allowExternalBinding` lets (or no longer lets) the next sign-on with
   * the name of an account made by a sign-on before identities were kept bind it: only such
   * an account takes it.
   */
  async update(
    username: string,
    change: {
      displayName?: string | undefined;
      roles?: Role[] | undefined;
      active?: boolean | undefined;
      allowExternalBinding?: boolean | undefined;
    },
  ): Promise<UserAccount> {
    // One change at a time (the lock on every administrator's row), and never the last one:
    // whoever removes the admin role or disables an account must leave an active administrator.
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT username FROM users WHERE 'admin' = ANY (roles) FOR UPDATE`);
      const rows = await returning<Row>(
        tx,
        `UPDATE users SET display_name = COALESCE($2, display_name), roles = COALESCE($3, roles),
                active = COALESCE($4, active)
          WHERE username = $1 RETURNING *`,
        [username, change.displayName ?? null, change.roles ?? null, change.active ?? null],
      );
      if (!rows[0]) throw new NotFoundError(`Utente ${username} non trovato.`);
      if (change.allowExternalBinding !== undefined) {
        const unbound = await returning<Row>(
          tx,
          `UPDATE users SET external_binding_allowed = $2
            WHERE username = $1 AND source = 'oidc' AND external_issuer IS NULL RETURNING *`,
          [username, change.allowExternalBinding],
        );
        if (!unbound[0]) {
          throw new ConflictError(
            `L'account ${username} non è un account SSO in attesa di associazione: ` +
              'solo un account creato da un accesso SSO e non ancora associato a un profilo regionale può esserlo.',
          );
        }
        rows[0] = unbound[0];
      }
      const admins: unknown[] = await tx.query(`SELECT 1 FROM users WHERE active AND 'admin' = ANY (roles) LIMIT 1`);
      if (admins.length === 0) {
        throw new ConflictError(
          "Resterebbe senza amministratori attivi: assegnare prima il ruolo di amministratore a un'altra persona.",
        );
      }
      return toAccount(rows[0]);
    });
  }

  /** A person changes their own password, proving the current one. */
  async changePassword(username: string, current: string, next: string): Promise<void> {
    const rows: Row[] = await this.db.query(`SELECT * FROM users WHERE username = $1`, [username]);
    const row = rows[0];
    if (!row?.password_hash || !(await verifyPassword(current, row.password_hash))) {
      throw new ValidationError('La password attuale non è corretta.', [
        { field: 'currentPassword', message: 'non corretta' },
      ]);
    }
    if (current === next) {
      throw new ValidationError('La nuova password deve essere diversa da quella attuale.', [
        { field: 'newPassword', message: 'uguale alla attuale' },
      ]);
    }
    assertPassword(next);
    await this.db.query(
      `UPDATE users SET password_hash = $2, must_change_password = false, failed_logins = 0, locked_until = NULL
        WHERE username = $1`,
      [username, await hashPassword(next)],
    );
  }

  /** An administrator sets a new one-time password; the person must change it at sign-in. */
  async resetPassword(username: string): Promise<string> {
    const password = generatePassword();
    const rows = await returning<{ username: string }>(
      this.db,
      `UPDATE users SET password_hash = $2, must_change_password = true, failed_logins = 0, locked_until = NULL
        WHERE username = $1 AND source = 'local' RETURNING username`,
      [username, await hashPassword(password)],
    );
    if (rows.length === 0) throw new NotFoundError(`Utente locale ${username} non trovato.`);
    return password;
  }

  /**
   * The account of a person signed in through OpenID Connect, with the roles the provider
   * gave. The account is bound to the provider's issuer and `sub`: the same person finds the
   * same account whatever name the provider now suggests (`preferredUsername` only names a
   * new account, and must then fit USERNAME), and a name already held by a local account or
   * by another provider identity is refused, never taken over. An account a sign-on made
   * before identities were kept is bound by the next sign-on with its name only once an
   * administrator has allowed it (`update`'s `allowExternalBinding`). A disabled account is
   * refused and left as it was (roles, last sign-in).
   */
  async signInExternal(identity: {
    issuer: string;
    subject: string;
    preferredUsername: string;
    displayName: string;
    roles: Role[];
  }): Promise<ExternalSignIn> {
    const { issuer, subject, preferredUsername: username, displayName, roles } = identity;
    const known = () =>
      returning<Row>(
        this.db,
        `UPDATE users SET display_name = $3, roles = $4, last_login_at = now()
          WHERE external_issuer = $1 AND external_subject = $2 AND active RETURNING *`,
        [issuer, subject, displayName, roles],
      );
    /** The person's own account, disabled (the update above skips it). */
    const disabled = async (): Promise<ExternalSignIn | undefined> => {
      const mine: Pick<Row, 'username'>[] = await this.db.query(
        `SELECT username FROM users WHERE external_issuer = $1 AND external_subject = $2 AND NOT active`,
        [issuer, subject],
      );
      return mine[0] ? { refused: 'disabled', account: mine[0].username } : undefined;
    };
    let rows = await known();
    if (rows[0]) return { principal: toPrincipal(rows[0]) };
    const refusal = await disabled();
    if (refusal) return refusal;
    // From here the name matters: it binds an account or names a new one.
    if (!USERNAME.test(username)) return { refused: 'invalid-username' };
    // An account a sign-on made before identities were kept: bound only where an administrator allowed it.
    rows = await returning<Row>(
      this.db,
      `UPDATE users SET external_issuer = $1, external_subject = $2, display_name = $4, roles = $5,
              last_login_at = now(), external_binding_allowed = false
        WHERE username = $3 AND source = 'oidc' AND external_issuer IS NULL AND external_binding_allowed AND active
        RETURNING *`,
      [issuer, subject, username, displayName, roles],
    );
    if (rows[0]) return { principal: toPrincipal(rows[0]), bound: true };
    rows = await this.db.query(
      `INSERT INTO users (username, display_name, roles, source, must_change_password, last_login_at,
                          external_issuer, external_subject)
       VALUES ($1, $2, $3, 'oidc', false, now(), $4, $5)
       ON CONFLICT DO NOTHING RETURNING *`,
      [username, displayName, roles, issuer, subject],
    );
    // A conflict is either the name being held, or this same person's first sign-on in another tab.
    if (!rows[0]) rows = await known();
    if (rows[0]) return { principal: toPrincipal(rows[0]) };
    const raced = await disabled();
    if (raced) return raced;
    const holder: Pick<Row, 'source' | 'external_issuer' | 'external_binding_allowed' | 'active'>[] =
      await this.db.query(
        `SELECT source, external_issuer, external_binding_allowed, active FROM users WHERE username = $1`,
        [username],
      );
    const h = holder[0];
    if (h?.source === 'local') return { refused: 'local-account' };
    if (h && h.external_issuer === null) {
      // Allowed for this person, but disabled meanwhile: say so rather than "ask an administrator".
      return h.external_binding_allowed && !h.active
        ? { refused: 'disabled', account: username }
        : { refused: 'unbound-account' };
    }
    return { refused: 'other-identity' };
  }

  /**
   * On an empty directory, creates one demo account per role and returns their passwords
   * (to be shown once to whoever started the app). `password` sets them all, for demos and
   * tests that must know it.
   */
  async ensureDemoUsers(
    password?: string,
    only?: string[],
  ): Promise<{ username: string; password: string; roles: Role[] }[]> {
    // Several API processes starting together on an empty database (a cluster's first start):
    // one creates the accounts and prints their passwords, the others wait and find them.
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [FIRST_ACCOUNTS_LOCK]);
      const rows = await runner.manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM users`);
      if ((rows[0]?.n ?? 0) > 0) return [];
      const created: { username: string; password: string; roles: Role[] }[] = [];
      for (const u of DEMO_USERS.filter((d) => !only || only.includes(d.username))) {
        const pw = password ?? generatePassword();
        await this.create({ ...u, password: pw, mustChangePassword: password === undefined });
        created.push({ username: u.username, password: pw, roles: u.roles });
      }
      return created;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [FIRST_ACCOUNTS_LOCK]).catch(() => undefined);
      await runner.release();
    }
  }
}

/** The advisory lock of the first accounts' creation (beside the migrations' 7_123_001, the demo region's 7_123_002). */
const FIRST_ACCOUNTS_LOCK = 7_123_003;

const DUMMY_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function assertPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new ValidationError(problem, [{ field: 'password', message: problem }]);
}

/** The person of a local account row, flagged when a one-time password is still in use. */
function toPrincipal(row: Row): Principal {
  const p = principalOf(row.username, row.display_name, row.roles.filter(isRole));
  return row.must_change_password && row.source === 'local' ? { ...p, mustChangePassword: true } : p;
}

function toAccount(r: Row): UserAccount {
  return {
    username: r.username,
    displayName: r.display_name,
    roles: r.roles.filter(isRole),
    active: r.active,
    source: r.source,
    mustChangePassword: r.must_change_password,
    externalIdentity: r.external_issuer !== null,
    externalBindingAllowed: r.external_binding_allowed,
    lastLoginAt: r.last_login_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  };
}
