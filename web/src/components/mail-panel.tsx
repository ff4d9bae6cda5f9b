import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { when } from '../format';
import {
  attachmentUrl,
  AUTOMATIC_LABELS,
  CHANNEL_LABELS,
  fileSize,
  htmlDocument,
  mailboxLabel,
  mailIdOf,
  OUTBOX_STATUS_LABELS,
  pecTypeLabel,
  ticketIdOf,
  type MailRecord,
} from '../helpdesk';
import { can, useSession } from '../session';
import { Problem } from './problem';
import { TicketPanel } from './ticket-panel';

/** Flow variables that name a ticket: the one opened, the one a reply joins, the one a bounce is about. */
const TICKET_VARIABLES = ['ticketId', 'replyToTicket', 'bouncedTicket'] as const;

/**
 * The help desk's panels beside a task: the received message when the flow names one
 * (`mailId`, for who works the mail) and the tickets it names (`ticketId` and the like, for
 * who may read tickets). Nothing on other tasks.
 */
export function HelpDeskTaskPanels({ variables }: { variables: Record<string, unknown> }) {
  const { session } = useSession();
  const user = session.user;
  const mailId = can(user, 'helpdesk:manage') ? mailIdOf(variables['mailId']) : undefined;
  const mayReadTickets = can(user, 'tickets:view') || can(user, 'helpdesk:manage');
  const tickets = mayReadTickets
    ? [...new Set(TICKET_VARIABLES.map((name) => ticketIdOf(variables[name])).filter((t) => t !== undefined))]
    : [];
  if (!mailId && tickets.length === 0) return null;
  return (
    <div class="helpdesk-panels">
      {mailId ? (
        <MailPanel mailId={mailId} tickets={tickets} />
      ) : (
        tickets.map((t) => <TicketPanel key={t} ticketId={t} />)
      )}
    </div>
  );
}

/**
 * "Messaggio ricevuto": who wrote, to which mailbox, when, why it is quarantined, the text
 * (or the server's sanitised HTML in a frame that runs nothing), the attachments, what we
 * sent back, and the message's ticket.
 */
