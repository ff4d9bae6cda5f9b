/** What the benchmarks share: starting and stopping the built platform, their run and teardown, quantiles of samples. */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';
import { PROJECT_ROOT } from '../app.js';
import { openDatabase } from '../platform/database/data-source.js';
import { startEmbeddedPostgres } from '../platform/database/embedded-postgres.js';
import { freePorts } from '../test/support/ports.js';

/** The demo accounts of a benchmark's app get this password. */
export const BENCH_PASSWORD = 'Bench-password-2026';

export interface Started {
  child: ChildProcess;
  readyMs: number;
  base: string;
}

/**
 * Starts `dist/main.js` on its embedded default in `dataDir` (ports: app, PostgreSQL, engine);
 * resolves when /readyz answers 200.
 */
export async function startPlatform(dataDir: string, ports: number[]): Promise<Started> {
  const [port, pgPort, enginePort] = ports as [number, number, number];
  const t0 = performance.now();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      ENGINE_PORT: String(enginePort),
      LOG_LEVEL: 'warn',
      WORKER_MAX_JOBS: '64',
      DEMO_USERS_PASSWORD: BENCH_PASSWORD,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error('the platform exited while starting');
    const ok = await fetch(`${base}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, readyMs: performance.now() - t0, base };
}

/** SIGINT, as Ctrl-C; resolves with the time the platform took to stop. */
export async function stopPlatform(s: Started): Promise<number> {
  const t0 = performance.now();
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGINT');
  await exited;
  return performance.now() - t0;
}

/** Nearest-rank quantiles of a set of samples. */
export function quantiles(samples: number[]): { p50: number; p95: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.at(-1) ?? 0 };
}

/** A benchmark's database: the pool, its URL, the server's version and how long the start took. */
export interface BenchDatabase {
  db: DataSource;
  url: string;
  version: string;
  startMs: number;
}

/**
 * A benchmark's run: teardown steps added as things start, run once in reverse order (on
 * success, on error and on Ctrl-C), each timed and reported through `out`; its temporary
 * folder; an embedded database; and `main`, which runs the benchmark and always tears down.
 */
export function benchmarkRun(out: (line: string) => void): {
  steps: { what: string; run: () => Promise<void> }[];
  tempDir: (prefix: string) => Promise<string>;
  database: (dir: string, name: string, poolSize: number) => Promise<BenchDatabase>;
  main: (body: () => Promise<void>) => void;
} {
  const steps: { what: string; run: () => Promise<void> }[] = [];
  let running: Promise<void> | undefined;
  const teardown = () =>
    (running ??= (async () => {
      while (steps.length > 0) {
        const step = steps.pop();
        if (!step) break;
        const t0 = performance.now();
        await step
          .run()
          .then(() => out(`stopped ${step.what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`))
          .catch((err: Error) => out(`cleanup (${step.what}) failed: ${err.message}`));
      }
    })());
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    // PostgreSQL runs as user `postgres` when started as root: it must be able to enter the folder.
    await chmod(dir, 0o755);
    steps.push({ what: 'temporary folder', run: () => rm(dir, { recursive: true, force: true }) });
    return dir;
  };
  /** An embedded PostgreSQL of its own in `dir`, all migrations applied, stopped at the end. */
  const database = async (dir: string, name: string, poolSize: number): Promise<BenchDatabase> => {
    const [port] = (await freePorts(1)) as [number];
    const t0 = performance.now();
    const pg = await startEmbeddedPostgres({
      dataDir: path.join(dir, 'postgres'),
      port,
      database: name,
      log: () => undefined,
    });
    steps.push({ what: 'PostgreSQL', run: () => pg.stop() });
    const db = await openDatabase(pg.url, poolSize);
    steps.push({ what: 'database pool', run: () => db.destroy() });
    const [version] = await db.query<{ v: string }[]>(`SELECT current_setting('server_version') AS v`);
    return { db, url: pg.url, version: version?.v ?? '?', startMs: performance.now() - t0 };
  };
  const main = (body: () => Promise<void>) => {
    process.once('SIGINT', () => {
      out('interrupted: cleaning up');
      void teardown().then(() => process.exit(130));
    });
    body()
      .catch((err: Error) => {
        process.exitCode = 1;
        out(`benchmark failed: ${err.stack ?? err.message}`);
      })
      .finally(() => teardown())
      .catch(() => undefined);
  };
  return { steps, tempDir, database, main };
}

/** The seeded generator the benchmarks draw their load from (platform/seeded-random.ts). */
export { seededRandom as prng } from '../platform/seeded-random.js';

/** The machine's load averages (1, 5, 15 minutes), for a benchmark's first and last lines. */
export function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** The line each benchmark starts with: the cores and whether something else is running. */
export function machineLine(): string {
  return `${os.cpus().length} cores, load average at start ${loadAverage()} (anything above ~0.3 is another process)`;
}
