import { useState } from 'preact/hooks';
import { api } from '../api';
import { Notice, Problem } from '../components/problem';
import { Link, navigate, useLocation } from '../router';
import { takeTaskOf } from '../tasks';
import { callSidOf } from '../voice';

/**
 * A cancellation the operator takes on the phone (`cup-cancellation`), from the telephone
 * console's «Disdetta»: the booking on the CUP, the reason, and whether the patient wants a new
 * slot (whose choice then opens in the operator's hands). Linked to the call it came from.
 */
export function CancellationPage() {
  const callSid = callSidOf(useLocation());
  const [appointmentId, setAppointmentId] = useState('');
  const [note, setNote] = useState('');
  const [rebook, setRebook] = useState(false);
  const [structureId, setStructureId] = useState('');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);

  const start = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const started = await api<{ processInstanceKey: string; businessKey: string }>('/api/cup/cancellations', {
        method: 'POST',
        body: {
          appointmentId: appointmentId.trim(),
          cancellationNote: note,
          rebook,
          ...(rebook && structureId.trim() ? { structureId: structureId.trim() } : {}),
          ...(callSid ? { callSid } : {}),
        },
      });
      if (!rebook) {
        setNotice(`Disdetta avviata: riferimento ${started.businessKey}. Il paziente riceve la conferma per SMS.`);
        return;
      }
      setNotice(`Disdetta avviata: riferimento ${started.businessKey}. Apertura della scelta del nuovo slot…`);
      const task = await takeTaskOf(started.processInstanceKey, 'cup-cancellation');
      if (task) navigate(`/compiti/${task.key}`);
      else setNotice(`Riferimento ${started.businessKey}: la scelta del nuovo slot è nella coda degli operatori CUP.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <p>
        <Link href="/telefono">← Torna alla console telefonica</Link>
      </p>
      <h1 tabIndex={-1}>Disdetta di una prenotazione</h1>
      {callSid && (
        <p class="muted" data-testid="linked-call">
          Collegata alla chiamata <code>{callSid}</code>.
        </p>
      )}
      <Notice text={notice} />
      <Problem error={error} />
      <form class="stack" onSubmit={(e) => void start(e)} aria-label="Disdetta">
        <label for="c-appointment">Identificativo della prenotazione sul CUP</label>
        <input
          id="c-appointment"
          required
          autocomplete="off"
          value={appointmentId}
          onInput={(e) => setAppointmentId(e.currentTarget.value)}
        />
        <label for="c-note">Motivo della disdetta</label>
        <textarea
          id="c-note"
          required
          minLength={5}
          maxLength={500}
          rows={3}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
        <label class="checkbox">
          <input type="checkbox" checked={rebook} onChange={(e) => setRebook(e.currentTarget.checked)} />
          Il paziente vuole un nuovo appuntamento (spostamento)
        </label>
        {rebook && (
          <>
            <label for="c-structure">Struttura del nuovo appuntamento (facoltativa)</label>
            <input
              id="c-structure"
              autocomplete="off"
              value={structureId}
              onInput={(e) => setStructureId(e.currentTarget.value)}
            />
          </>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Avvia la disdetta
        </button>
      </form>
    </section>
  );
}
