import { Link } from '../router';
import type { PendingApproval } from '../model-approvals';

/**
 * After a deploy answered 202: the model was not deployed, it waits for another person's
 * approval, and why (which tasks make which worker act, with which permission).
 */
export function PendingApprovalNotice({ pending }: { pending: PendingApproval | undefined }) {
  if (!pending) return null;
  return (
    <div class="alert alert-warn" role="status" data-testid="pending-approval">
      <strong>In attesa di approvazione</strong>
      <p>{pending.message}</p>
      <ul>
        {pending.reasons.map((r) => (
          <li key={r.permission}>
            {r.message}
            {pending.missing.includes(r.permission) ? ' Il tuo ruolo non ha questo permesso.' : ''}
          </li>
        ))}
      </ul>
      <p>
        La richiesta n. {pending.approval.id} è nella pagina <Link href="/approvazioni">Approvazioni</Link>: la approva
        o la rifiuta un’altra persona che ha questi permessi.
      </p>
    </div>
  );
}
