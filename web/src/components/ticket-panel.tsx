import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { when } from '../format';
import { ticketStatusLabel, TRANSACTION_LABELS, type TicketTransaction, type TicketView } from '../helpdesk';
import { Problem } from './problem';

/** What one history entry changed, in words: "Stato: new → open". */
function change(t: TicketTransaction): string {
  if (!t.field && !t.oldValue && !t.newValue) return '';
  const field = t.field === 'Status' ? 'Stato' : t.field === 'Queue' ? 'Coda' : t.field;
  const value = (v: string | undefined) => (t.field === 'Status' && v ? ticketStatusLabel(v) : (v ?? '—'));
  const values = t.oldValue || t.newValue ? `${value(t.oldValue)} → ${value(t.newValue)}` : '';
  return [field, values].filter(Boolean).join(': ');
}

/**
 * A help-desk ticket beside a task or in the mail page: its queue, status, requestors and
 * history as Request Tracker (or the local ticket store) keeps them.
 */
export function TicketPanel({ ticketId, headingId }: { ticketId: string; headingId?: string }) {
  const [view, setView] = useState<TicketView>();
  const [error, setError] = useState<unknown>();
  const id = headingId ?? `ticket-${ticketId}`;
  const load = () =>
    api<TicketView>(`/api/helpdesk/tickets/${encodeURIComponent(ticketId)}`).then(
      (v) => {
        setView(v);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  useEffect(() => {
    setView(undefined);
    void load();
  }, [ticketId]);

  return (
    <section class="helpdesk-panel ticket-panel" aria-labelledby={id} data-testid="ticket-panel">
      <div class="panel-heading">
        <h2 id={id} tabIndex={-1}>
          Ticket n. {ticketId}
        </h2>
        <button type="button" onClick={() => void load()}>
          Aggiorna<span class="visually-hidden"> il ticket {ticketId}</span>
        </button>
      </div>
      <Problem error={error} />
      {!view && !error && <p aria-busy="true">Caricamento del ticket…</p>}
      {view && (
        <>
          <dl class="facts">
            <dt>Oggetto</dt>
            <dd>{view.ticket.subject || '—'}</dd>
            <dt>Coda</dt>
            <dd data-testid="ticket-queue">{view.ticket.queue}</dd>
            <dt>Stato</dt>
            <dd data-testid="ticket-status">{ticketStatusLabel(view.ticket.status)}</dd>
            <dt>Richiedenti</dt>
            <dd>{view.ticket.requestors.join(', ') || '—'}</dd>
            <dt>Aperto</dt>
            <dd>{when(view.ticket.created)}</dd>
            <dt>Ultimo aggiornamento</dt>
            <dd>{when(view.ticket.lastUpdated)}</dd>
            {Object.entries(view.ticket.customFields)
              .filter(([, v]) => v)
              .map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </Fragment>
              ))}
          </dl>
          {view.attachments.length > 0 && (
            <>
              <h3>Allegati del ticket</h3>
              <ul class="attachment-list">
                {view.attachments.map((a) => (
                  <li key={a.id}>
                    {a.filename} <span class="muted">({a.contentType})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Storia del ticket</h3>
          {view.history.length === 0 ? (
            <p class="muted">Nessuna operazione registrata.</p>
          ) : (
            <table class="list" aria-label={`Storia del ticket ${ticketId}`}>
              <thead>
                <tr>
                  <th scope="col">Quando</th>
                  <th scope="col">Operazione</th>
                  <th scope="col">Dettaglio</th>
                  <th scope="col">Autore</th>
                </tr>
              </thead>
              <tbody>
                {view.history.map((t) => (
                  <tr key={t.id}>
                    <td>{when(t.created)}</td>
                    <td>{TRANSACTION_LABELS[t.type] ?? t.type}</td>
                    <td>{change(t) || '—'}</td>
                    <td>{t.creator}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
