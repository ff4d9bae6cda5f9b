import { useState } from 'preact/hooks';
import { api } from '../api';
import { Notice, Problem } from '../components/problem';
import { useSession } from '../session';

export function AccountPage() {
  const { session, reload } = useSession();
  const user = session.user;
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  if (!user) return null;
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone(undefined);
    if (next !== repeat) {
      setError(new Error('Le due nuove password non coincidono.'));
      return;
    }
    try {
      await api('/api/session/password', { method: 'POST', body: { currentPassword: current, newPassword: next } });
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone('Password cambiata.');
      await reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>Il mio account</h1>
      <dl class="facts">
        <dt>Utente</dt>
        <dd>{user.id}</dd>
        <dt>Nome</dt>
        <dd>{user.displayName}</dd>
        <dt>Ruoli</dt>
        <dd>{user.roleLabels.join(', ')}</dd>
        <dt>Code di lavoro</dt>
        <dd>{user.groups.length ? user.groups.join(', ') : '—'}</dd>
      </dl>
      {user.mustChangePassword && (
        <div class="alert alert-warn" role="alert">
          Al primo accesso è obbligatorio scegliere una nuova password.
        </div>
      )}
      <h2>Cambia password</h2>
      <Notice text={done} />
      <Problem error={error} />
      <form onSubmit={(e) => void submit(e)} class="stack narrow">
        <label for="current">Password attuale</label>
        <input
          id="current"
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={(e) => setCurrent(e.currentTarget.value)}
        />
        <label for="next">Nuova password (almeno 10 caratteri, lettere e cifre)</label>
        <input
          id="next"
          type="password"
          autocomplete="new-password"
          required
          minLength={10}
          value={next}
          onInput={(e) => setNext(e.currentTarget.value)}
        />
        <label for="repeat">Ripeti la nuova password</label>
        <input
          id="repeat"
          type="password"
          autocomplete="new-password"
          required
          value={repeat}
          onInput={(e) => setRepeat(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Cambia password
        </button>
      </form>
    </section>
  );
}
