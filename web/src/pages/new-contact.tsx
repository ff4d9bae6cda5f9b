import { useEffect, useState } from 'preact/hooks';
import { api, newRequestKey } from '../api';
import { Notice, Problem } from '../components/problem';
import { navigate, useLocation } from '../router';
import { can, useSession } from '../session';
import { takeTaskOf } from '../tasks';
import { callSidOf } from '../voice';

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

/** A file the operator uploads during the call, as the API takes it. */
async function asDocument(file: File): Promise<{ filename: string; contentType: string; contentBase64: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { filename: file.name, contentType: file.type || 'application/octet-stream', contentBase64: btoa(binary) };
}

/**
 * A help-desk contact for a call (tributi, PEC, digital signature, online services,
 * training): the operator notes who called and why, attaches what the caller sent, and then
 * closes it in line or forwards it to a queue as a ticket, in the task that opens.
 */
function HelpDeskContactForm({ callSid }: { callSid: string | undefined }) {
  const [subject, setSubject] = useState('');
  const [notes, setNotes] = useState('');
  const [callerName, setCallerName] = useState('');
  const [fiscalCode, setFiscalCode] = useState('');
  const [phone, setPhone] = useState('');
  const [email, setEmail] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  // One key for this filled form: sent twice, it opens one contact.
  const [requestKey, setRequestKey] = useState(newRequestKey);
  const open = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const optional = (v: string) => (v.trim() ? v.trim() : undefined);
      const started = await api<{ processInstanceKey: string; businessKey: string }>('/api/helpdesk/contacts', {
        method: 'POST',
        idempotencyKey: requestKey,
        body: {
          channel: 'telefono',
          subject,
          notes: optional(notes),
          callerName: optional(callerName),
          fiscalCode: optional(fiscalCode),
          phone: optional(phone),
          email: optional(email),
          documents: await Promise.all(files.map(asDocument)),
          ...(callSid ? { callSid } : {}),
        },
      });
      // The next contact typed into this form is another one.
      setRequestKey(newRequestKey());
      setNotice(`Contatto ${started.businessKey} aperto. Apertura del compito…`);
      const task = await takeTaskOf(started.processInstanceKey, 'helpdesk-phone-contact');
      if (task) navigate(`/compiti/${task.key}`);
      else setNotice(`Contatto ${started.businessKey} aperto: il compito è nella coda degli operatori dell'help desk.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={(e) => void open(e)} aria-labelledby="helpdesk-title">
      <h2 id="helpdesk-title">Contatto dell'help desk regionale</h2>
      <p class="muted">
        Tributi, PEC, firma digitale, servizi on line, formazione: chiuso in linea o inoltrato come ticket.
      </p>
      <Notice text={notice} />
      <Problem error={error} />
      <label for="hd-subject">Oggetto della richiesta</label>
      <input
        id="hd-subject"
        required
        minLength={3}
        maxLength={200}
        value={subject}
        onInput={(e) => setSubject(e.currentTarget.value)}
      />
      <label for="hd-notes">Note della chiamata</label>
      <textarea
        id="hd-notes"
        rows={4}
        maxLength={4000}
        value={notes}
        onInput={(e) => setNotes(e.currentTarget.value)}
      />
      <label for="hd-name">Nome del richiedente (facoltativo)</label>
      <input id="hd-name" autocomplete="off" value={callerName} onInput={(e) => setCallerName(e.currentTarget.value)} />
      <label for="hd-fiscal-code">Codice fiscale (facoltativo)</label>
      <input
        id="hd-fiscal-code"
        autocomplete="off"
        value={fiscalCode}
        onInput={(e) => setFiscalCode(e.currentTarget.value.toUpperCase())}
      />
      <label for="hd-phone">Telefono (facoltativo)</label>
      <input
        id="hd-phone"
        type="tel"
        autocomplete="off"
        value={phone}
        onInput={(e) => setPhone(e.currentTarget.value)}
      />
      <label for="hd-email">Email per la risposta (facoltativa)</label>
      <input
        id="hd-email"
        type="email"
        autocomplete="off"
        value={email}
        onInput={(e) => setEmail(e.currentTarget.value)}
      />
      <label for="hd-documents">Documenti ricevuti (facoltativi, fino a 2,8 MB in tutto)</label>
      <input id="hd-documents" type="file" multiple onChange={(e) => setFiles([...(e.currentTarget.files ?? [])])} />
      <button type="submit" class="primary" disabled={busy}>
        Apri il contatto dell'help desk
      </button>
    </form>
  );
}

/**
 * What the operator starts while on the phone with a citizen: a booking from the electronic
 * prescription (the slot choice task opens, already in their hands), an information contact,
 * or, for the regional help desk, a help-desk contact.
 */
export function NewContactPage() {
  const { session } = useSession();
  const cup = can(session.user, 'cup:contact');
  const helpDesk = can(session.user, 'helpdesk:contact');
  // The call this contact is for, when the operator came from the telephone console.
  const callSid = callSidOf(useLocation());
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
    if (cup) api<{ items: Service[] }>('/api/cup/services').then((r) => setServices(r.items), setError);
  }, [cup]);

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
                ...(callSid ? { callSid } : {}),
              },
            })
          : await api<{ processInstanceKey: string; businessKey: string }>('/api/cup/information-contacts', {
              method: 'POST',
              body: { channel, ...(callSid ? { callSid } : {}) },
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
      {callSid && (
        <p class="muted" data-testid="linked-call">
          Collegato alla chiamata <code>{callSid}</code>.
        </p>
      )}
      <Notice text={notice} />
      <Problem error={error} />
      {cup && (
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
      )}
      {helpDesk && <HelpDeskContactForm callSid={callSid} />}
    </section>
  );
}
