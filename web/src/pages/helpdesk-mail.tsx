import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Problem } from '../components/problem';
import { TicketPanel } from '../components/ticket-panel';
import { when } from '../format';
import {
  ANSWER_TARGET_BUSINESS_HOURS,
  businessHours,
  mailboxLabel,
  OUTBOX_STATUS_LABELS,
  pecTypeLabel,
  type MailboxBacklog,
  type OutboxItem,
} from '../helpdesk';
import { can, useSession } from '../session';

const PAGE = 50;
const MAX = 500;

/**
 * "Posta": the help desk's mailboxes against the contract's answer target, and what the
 * help desk sent. The backlog is for who works the mail or oversees all tasks; the outbox
 * (people's addresses and texts) only for who works the mail.
 */
export function HelpDeskMailPage() {
  const { session } = useSession();
  const user = session.user;
  const mayManage = can(user, 'helpdesk:manage');
  const mayBacklog = mayManage || can(user, 'tasks:view-all');
  const mayReadTickets = mayManage || can(user, 'tickets:view');
  return (
    <section>
      <h1 tabIndex={-1}>Posta dell’help desk</h1>
      {mayBacklog && <Backlog />}
      {mayManage && <Outbox mayReadTickets={mayReadTickets} />}
      {!mayBacklog && <p class="empty">Non hai i permessi per vedere la posta dell’help desk.</p>}
    </section>
  );
}

function Backlog() {
  const [rows, setRows] = useState<MailboxBacklog[]>();
  const [error, setError] = useState<unknown>();
  const load = () =>
    api<{ items: MailboxBacklog[] }>('/api/helpdesk/backlog').then(
      (r) => {
        setRows(r.items);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  useEffect(() => {
    void load();
  }, []);
  const late = rows?.filter((r) => r.overTarget) ?? [];
  return (
    <section aria-labelledby="backlog-heading">
      <div class="panel-heading">
        <h2 id="backlog-heading">Messaggi in attesa per casella</h2>
        <button type="button" onClick={() => void load()}>
          Aggiorna<span class="visually-hidden"> i messaggi in attesa</span>
        </button>
      </div>
      <p class="muted">
        Obiettivo del contratto: una risposta entro {ANSWER_TARGET_BUSINESS_HOURS} ore lavorative (sabato pomeriggio,
        domeniche e festivi nazionali non contano).
      </p>
      <Problem error={error} />
      {late.length > 0 && (
        <div class="alert alert-error" data-testid="backlog-late">
          <strong>Oltre l’obiettivo</strong>
          <p>
            {late.map((r) => mailboxLabel(r.mailbox)).join(', ')}: il messaggio più vecchio senza risposta ha superato
            le {ANSWER_TARGET_BUSINESS_HOURS} ore lavorative.
          </p>
        </div>
      )}
      {rows === undefined ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : rows.length === 0 ? (
        <p class="empty">Nessuna casella configurata.</p>
      ) : (
        <table class="list" aria-labelledby="backlog-heading" data-testid="backlog">
          <thead>
            <tr>
              <th scope="col">Casella</th>
              <th scope="col">Da trattare</th>
              <th scope="col">In quarantena</th>
              <th scope="col">Più vecchio senza risposta</th>
              <th scope="col">Attesa</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.mailbox} class={r.overTarget ? 'row-over-target' : undefined} data-mailbox={r.mailbox}>
                <th scope="row">{mailboxLabel(r.mailbox)}</th>
                <td>{r.open}</td>
                <td>{r.quarantined}</td>
                <td>{when(r.oldestUnansweredAt)}</td>
                <td>
                  {r.oldestUnansweredBusinessHours === null ? (
                    '—'
                  ) : (
                    <>
                      {businessHours(r.oldestUnansweredBusinessHours)}
                      {r.overTarget && (
                        <strong class="over-target"> · oltre le {ANSWER_TARGET_BUSINESS_HOURS} ore</strong>
                      )}
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Outbox({ mayReadTickets }: { mayReadTickets: boolean }) {
  const [limit, setLimit] = useState(PAGE);
  const [items, setItems] = useState<OutboxItem[]>();
  const [error, setError] = useState<unknown>();
  const [ticket, setTicket] = useState<string>();
  const load = () =>
    api<{ items: OutboxItem[] }>(`/api/helpdesk/outbox?limit=${limit}`).then(
      (r) => {
        setItems(r.items);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  useEffect(() => {
    void load();
  }, [limit]);
  // The chosen ticket opens below the table: take the keyboard there.
  useEffect(() => {
    if (ticket) document.getElementById(`outbox-ticket-${ticket}`)?.focus();
  }, [ticket]);
  const local = items?.some((i) => i.transport === 'local') ?? false;
  return (
    <section aria-labelledby="outbox-heading">
      <div class="panel-heading">
        <h2 id="outbox-heading">Posta inviata</h2>
        <button type="button" onClick={() => void load()}>
          Aggiorna<span class="visually-hidden"> la posta inviata</span>
        </button>
      </div>
      {local && (
        <div class="alert alert-warn" data-testid="outbox-local">
          Posta in uscita locale: nessun messaggio lascia questa macchina.
        </div>
      )}
      <Problem error={error} />
      {items === undefined ? (
        !error && <p aria-busy="true">Caricamento…</p>
      ) : items.length === 0 ? (
        <p class="empty">Nessun messaggio inviato.</p>
      ) : (
        <>
          <table class="list" aria-labelledby="outbox-heading" data-testid="outbox">
            <thead>
              <tr>
                <th scope="col">Creato</th>
                <th scope="col">Destinatario</th>
                <th scope="col">Oggetto e testo</th>
                <th scope="col">Ticket</th>
                <th scope="col">Stato</th>
              </tr>
            </thead>
            <tbody>
              {items.map((o) => (
                <tr key={o.id} data-outbox-id={o.id}>
                  <td>{when(o.createdAt)}</td>
                  <td class="mail-address">{o.to}</td>
                  <td>
                    <details>
                      <summary>{o.subject}</summary>
                      <div class="mail-text">{o.text}</div>
                    </details>
                  </td>
                  <td>
                    {o.ticketId ? (
                      mayReadTickets ? (
                        <button
                          type="button"
                          class="link"
                          aria-expanded={ticket === o.ticketId}
                          onClick={() => setTicket(ticket === o.ticketId ? undefined : (o.ticketId ?? undefined))}
                        >
                          n. {o.ticketId}
                          <span class="visually-hidden"> (mostra il ticket)</span>
                        </button>
                      ) : (
                        `n. ${o.ticketId}`
                      )
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    <span class={o.status === 'sent' ? undefined : 'warn-text'}>{OUTBOX_STATUS_LABELS[o.status]}</span>
                    {o.sentAt && <span class="muted"> {when(o.sentAt)}</span>}
                    {o.transport === 'local' && <span class="muted"> · locale</span>}
                    {(o.pecReceipts ?? []).length > 0 && (
                      <ul class="receipts">
                        {(o.pecReceipts ?? []).map((r) => (
                          <li key={r.mailId}>
                            {pecTypeLabel(r.tipo)} · {when(r.data)}
                            {r.errore && r.errore !== 'nessuno' ? ` · errore: ${r.errore}` : ''}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length >= limit && limit < MAX && (
            <p>
              <button type="button" onClick={() => setLimit(Math.min(MAX, limit + PAGE))}>
                Mostra altri messaggi
              </button>
            </p>
          )}
        </>
      )}
      {ticket && <TicketPanel key={ticket} ticketId={ticket} headingId={`outbox-ticket-${ticket}`} />}
    </section>
  );
}
