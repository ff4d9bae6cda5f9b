import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, query } from '../api';
import { Notice, Problem } from '../components/problem';
import { Link } from '../router';
import { can, useSession } from '../session';
import { startSoftphone, type SoftphoneState } from '../softphone';
import { clientIdentity } from '../../../domain/voice/skills';
import type { Task, TaskDetail } from '../tasks';
import {
  clock,
  getTimed,
  isCupLine,
  label,
  LINE_LABELS,
  phone,
  PRESENCE_LABELS,
  QUEUE_LABELS,
  REQUEST_TYPE_LABELS,
  serverNow,
  followServerClock,
  SETTABLE,
  usePolling,
  type Me,
  type SettablePresence,
} from '../voice';

/** Seconds left of an offer, by the server's clock; ticks while there is one. */
function useCountdown(expiresAt: string | undefined): number | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!expiresAt) return;
    const timer = window.setInterval(() => setTick((n) => n + 1), 250);
    return () => window.clearInterval(timer);
  }, [expiresAt]);
  if (!expiresAt) return undefined;
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - serverNow()) / 1000));
}

/**
 * The contact task of a call: the `inbound-call` instance's user task, assigned to me. The
 * tasks API filters by process and assignee, not by business key, and gives the business key
 * only when the instance has it as a variable: failing that, my newest such tasks are read
 * until the one whose `callSid` variable is the call.
 */
async function contactTaskOf(callSid: string): Promise<string | undefined> {
  const list = await api<{ items: Task[] }>(
    `/api/tasks${query({ process: 'inbound-call', claim: 'mine', sort: 'created', limit: 5 })}`,
  );
  const byKey = list.items.find((t) => t.businessKey === callSid);
  if (byKey) return byKey.key;
  for (const t of list.items.filter((x) => !x.businessKey)) {
    const detail = await api<TaskDetail>(`/api/tasks/${t.key}`);
    if (detail.variables['callSid'] === callSid) return t.key;
  }
  return undefined;
}

/**
 * The operator's telephone in the workspace: presence, the call offered (accept or decline
 * before it lapses), the call in progress with its contact task and the flows to start for
 * it, hang-up. Polls the API every second while the page is shown.
 */
