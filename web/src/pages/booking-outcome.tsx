import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Problem } from '../components/problem';
import { when } from '../format';
import { Link } from '../router';

interface Outcome {
  state: 'in-corso' | 'prenotata' | 'nuova-scelta' | 'back-office' | 'chiusa';
  businessKey: string | null;
  bookingCode: string | null;
  appointmentStart: string | null;
  structureName: string | null;
  taskKey: string | null;
}

/**
 * What became of the booking the operator just completed, while the patient is still on the
 * line: the booking code, day, time and structure to read out, or what happens instead.
 */
export function BookingOutcomePage({ instanceKey }: { instanceKey: string }) {
  const [o, setO] = useState<Outcome>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let alive = true;
    let timer: number | undefined;
    const deadline = Date.now() + 30_000;
    const look = async () => {
      try {
        const now = await api<Outcome>(`/api/cup/bookings/${instanceKey}`);
        if (!alive) return;
        setO(now);
        if (now.state === 'in-corso' && Date.now() < deadline) timer = window.setTimeout(() => void look(), 500);
      } catch (err) {
        if (alive) setError(err);
      }
    };
    void look();
    return () => {
      alive = false;
      window.clearTimeout(timer);
    };
  }, [instanceKey]);

  return (
    <section>
      <h1 tabIndex={-1}>Esito della prenotazione</h1>
      <Problem error={error} />
      {!o || o.state === 'in-corso' ? (
        <p aria-busy="true" role="status">
          Prenotazione in corso sul CUP…
        </p>
      ) : o.state === 'prenotata' ? (
        <div class="alert alert-ok" role="status">
          <p>
            <strong>Prenotazione confermata.</strong> Da comunicare al paziente:
          </p>
          <dl class="facts" data-testid="booking-outcome">
            <dt>Codice di prenotazione</dt>
            <dd data-testid="booking-code">{o.bookingCode}</dd>
            <dt>Quando</dt>
            <dd>{when(o.appointmentStart)}</dd>
            <dt>Dove</dt>
            <dd>{o.structureName ?? '—'}</dd>
          </dl>
          <p>Il paziente riceve anche l'SMS di conferma.</p>
        </div>
      ) : o.state === 'nuova-scelta' ? (
        <div class="alert alert-error" role="alert">
          <p>Lo slot scelto è stato preso nel frattempo da un'altra prenotazione: scegline un altro con il paziente.</p>
          {o.taskKey && <Link href={`/compiti/${o.taskKey}`}>Scegli un altro slot</Link>}
        </div>
      ) : o.state === 'back-office' ? (
        <p role="status">Il caso è passato al back office, che ricontatterà il paziente.</p>
      ) : (
        <p role="status">La richiesta si è chiusa senza prenotazione.</p>
      )}
      <p>
        <Link href="/compiti">Torna ai compiti</Link> · <Link href="/contatti/nuovo">Nuovo contatto</Link>
      </p>
    </section>
  );
}
