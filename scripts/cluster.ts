import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { platformDatabaseServer, startLocalEngines } from '../app.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { SetupError } from '../platform/setup-error.js';

const USAGE = `npm run cluster -- [--engines N] [--api N] [--workers N]
  The platform as a cluster on this machine: the embedded PostgreSQL (or DATABASE_URL), N Operaton
  nodes on it (default 2, ports ENGINE_PORT, ENGINE_PORT+1, …), N API processes (default 2, ports
  PORT, PORT+1, …) and N worker processes (default 2), each given every engine node. An API or
  worker process that dies is started again (after 1 s, longer if it keeps dying), as a service
  manager would; engine nodes and PostgreSQL are not. Ctrl-C stops everything, apps first.`;

/** One app process of the cluster, started again when it dies (until the cluster stops). */
class Member {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: ReturnType<typeof createLogger>,
  ) {}

  start(): void {
    // Its own process group: Ctrl-C reaches the cluster, which stops its members in order.
    const child = spawn(process.execPath, this.args, {
      env: this.env,
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    this.child = child;
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      // A configuration or setup error (exit 2, 3) does not go away by starting again.
      if (code === 2 || code === 3) {
        this.log.error({ member: this.name, code }, 'cluster member cannot start: not restarted (see its message)');
        return;
      }
      // A member that died soon after starting waits longer each time (1 s, 2 s, 4 s … 30 s).
      this.restarts = Date.now() - startedAt > 60_000 ? 1 : this.restarts + 1;
      const delay = Math.min(30_000, 1000 * 2 ** (this.restarts - 1));
      this.log.warn(
        { member: this.name, code, signal, restarts: this.restarts, delay },
        'cluster member died; restarting',
      );
      void sleep(delay).then(() => {
        if (!this.stopping) this.start();
      });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      engines: { type: 'string', default: process.env.ENGINE_NODES ?? '2' },
      api: { type: 'string', default: '2' },
      workers: { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const count = (name: 'engines' | 'api' | 'workers', min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min || n > 8) {
      throw new ConfigError(`--${name} must be a whole number from ${min} to 8\n${USAGE}`);
    }
    return n;
  };
  const engines = count('engines', 1);
  const apis = count('api', 1);
  const workers = count('workers', 1);
  const config = loadConfig({ ...process.env, ENGINE_NODES: String(engines) }, []);
  const log = createLogger(config.LOG_LEVEL);
  const stops: (() => Promise<void>)[] = [];
  const teardown = { add: (step: () => Promise<void>) => void stops.push(step) };
  const stopAll = async () => {
    while (stops.length > 0)
      await stops
        .pop()?.()
        .catch(() => undefined);
  };
  // From the first moment: a stop during the engine's build or start stops what is up already.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping the cluster');
      void stopAll().then(() => process.exit(0));
    });
  }

  try {
    const databaseUrl = await platformDatabaseServer(config, teardown, log);
    const { urls, credentials } = await startLocalEngines(config, databaseUrl, teardown, log);

    // The app processes: the platform's own start, halves of it, each with every node.
    const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.js');
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
      ...process.env,
      DATABASE_URL: databaseUrl,
      ENGINE_URL: urls.join(','),
      ENGINE_REST_USER: credentials.user,
      ENGINE_REST_PASSWORD: credentials.password,
      ...extra,
    });
    const members = [
      ...Array.from(
        { length: apis },
        (_, i) => new Member(`api-${i + 1}`, [entry, '--api-only'], env({ PORT: String(config.PORT + i) }), log),
      ),
      // Workers have no HTTP server of their own.
      ...Array.from(
        { length: workers },
        // The local mailboxes' SMTP listener (no IMAP configured) belongs to one process only.
        (_, i) =>
          new Member(`workers-${i + 1}`, [entry, '--workers-only'], env(i === 0 ? {} : { LOCAL_SMTP_PORT: '0' }), log),
      ),
    ];
    // The first API process migrates the database (the others wait on the migration lock).
    for (const m of members) m.start();
    teardown.add(() => Promise.all(members.map((m) => m.stop())).then(() => undefined));
    log.info(
      {
        engines: urls,
        api: Array.from({ length: apis }, (_, i) => `http://localhost:${config.PORT + i}`),
        workers,
      },
      'cluster started',
    );
  } catch (err) {
    await stopAll();
    throw err;
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SetupError) {
    process.stderr.write(`\n${err.message}\n\n`);
    process.exit(err instanceof ConfigError ? 2 : 3);
  }
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
