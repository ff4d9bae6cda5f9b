import type { Tickets } from '../../adapters/tickets/tickets.js';
import type { EngineClient } from '../../platform/engine/operaton.js';
import type { Logger } from '../../platform/logger.js';

/** The BPMN message a flow waiting for a third-level office catches (correlated by `ticketId`). */
export const TICKET_RESOLVED = 'ticket-resolved';

/**
 * RT reads a TicketSQL date in its user's time zone, which may not be UTC: the window looks
 * back this much further than the last poll, and the waiting tickets filter what it returns.
 */
const LOOK_BACK_MS = 26 * 3_600_000;
const FIRST_LOOK_BACK_MS = 30 * 24 * 3_600_000;

const sqlDate = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/**
 * Follows the tickets a flow is waiting on at a third-level office (ADR 0012): every poll it
 * asks the engine which tickets are waited for, asks RT with TicketSQL which tickets were
 * resolved since the last poll, and delivers `ticket-resolved` to the waiting instances. It
 * needs nothing in RT beyond REST2 (no scrip, no Perl). Several nodes may poll: an instance
 * receives the message once, the others find nobody waiting.
 */
export class TicketFollower {
  private since: Date;

  constructor(
    private readonly engine: EngineClient,
    private readonly tickets: Tickets,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.since = new Date(this.now().getTime() - FIRST_LOOK_BACK_MS);
  }

  /** One poll; how many waiting instances were told their ticket is resolved. */
  async poll(): Promise<number> {
    const started = this.now();
    const waiting = await this.waitingTickets();
    if (waiting.size === 0) {
      this.since = new Date(started.getTime() - LOOK_BACK_MS);
      return 0;
    }
    const resolved = await this.tickets.search(`Status = 'resolved' AND LastUpdated > '${sqlDate(this.since)}'`);
    let told = 0;
    for (const t of resolved) {
      if (!waiting.has(t.id)) continue;
      told += await this.engine.correlateMessage(TICKET_RESOLVED, { processVariables: { ticketId: t.id } });
    }
    this.since = new Date(started.getTime() - LOOK_BACK_MS);
    return told;
  }

  /** Polls every `intervalMs` until stopped; a failed poll is logged and tried again. */
  start(intervalMs: number): () => Promise<void> {
    let stopped = false;
    let running: Promise<unknown> = Promise.resolve();
    const tick = () => {
      if (stopped) return;
      running = this.poll()
        .catch((err: Error) =>
          this.log.warn({ err: { name: err.name, message: err.message } }, 'ticket follow-up failed'),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, intervalMs);
        });
    };
    let timer = setTimeout(tick, intervalMs);
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    };
  }

  private async waitingTickets(): Promise<Set<string>> {
    const executions = await this.engine.request<{ processInstanceId: string }[]>('GET', '/execution', {
      query: { messageEventSubscriptionName: TICKET_RESOLVED },
    });
    const ids = new Set<string>();
    for (const pi of new Set(executions.map((e) => e.processInstanceId))) {
      const v = await this.engine
        .request<{ value: unknown }>('GET', `/process-instance/${encodeURIComponent(pi)}/variables/ticketId`)
        .catch(() => undefined);
      if (typeof v?.value === 'string') ids.add(v.value);
    }
    return ids;
  }
}
