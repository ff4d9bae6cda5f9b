import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Notice, Problem } from '../components/problem';
import { when } from '../format';
import { ROLE_LABELS, ROLES, isRole, type Role } from '../../../domain/access/roles';

interface Account {
  username: string;
  displayName: string;
  roles: string[];
  active: boolean;
  source: 'local' | 'oidc';
  /** A sign-on account bound to its identity at the provider. */
  externalIdentity: boolean;
  /** The next sign-on with this name will bind the account (allowed by an administrator). */
  externalBindingAllowed: boolean;
  lastLoginAt: string | null;
}

/** Accounts and roles, for administrators. */
export function UsersPage() {
  const [users, setUsers] = useState<Account[]>([]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [username, setUsername] = useState('');
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const load = () => api<{ items: Account[] }>('/api/users').then((r) => setUsers(r.items), setError);
  useEffect(() => void load(), []);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const res = await api<{ initialPassword: string }>('/api/users', {
        method: 'POST',
        body: { username, displayName: name, roles },
      });
      setNotice(
        `Utente ${username} creato. Password iniziale (da comunicare e cambiare al primo accesso): ${res.initialPassword}`,
      );
      setUsername('');
      setName('');
      setRoles([]);
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const update = async (u: Account, change: Partial<Account> | { allowExternalBinding: boolean }) => {
    try {
      await api(`/api/users/${u.username}`, { method: 'PATCH', body: change });
      await load();
    } catch (err) {
      setError(err);
    }
  };
  const reset = async (u: Account) => {
    try {
      const res = await api<{ initialPassword: string }>(`/api/users/${u.username}/password-reset`, { method: 'POST' });
      setNotice(`Nuova password provvisoria di ${u.username}: ${res.initialPassword}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>Utenti e ruoli</h1>
      <Notice text={notice} />
      <Problem error={error} />
      <table class="list" aria-label="Utenti">
        <thead>
          <tr>
            <th scope="col">Utente</th>
            <th scope="col">Nome</th>
            <th scope="col">Ruoli</th>
            <th scope="col">Origine</th>
            <th scope="col">Ultimo accesso</th>
            <th scope="col">Attivo</th>
            <th scope="col">
              <span class="visually-hidden">Azioni</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.username}>
              <td>{u.username}</td>
              <td>{u.displayName}</td>
              <td>{u.roles.map((r) => (isRole(r) ? ROLE_LABELS[r] : r)).join(', ')}</td>
              <td>{u.source === 'local' ? 'locale' : 'SSO'}</td>
              <td>{when(u.lastLoginAt)}</td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Account ${u.username} attivo`}
                  checked={u.active}
                  onChange={(e) => void update(u, { active: e.currentTarget.checked })}
                />
              </td>
              <td>
                {u.source === 'local' && (
                  <button type="button" onClick={() => void reset(u)}>
                    Reimposta password<span class="visually-hidden"> di {u.username}</span>
                  </button>
                )}
                {u.source === 'oidc' && !u.externalIdentity && !u.externalBindingAllowed && (
                  <button
                    type="button"
                    title="Account creato prima che gli accessi SSO fossero legati al profilo regionale: il prossimo accesso SSO con questo nome utente lo associa a quel profilo. Consentire solo dopo aver verificato chi accederà."
                    onClick={() => void update(u, { allowExternalBinding: true })}
                  >
                    Consenti l’associazione SSO<span class="visually-hidden"> di {u.username}</span>
                  </button>
                )}
                {u.source === 'oidc' && !u.externalIdentity && u.externalBindingAllowed && (
                  <span class="muted">Associazione consentita al prossimo accesso SSO</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Nuovo utente</h2>
      <form class="stack narrow" onSubmit={(e) => void create(e)}>
        <label for="u-name">Nome utente</label>
        <input
          id="u-name"
          required
          pattern="[a-z0-9][a-z0-9._-]{1,62}"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="u-display">Nome e cognome</label>
        <input id="u-display" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <fieldset>
          <legend>Ruoli</legend>
          {ROLES.map((value) => (
            <label key={value} class="checkbox">
              <input
                type="checkbox"
                checked={roles.includes(value)}
                onChange={(e) =>
                  setRoles(e.currentTarget.checked ? [...roles, value] : roles.filter((r) => r !== value))
                }
              />
              {ROLE_LABELS[value]}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary">
          Crea utente
        </button>
      </form>
    </section>
  );
}

interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  subjectType: string | null;
  subjectId: string | null;
  ip: string | null;
}

/** The audit trail: sign-ins, reads of personal data, deployments, account changes. */
export function AuditPage() {
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [actor, setActor] = useState('');
  const [error, setError] = useState<unknown>();
  const load = () =>
    api<{ items: AuditRow[] }>(`/api/audit${actor ? `?actor=${encodeURIComponent(actor)}` : ''}`).then(
      (r) => setRows(r.items),
      setError,
    );
  useEffect(() => void load(), []);
  return (
    <section>
      <h1 tabIndex={-1}>Registro degli accessi</h1>
      <form class="inline-form" onSubmit={(e) => (e.preventDefault(), void load())}>
        <label for="a-actor">Utente</label>
        <input id="a-actor" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        <button type="submit">Cerca</button>
      </form>
      <Problem error={error} />
      <table class="list" aria-label="Registro">
        <thead>
          <tr>
            <th scope="col">Quando</th>
            <th scope="col">Utente</th>
            <th scope="col">Azione</th>
            <th scope="col">Oggetto</th>
            <th scope="col">Indirizzo</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>{when(r.at)}</td>
              <td>{r.actor}</td>
              <td>{r.action}</td>
              <td>
                {r.subjectType ?? ''} {r.subjectId ?? ''}
              </td>
              <td>{r.ip ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
