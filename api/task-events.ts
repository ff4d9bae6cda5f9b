import type { Request, Response } from 'express';
import { ENGINE_PROGRESS_CHANNEL, TASK_EVENTS_CHANNEL, type TaskInbox } from '../domain/tasks/inbox.js';
import type { Logger } from '../platform/logger.js';
import { PgListener } from '../platform/database/listener.js';

/**
 * Live task updates for open tasklists: one LISTEN connection per API process relays the
 * inbox's NOTIFYs (claims, releases, completions made through any API process) as
 * server-sent events, and a watcher asks the engine for tasks created since the last look
 * (the engine creates tasks without telling anyone): at once when a worker says an instance
 * moved on (ENGINE_PROGRESS_CHANNEL), and every `watchMs` for what timers, messages or other
 * clients of the engine created. Clients refetch their
 * (role-filtered) list when an event arrives, so the stream itself carries nothing a
 * person may not see.
 */
export class TaskEventStream {
  private listener: PgListener | undefined;
  private readonly clients = new Set<Response>();
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private watcher: NodeJS.Timeout | undefined;
  private since = new Date();
  private readonly seen = new Set<string>();
  private looking: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly log: Logger,
    private readonly watch?: { inbox: TaskInbox; watchMs: number },
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => this.broadcast(': ping\n\n'), 25_000);
    this.heartbeat.unref();
    if (this.watch) this.scheduleWatch(this.watch.inbox, this.watch.watchMs);
  }

  private scheduleWatch(inbox: TaskInbox, ms: number): void {
    this.watcher = setTimeout(() => {
      void this.look(inbox).finally(() => {
        if (!this.closed) this.scheduleWatch(inbox, ms);
      });
    }, ms);
    this.watcher.unref();
  }

  /** One look at a time; a request meanwhile makes one more look after it. */
  private look(inbox: TaskInbox): Promise<void> {
    if (this.looking) {
      this.again = true;
      return this.looking;
    }
    this.looking = this.lookForNewTasks(inbox).finally(() => {
      this.looking = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        void this.look(inbox);
      }
    });
    return this.looking;
  }

  private async lookForNewTasks(inbox: TaskInbox): Promise<void> {
    if (this.clients.size === 0) {
      this.since = new Date(Date.now() - 1000);
      return;
    }
    try {
      // One second of overlap: the engine's clock and ours may differ by a little.
      const fresh = await inbox.newSince(new Date(this.since.getTime() - 1000));
      for (const t of fresh) {
        if (this.seen.has(t.key)) continue;
        this.seen.add(t.key);
        this.broadcast(`event: task\ndata: ${JSON.stringify({ key: t.key, action: 'created' })}\n\n`);
        const created = new Date(t.created);
        if (created > this.since) this.since = created;
      }
      if (this.seen.size > 5000) this.seen.clear();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'task watcher could not reach the engine');
    }
  }

  private connect(): Promise<void> {
    this.listener = new PgListener({
      databaseUrl: this.databaseUrl,
      channels: this.watch ? [TASK_EVENTS_CHANNEL, ENGINE_PROGRESS_CHANNEL] : [TASK_EVENTS_CHANNEL],
      applicationName: 'contact-center-events',
      log: this.log,
      onNotification: (n) => {
        if (n.channel === ENGINE_PROGRESS_CHANNEL) {
          if (this.watch && this.clients.size > 0) void this.look(this.watch.inbox);
          return;
        }
        if (n.payload) this.broadcast(`event: task\ndata: ${n.payload}\n\n`);
      },
      // What changed while the database was away was not heard: every list looks again.
      onReconnect: () => this.broadcast(`event: task\ndata: ${JSON.stringify({ key: '', action: 'resync' })}\n\n`),
    });
    return this.listener.start();
  }

  /** Keeps the response open as an event stream until the client goes away. */
  subscribe(req: Request, res: Response): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n: connected\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }

  private broadcast(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.watcher) clearTimeout(this.watcher);
    for (const res of this.clients) res.end();
    this.clients.clear();
    await this.listener?.close();
  }
}
