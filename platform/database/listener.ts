import pg from 'pg';
import type { Logger } from '../logger.js';

export interface ListenerOptions {
  databaseUrl: string;
  channels: string[];
  /** Shown in `pg_stat_activity`. */
  applicationName: string;
  log: Logger;
  onNotification(n: pg.Notification): void;
  /**
   * Called after the connection came back: what was notified while it was down is lost, so
   * whoever relays notifications tells its clients to look again.
   */
  onReconnect?(): void;
}

/** First and longest wait between attempts to reconnect. */
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 10_000;

/**
 * One LISTEN connection that stays: when PostgreSQL restarts or the connection drops, it tries
 * again (1 s, then doubling up to 10 s) for as long as it takes, not once; each channel is
 * listened to again and `onReconnect` says that notifications may have been missed.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  private wait = FIRST_RETRY_MS;

  constructor(private readonly o: ListenerOptions) {}

  /** Connects; fails if the database cannot be reached now (the app's start reports it). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.o.databaseUrl, application_name: this.o.applicationName });
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      if (this.closed) return;
      this.o.log.warn(
        { err: err ? { name: err.name, message: err.message } : undefined, listener: this.o.applicationName },
        'database listener lost its connection; reconnecting',
      );
      this.scheduleRetry();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => this.o.onNotification(n));
    try {
      await client.connect();
      for (const channel of this.o.channels) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      lost = true;
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.wait = FIRST_RETRY_MS;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry) return;
    const ms = this.wait;
    this.wait = Math.min(this.wait * 2, MAX_RETRY_MS);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect().then(
        () => {
          if (this.closed) return;
          this.o.log.info({ listener: this.o.applicationName }, 'database listener connected again');
          this.o.onReconnect?.();
        },
        () => this.scheduleRetry(),
      );
    }, ms);
    this.retry.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