export function MailPanel({ mailId, tickets = [] }: { mailId: string; tickets?: string[] }) {
  const [mail, setMail] = useState<MailRecord>();
  const [error, setError] = useState<unknown>();
  const [showHtml, setShowHtml] = useState(false);
  useEffect(() => {
    setMail(undefined);
    setShowHtml(false);
    api<MailRecord>(`/api/helpdesk/mail/${encodeURIComponent(mailId)}`).then(
      (m) => {
        setMail(m);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  }, [mailId]);

  const ticketIds = [...new Set([...(mail?.ticketId ? [mail.ticketId] : []), ...tickets])];
  return (
    <>
      <section class="helpdesk-panel mail-panel" aria-labelledby="mail-panel-heading" data-testid="mail-panel">
        <h2 id="mail-panel-heading">Messaggio ricevuto</h2>
        <Problem error={error} />
        {!mail && !error && <p aria-busy="true">Caricamento del messaggio…</p>}
        {mail && <MailBody mail={mail} showHtml={showHtml} setShowHtml={setShowHtml} />}
      </section>
      {mail && ticketIds.map((t) => <TicketPanel key={t} ticketId={t} />)}
    </>
  );
}

function MailBody({
  mail,
  showHtml,
  setShowHtml,
}: {
  mail: MailRecord;
  showHtml: boolean;
  setShowHtml: (v: boolean) => void;
}) {
  const pec = mail.pec;
  return (
    <>
      {mail.status === 'quarantined' && (
        <div class="alert alert-error quarantine-reason" data-testid="quarantine-reason">
          <strong>Messaggio in quarantena</strong>
          <p>{mail.quarantineReason ?? 'Il messaggio non ha superato i controlli.'}</p>
        </div>
      )}
      {mail.automatic && mail.automatic !== 'no' && (
        <div class="alert alert-warn" data-testid="automatic-note">
          <strong>Messaggio automatico</strong>
          <p>
            Scritto da un programma, non da una persona: {AUTOMATIC_LABELS[mail.automatic] ?? mail.automatic}. Non
            riceve la conferma con il numero di ticket.
          </p>
        </div>
      )}
      <dl class="facts">
        <dt>Mittente</dt>
        <dd data-testid="mail-sender">
          {mail.fromName && <span>{mail.fromName} </span>}
          {mail.fromAddress ? (
            <span class="mail-address">&lt;{mail.fromAddress}&gt;</span>
          ) : (
            !mail.fromName && <span class="muted">sconosciuto</span>
          )}
        </dd>
        {mail.replyTo && mail.replyTo !== mail.fromAddress && (
          <>
            <dt>Rispondere a</dt>
            <dd>{mail.replyTo}</dd>
          </>
        )}
        <dt>Casella</dt>
        <dd>
          {mailboxLabel(mail.mailbox)} · {CHANNEL_LABELS[mail.channel] ?? mail.channel}
        </dd>
        <dt>Ricevuto</dt>
        <dd>{when(mail.receivedAt)}</dd>
        {mail.sentAt && (
          <>
            <dt>Inviato dal mittente</dt>
            <dd>{when(mail.sentAt)}</dd>
          </>
        )}
        <dt>Oggetto</dt>
        <dd data-testid="mail-subject">{mail.subject || <span class="muted">(senza oggetto)</span>}</dd>
        {mail.suggestedQueue && (
          <>
            <dt>Coda proposta</dt>
            <dd>{mail.suggestedQueue}</dd>
          </>
        )}
        {mail.ticketId && (
          <>
            <dt>Ticket</dt>
            <dd>n. {mail.ticketId}</dd>
          </>
        )}
        {mail.archivedAt && (
          <>
            <dt>Archiviato</dt>
            <dd>{when(mail.archivedAt)}</dd>
          </>
        )}
      </dl>

      {pec && (
        <>
          <h3>Certificazione PEC</h3>
          <dl class="facts" data-testid="pec-facts">
            <dt>Tipo</dt>
            <dd>{pecTypeLabel(pec.tipo)}</dd>
            <dt>Mittente certificato</dt>
            <dd>{pec.mittente ?? '—'}</dd>
            <dt>Identificativo</dt>
            <dd class="mail-address">{pec.identificativo ?? '—'}</dd>
            <dt>Data del gestore</dt>
            <dd>{when(pec.data)}</dd>
            {pec.gestoreEmittente && (
              <>
                <dt>Gestore</dt>
                <dd>{pec.gestoreEmittente}</dd>
              </>
            )}
            {pec.errore && pec.errore !== 'nessuno' && (
              <>
                <dt>Errore</dt>
                <dd>
                  {pec.errore}
                  {pec.erroreEsteso ? `: ${pec.erroreEsteso}` : ''}
                </dd>
              </>
            )}
          </dl>
        </>
      )}

      <div class="panel-heading">
        <h3 id="mail-body-heading">Testo</h3>
        {mail.html && (
          <button type="button" aria-pressed={showHtml} onClick={() => setShowHtml(!showHtml)}>
            {showHtml ? 'Mostra il testo semplice' : 'Mostra il testo HTML (ripulito)'}
          </button>
        )}
      </div>
      {showHtml && mail.html ? (
        <>
          <p class="muted">
            Versione HTML ripulita dal server, mostrata in un riquadro isolato: script, moduli e immagini remote non
            vengono eseguiti né caricati.
          </p>
          <iframe
            class="mail-html"
            title="Testo HTML del messaggio, ripulito e isolato"
            sandbox=""
            referrerpolicy="no-referrer"
            srcdoc={htmlDocument(mail.html)}
            data-testid="mail-html"
          />
        </>
      ) : (
        <div class="mail-text" aria-labelledby="mail-body-heading" role="region" tabIndex={0} data-testid="mail-text">
          {mail.text || <span class="muted">(nessun testo)</span>}
        </div>
      )}

      <h3>Allegati</h3>
      {mail.attachments.length === 0 ? (
        <p class="muted">Nessun allegato.</p>
      ) : (
        <ul class="attachment-list" data-testid="mail-attachments">
          {mail.attachments.map((a) => (
            <li key={a.index}>
              <a href={attachmentUrl(mail.id, a.index)} target="_blank" rel="noopener">
                {a.filename}
              </a>{' '}
              <span class="muted">
                ({a.contentType}, {fileSize(a.size)})
              </span>
            </li>
          ))}
        </ul>
      )}

      {mail.sent.length > 0 && (
        <>
          <h3>Inviati al richiedente</h3>
          <ul class="sent-list">
            {mail.sent.map((o) => (
              <li key={o.id}>
                {when(o.sentAt ?? o.createdAt)} · {o.subject} · a {o.to} ·{' '}
                <span class={o.status === 'sent' ? undefined : 'warn-text'}>{OUTBOX_STATUS_LABELS[o.status]}</span>
                {o.transport === 'local' && <span class="muted"> (posta in uscita locale)</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