export function VoiceConsolePage() {
  const { session } = useSession();
  const user = session.user;
  const [me, setMe] = useState<Me>();
  const [pollError, setPollError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [announce, setAnnounce] = useState('');
  /** The contact task of the current call, once the engine has made it. */
  const [contact, setContact] = useState<{ callSid: string; taskKey: string }>();
  /** Whether calls come from the local simulator (true) or from Twilio (false). */
  const [simulated, setSimulated] = useState<boolean>();
  const lastOffer = useRef<string>();
  const [softphone, setSoftphone] = useState<SoftphoneState>({ kind: 'starting' });

  // With Twilio the call's audio is in this browser: the softphone registers as client:<username>.
  useEffect(() => {
    if (simulated !== false) return undefined;
    let stop: (() => void) | undefined;
    void startSoftphone(setSoftphone).then((s) => (stop = s));
    return () => stop?.();
  }, [simulated]);

  useEffect(() => {
    api('/api/voice/simulator/calls').then(
      () => setSimulated(true),
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 404) setSimulated(false);
      },
    );
  }, []);

  const load = async () => {
    try {
      const now = await getTimed<Me>('/api/voice/me');
      followServerClock(now.now);
      setMe(now);
      setPollError(undefined);
      if (now.offer && now.offer.callSid !== lastOffer.current) {
        setAnnounce(
          `Chiamata in arrivo: ${label(LINE_LABELS, now.call?.line ?? now.offer.queue)}, ${label(REQUEST_TYPE_LABELS, now.offer.requestType)}.`,
        );
      }
      lastOffer.current = now.offer?.callSid;
      const sid = now.currentCall;
      if (!sid) setContact(undefined);
      else if (contact?.callSid !== sid && can(user, 'tasks:work')) {
        const taskKey = await contactTaskOf(sid);
        if (taskKey) setContact({ callSid: sid, taskKey });
      }
    } catch (err) {
      setPollError(err);
    }
  };
  usePolling(load, 1000);

  const act = async (what: () => Promise<unknown>, done?: string) => {
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      await what();
      if (done) setNotice(done);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      await load();
    }
  };
  const setPresence = (presence: SettablePresence) =>
    act(() => api('/api/voice/me/presence', { method: 'PUT', body: { presence } }));
  const accept = (sid: string) =>
    act(
      () => api(`/api/voice/offers/${sid}/accept`, { method: 'POST' }),
      'Chiamata accettata: il chiamante ascolta il tuo codice.',
    );
  const decline = (sid: string) =>
    act(() => api(`/api/voice/offers/${sid}/decline`, { method: 'POST' }), 'Chiamata rifiutata: passa a un collega.');
  const hangUp = (sid: string) =>
    act(
      () => api(`/api/voice/calls/${sid}/hangup`, { method: 'POST' }),
      "Chiamata chiusa: scegli l'esito nel contatto per tornare disponibile.",
    );

  const left = useCountdown(me?.offer?.expiresAt);

  if (!me) {
    return (
      <section>
        <h1 tabIndex={-1}>Console telefonica</h1>
        {pollError ? <Problem error={pollError} /> : <p aria-busy="true">Caricamento…</p>}
      </section>
    );
  }
  const inCall = me.presence === 'in-conversazione' || me.presence === 'post-chiamata';
  const call = me.call;
  const current = me.currentCall && call?.callSid === me.currentCall ? call : undefined;
  const offerCall = me.offer && call?.callSid === me.offer.callSid ? call : undefined;
  const cup = can(user, 'cup:contact');
  const helpDesk = can(user, 'helpdesk:contact');
  return (
    <section class="voice-console">
      <h1 tabIndex={-1}>Console telefonica</h1>
      <p class="visually-hidden" aria-live="assertive">
        {announce}
      </p>
      <dl class="facts voice-me">
        <dt>Operatore</dt>
        <dd>{me.username}</dd>
        <dt>Codice operatore</dt>
        <dd>
          <strong data-testid="operator-code">{me.code}</strong>{' '}
          <span class="muted">(lo ascolta il chiamante prima di parlarti)</span>
        </dd>
        <dt>Code</dt>
        <dd>{me.skills.map((s) => label(QUEUE_LABELS, s)).join(', ') || '—'}</dd>
      </dl>
      {simulated === false && (
        <div
          class={`alert ${softphone.kind === 'ready' || softphone.kind === 'in-call' ? 'alert-info' : 'alert-warn'}`}
          role="status"
        >
          <strong>Softphone</strong>{' '}
          {softphone.kind === 'ready' && <span data-testid="softphone">pronto come client:{softphone.identity}</span>}
          {softphone.kind === 'in-call' && <span data-testid="softphone">in conversazione</span>}
          {softphone.kind === 'starting' && <span data-testid="softphone">in avvio…</span>}
          {softphone.kind === 'off' && (
            <span data-testid="softphone">
              {softphone.reason}: la chiamata accettata va al client <code>client:{clientIdentity(me.username)}</code>,
              che qui non è registrato (servono TWILIO_API_KEY_SID e TWILIO_API_KEY_SECRET).
            </span>
          )}
          {softphone.kind === 'error' && <span data-testid="softphone">errore: {softphone.message}</span>}
        </div>
      )}
      {simulated === true && (
        <p class="muted">
          Ambiente locale: le chiamate arrivano dal <Link href="/simulatore">Simulatore chiamate</Link>, dove il
          collegamento con <code>client:{clientIdentity(me.username)}</code> è simulato.
        </p>
      )}

      <fieldset class="presence">
        <legend>Stato</legend>
        <p role="status" data-testid="presence">
          <span class={`presence-badge presence-${me.presence}`}>{PRESENCE_LABELS[me.presence]}</span>{' '}
          <span class="muted">dalle {clock(me.presenceSince)}</span>
        </p>
        <div class="actions">
          {SETTABLE.map((p) => (
            <button
              key={p}
              type="button"
              aria-pressed={me.presence === p}
              class={me.presence === p ? 'primary' : undefined}
              disabled={busy || inCall}
              onClick={() => void setPresence(p)}
            >
              {PRESENCE_LABELS[p]}
            </button>
          ))}
        </div>
        {inCall && (
          <p class="muted">
            {me.presence === 'in-conversazione'
              ? 'Durante la conversazione lo stato non si cambia.'
              : "Chiudi il contatto con l'esito: torni Disponibile."}
          </p>
        )}
      </fieldset>

      <Notice text={notice} />
      <Problem error={error} />
      {pollError !== undefined && (
        <div class="alert alert-warn" role="status">
          Aggiornamento non riuscito: nuovo tentativo tra un secondo.
        </div>
      )}

      {me.offer && (
        <section class="voice-card voice-offer" aria-labelledby="offer-title" data-testid="offer">
          <h2 id="offer-title">{me.offer.callback ? 'Richiamata da fare' : 'Chiamata in arrivo'}</h2>
          <dl class="facts">
            <dt>Linea</dt>
            <dd data-testid="offer-line">{label(LINE_LABELS, offerCall?.line ?? me.offer.queue)}</dd>
            <dt>Richiesta</dt>
            <dd data-testid="offer-request">{label(REQUEST_TYPE_LABELS, me.offer.requestType)}</dd>
            <dt>Chiamante</dt>
            <dd>{phone(offerCall?.caller)}</dd>
            <dt>Scade tra</dt>
            <dd data-testid="offer-countdown">{left === undefined ? '—' : left > 0 ? `${left} s` : 'pochi istanti'}</dd>
          </dl>
          <div class="actions">
            <button type="button" class="primary" disabled={busy} onClick={() => void accept(me.offer?.callSid ?? '')}>
              Accetta
            </button>
            <button type="button" disabled={busy} onClick={() => void decline(me.offer?.callSid ?? '')}>
              Rifiuta
            </button>
          </div>
        </section>
      )}

      {me.currentCall && (
        <section class="voice-card" aria-labelledby="call-title" data-testid="current-call">
          <h2 id="call-title">{me.presence === 'post-chiamata' ? 'Post-chiamata' : 'Chiamata in corso'}</h2>
          <dl class="facts">
            <dt>Chiamante</dt>
            <dd data-testid="call-caller">
              {phone(current?.caller)}
              {(me.callerPatients ?? []).map((p) => (
                <span key={p.id} class="caller-patient">
                  {' '}
                  · {p.name} ({p.fiscalCode})
                </span>
              ))}
            </dd>
            <dt>Linea</dt>
            <dd data-testid="call-line">{label(LINE_LABELS, current?.line)}</dd>
            <dt>Scelta nel risponditore</dt>
            <dd>{label(REQUEST_TYPE_LABELS, current?.requestType)}</dd>
            <dt>Arrivata</dt>
            <dd>{clock(current?.arrivedAt)}</dd>
            <dt>In coda</dt>
            <dd>{clock(current?.offeredAt)}</dd>
            <dt>Risposta</dt>
            <dd>{clock(current?.answeredAt)}</dd>
            {current?.endedAt && (
              <>
                <dt>Fine</dt>
                <dd>{clock(current.endedAt)}</dd>
              </>
            )}
            <dt>Chiamata</dt>
            <dd>
              <code>{me.currentCall}</code>
            </dd>
          </dl>
          <div class="actions">
            {me.presence === 'in-conversazione' && !current?.endedAt && (
              <button type="button" disabled={busy} onClick={() => void hangUp(me.currentCall ?? '')}>
                Riaggancia
              </button>
            )}
            {contact?.callSid === me.currentCall ? (
              <Link class="button primary" href={`/compiti/${contact.taskKey}`}>
                Apri il contatto
              </Link>
            ) : (
              <span class="muted" aria-busy="true">
                Apertura del contatto…
              </span>
            )}
          </div>
          {current && ((isCupLine(current.line) && cup) || (!isCupLine(current.line) && helpDesk)) && (
            <>
              <h3>Avvia per questa chiamata</h3>
              <div class="actions">
                {isCupLine(current.line) ? (
                  <>
                    <Link class="button" href={`/contatti/nuovo?callSid=${current.callSid}`}>
                      Prenotazione
                    </Link>
                    <Link class="button" href={`/contatti/disdetta?callSid=${current.callSid}`}>
                      Disdetta
                    </Link>
                    <Link class="button" href={`/contatti/nuovo?callSid=${current.callSid}`}>
                      Informazioni
                    </Link>
                  </>
                ) : (
                  <Link class="button" href={`/contatti/nuovo?callSid=${current.callSid}`}>
                    Contatto help desk
                  </Link>
                )}
              </div>
            </>
          )}
        </section>
      )}
      {!me.offer && !me.currentCall && (
        <p class="empty" data-testid="no-call">
          {me.presence === 'disponibile'
            ? 'Nessuna chiamata: la prossima della tua coda ti sarà offerta qui.'
            : 'Non ricevi chiamate: scegli Disponibile per riceverle.'}
        </p>
      )}
    </section>
  );
}
