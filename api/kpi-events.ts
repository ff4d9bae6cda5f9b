import type { Request, Response } from 'express';
import type { KpiBoards } from '../domain/kpi/wallboard.js';
import type { KpiLine, Wallboard } from '../domain/kpi/types.js';
import type { Logger } from '../platform/logger.js';
import { PgListener } from '../platform/database/listener.js';

/** How long a burst of changes is gathered before the wallboard is computed once for it. */
const GATHER_MS = 40;

/**
 * The live wallboard: one LISTEN connection per API process hears `kpi_changed` (triggers on
 * the call events, queues, presences and imported records, whichever process wrote them),
 * computes the wallboard of each line someone watches — once per burst, one computation at a
 * time — and pushes it as a server-sent event. What is pushed is what `GET /api/kpi/wallboard`
 * answers: one computation, so the two cannot disagree.
 */
export class KpiEventStream {
  private listener: PgListener | undefined;
  private readonly clients = new Map<Response, KpiLine>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly boards: KpiBoards,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => {
      for (const res of this.clients.keys()) res.write(': ping\n\n');
    }, 25_000);
    this.heartbeat.unref();
  }

  private connect(): Promise<void> {
    this.listener = new PgListener({
      databaseUrl: this.databaseUrl,
      channels: ['kpi_changed'],
      applicationName: 'contact-center-kpi-events',
      log: this.log,
      onNotification: () => this.changed(),
      // Changes made while the database was away: the boards are computed afresh.
      onReconnect: () => this.changed(),
    });
    return this.listener.start();
  }

  /** A change: the wallboards are computed after a short gathering of the burst. */
  changed(): void {
    if (this.clients.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.push();
    }, GATHER_MS);
  }

  private push(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.computeAndSend().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        void this.push();
      }
    });
    return this.running;
  }

  private async computeAndSend(): Promise<void> {
    const lines = new Set(this.clients.values());
    for (const line of lines) {
      let board: Wallboard;
      try {
        board = await this.boards.wallboard(line);
      } catch (err) {
        this.log.warn(
          { err: { name: (err as Error).name, message: (err as Error).message } },
          'wallboard not computed',
        );
        continue;
      }
      const data = `event: wallboard\ndata: ${JSON.stringify(board)}\n\n`;
      for (const [res, l] of this.clients) if (l === line) res.write(data);
    }
  }

  /** Opens a stream for one line; the current wallboard is sent at once. */
  async subscribe(req: Request, res: Response, line: KpiLine): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.set(res, line);
    req.on('close', () => this.clients.delete(res));
    const board = await this.boards.wallboard(line);
    res.write(`event: wallboard\ndata: ${JSON.stringify(board)}\n\n`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const res of this.clients.keys()) res.end();
    this.clients.clear();
    await this.running;
    await this.listener?.close();
  }
}
