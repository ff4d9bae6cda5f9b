import { useState } from 'preact/hooks';
import { api, setCsrfToken } from '../api';
import { Problem } from '../components/problem';
import { useSession } from '../session';

const SSO_ERRORS: Record<string, string> = {
  ruolo: 'Il tuo profilo regionale non ha un ruolo in questa applicazione. Rivolgiti all’amministratore.',
  nome:
    'Il nome utente del tuo profilo regionale è già usato da un altro account di questa applicazione: ' +
    'per sicurezza l’accesso non è consentito. Rivolgiti all’amministratore.',
  'non-associato':
    'Con il nome utente del tuo profilo regionale esiste già un account di questa applicazione, ' +
    'ma non è ancora associato al tuo profilo regionale: per sicurezza l’accesso non è consentito. ' +
    'Rivolgiti all’amministratore, che può consentire l’associazione al tuo prossimo accesso.',
  disattivato: 'Il tuo account in questa applicazione è disattivato. Rivolgiti all’amministratore.',
  'nome-non-valido':
    'Il nome utente del tuo profilo regionale non è valido come nome utente di questa applicazione ' +
    '(sono ammesse lettere minuscole, cifre, punto, trattino e trattino basso, da 2 a 63 caratteri). ' +
    'Rivolgiti all’amministratore.',
  oidc: 'Accesso con identità regionale non riuscito. Riprova.',
  sessione: 'La sessione di accesso è scaduta. Riprova.',
};

export function SignInPage() {
  const { session, reload } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const ssoError = new URL(location.href).searchParams.get('errore');
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await api<{ csrfToken: string }>('/api/session', { method: 'POST', body: { username, password } });
      setCsrfToken(res.csrfToken);
      await reload();
    } catch (err) {
      setError(err);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="sign-in">
      <h1 tabIndex={-1}>Accesso all’area di lavoro</h1>
      <p class="muted">Contact center della Regione Basilicata: CUP e help desk.</p>
      {ssoError && (
        <div class="alert alert-error" role="alert">
          {SSO_ERRORS[ssoError] ?? 'Accesso non riuscito.'}
        </div>
      )}
      <Problem error={error} />
      <form onSubmit={(e) => void submit(e)} class="stack">
        <label for="username">Nome utente</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          autoFocus
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Accesso in corso…' : 'Accedi'}
        </button>
      </form>
      {session.oidc && (
        <p>
          <a class="button" href={`/auth/oidc/login?returnTo=${encodeURIComponent(location.pathname)}`}>
            Accedi con l’identità regionale (SSO)
          </a>
        </p>
      )}
    </div>
  );
}
