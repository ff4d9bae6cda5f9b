import { useEffect, useState } from 'preact/hooks';
import { api, query } from '../api';
import { Notice, Problem } from '../components/problem';
import { navigate } from '../router';
import type { Task } from '../tasks';

interface Service {
  code: string;
  name: string;
  kind: string;
}

const PRIORITIES = [
  ['P', 'P – programmabile (120 giorni)'],
  ['D', 'D – differibile (30/60 giorni)'],
  ['B', 'B – breve (10 giorni)'],
  ['U', 'U – urgente (72 ore)'],
] as const;

/** Waits for the operator's task of a just-started instance and takes it. */
async function takeTaskOf(processInstanceKey: string, process: string): Promise<Task | undefined> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const list = await api<{ items: Task[] }>(`/api/tasks${query({ process, claim: 'unassigned' })}`);
    const task = list.items.find((t) => t.processInstanceKey === processInstanceKey);
    if (task) {
      await api(`/api/tasks/${task.key}/claim`, { method: 'POST' });
      return task;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
  return undefined;
}

/**
 * What the operator starts while on the phone with a citizen: a booking from the electronic
 * prescription (the slot choice task opens, already in their hands), or an information contact.
 */
export function NewContactPage() {
  const [services, setServices] = useState<Service[]>([]);
  const [nre, setNre] = useState('');
  const [serviceCode, setServiceCode] = useState('');
  const [fiscalCode, setFiscalCode] = useState('');
  const [priorityClass, setPriorityClass] = useState('P');
  const [mobile, setMobile] = useState('');
  const [channel, setChannel] = useState('telefono');
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ items: Service[] }>('/api/cup/services').then((r) => setServices(r.items), setError);
  }, []);

  const start = async (e: Event, what: 'booking' | 'information') => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      const started =
        what === 'booking'
          ? await api<{ processInstanceKey: string; businessKey: string }>('/api/cup/bookings', {
              method: 'POST',
              body: {
                prescriptionNre: nre,
                serviceCode,
                fiscalCode,
                priorityClass,
                ...(mobile.trim() ? { mobile } : {}),
              },
            })
          : await api<{ processInstanceKey: string; businessKey: string }>('/api/cup/information-contacts', {
              method: 'POST',
              body: { channel },
            });
      setNotice(`Avviato: riferimento ${started.businessKey}. Apertura del compito…`);
      const task = await takeTaskOf(started.processInstanceKey, what === 'booking' ? 'cup-booking' : 'cup-information');
      if (task) navigate(`/compiti/${task.key}`);
      else
        setNotice(
          `Riferimento ${started.businessKey}: il caso non ha un compito per te (per esempio è passato al back office, che lo vedrà tra le escalation).`,
        );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Nuovo contatto</h1>
      <Notice text={notice} />
      <Problem error={error} />
      <div class="two-columns">
        <form class="stack" onSubmit={(e) => void start(e, 'booking')} aria-labelledby="booking-title">
          <h2 id="booking-title">Prenotazione da ricetta elettronica</h2>
          <label for="nre">Numero di ricetta elettronica (NRE)</label>
          <input
            id="nre"
            required
            autocomplete="off"
            value={nre}
            onInput={(e) => setNre(e.currentTarget.value.toUpperCase())}
          />
          <label for="service">Prestazione (codice)</label>
          <input
            id="service"
            required
            list="services"
            autocomplete="off"
            value={serviceCode}
            onInput={(e) => setServiceCode(e.currentTarget.value)}
          />
          <datalist id="services">
            {services.map((s) => (
              <option key={s.code} value={s.code}>
                {s.name}
              </option>
            ))}
          </datalist>
          <label for="fiscal-code">Codice fiscale del paziente</label>
          <input
            id="fiscal-code"
            required
            autocomplete="off"
            value={fiscalCode}
            onInput={(e) => setFiscalCode(e.currentTarget.value.toUpperCase())}
          />
          <label for="priority">Classe di priorità</label>
          <select id="priority" value={priorityClass} onChange={(e) => setPriorityClass(e.currentTarget.value)}>
            {PRIORITIES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
          <label for="mobile">Cellulare confermato dal paziente (facoltativo, per l'SMS)</label>
          <input
            id="mobile"
            type="tel"
            autocomplete="off"
            value={mobile}
            onInput={(e) => setMobile(e.currentTarget.value)}
          />
          <button type="submit" class="primary" disabled={busy}>
            Avvia la prenotazione
          </button>
        </form>
        <form class="stack" onSubmit={(e) => void start(e, 'information')} aria-labelledby="info-title">
          <h2 id="info-title">Contatto informativo</h2>
          <p class="muted">Ticket ed esenzioni, orientamento, pagamenti: chiuso con un codice di esito.</p>
          <label for="channel">Canale</label>
          <select id="channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
            <option value="telefono">Telefono</option>
            <option value="email">Email</option>
            <option value="pec">PEC</option>
            <option value="fax">Fax</option>
            <option value="sportello">Sportello</option>
          </select>
          <button type="submit" disabled={busy}>
            Apri il contatto informativo
          </button>
        </form>
      </div>
    </section>
  );
}
