import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineSetupError, run } from './process-util.js';
import type { JavaInstall } from './java.js';

/** Where the jar lands after `mvn package` in `engine/`. */
export function engineJarPath(engineDir: string): string {
  return path.join(engineDir, 'target', 'engine.jar');
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestSource(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds `engine/` (the Operaton Spring Boot project) with Maven when its jar is missing or
 * older than its sources: offline first (the dependencies are in ~/.m2 after one build),
 * online when that fails. Returns the jar's path.
 */
export async function buildEngine(engineDir: string, java: JavaInstall, log: (msg: string) => void): Promise<string> {
  const jar = engineJarPath(engineDir);
  const sources = Math.max(
    statSync(path.join(engineDir, 'pom.xml')).mtimeMs,
    await newestSource(path.join(engineDir, 'src')),
  );
  if (existsSync(jar) && statSync(jar).mtimeMs >= sources) return jar;
  const mvn = process.env.MAVEN_CMD ?? 'mvn';
  const env = { ...process.env, JAVA_HOME: java.home };
  const args = ['-B', '-q', '-f', path.join(engineDir, 'pom.xml'), 'package', '-DskipTests'];
  log('building the Operaton engine (engine/, Maven)');
  try {
    await run(mvn, ['-o', ...args], env);
  } catch (offline) {
    if ((offline as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new EngineSetupError(
        'The local Operaton engine is built with Maven, which is not installed (`apt-get install maven`). ' +
          'Alternatives: `docker compose up`, or an existing Operaton engine with ENGINE_URL.',
      );
    }
    log('first build of the engine: Maven fetches Operaton and Spring Boot from Maven Central');
    try {
      await run(mvn, args, env);
    } catch (err) {
      throw new EngineSetupError(`Building the engine with Maven failed: ${(err as Error).message.slice(-1500)}`);
    }
  }
  if (!existsSync(jar)) throw new EngineSetupError(`Maven finished but ${jar} is missing.`);
  return jar;
}

export interface EngineCredentials {
  user: string;
  password: string;
}

/**
 * The REST credentials of the local engine: generated once into the data folder (readable by
 * the owner only), so that no other local user can drive the engine.
 */
export async function localEngineCredentials(dataDir: string): Promise<EngineCredentials> {
  const file = path.join(dataDir, 'credentials.json');
  if (existsSync(file)) {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<EngineCredentials>;
    if (parsed.user && parsed.password) return { user: parsed.user, password: parsed.password };
  }
  await mkdir(dataDir, { recursive: true });
  const creds = { user: 'contact-center', password: randomBytes(24).toString('base64url') };
  await writeFile(file, JSON.stringify(creds), { mode: 0o600 });
  await chmod(file, 0o600);
  return creds;
}

export interface LocalEngineOptions {
  jar: string;
  java: JavaInstall;
  /** Folder for the engine's pid file and log. */
  dataDir: string;
  port: number;
  jdbc: { url: string; user: string; password: string };
  credentials: EngineCredentials;
  heapMb: number;
  readyTimeoutMs?: number;
  log: (msg: string) => void;
}

/** `postgres://user:pass@host:port/db` → the JDBC URL and credentials the engine takes. */
export function jdbcFromUrl(databaseUrl: string): { url: string; user: string; password: string } {
  const u = new URL(databaseUrl);
  const params = new URLSearchParams();
  const ssl = u.searchParams.get('sslmode');
  if (ssl) params.set('sslmode', ssl);
  const query = params.size > 0 ? `?${params.toString()}` : '';
  return {
    url: `jdbc:postgresql://${u.hostname}:${u.port || '5432'}${u.pathname}${query}`,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
  };
}

/**
 * The lines of the engine's log that say why it stopped (Spring Boot's "APPLICATION FAILED TO
 * START" block, an exception, the JVM's own error), so the message is enough without the file.
 * The log holds no secret: the engine is given its database password and REST credentials
 * in its environment and never prints them.
 */
export function logTail(file: string, from = 0, lines = 12): string {
  let text: string;
  try {
    // Only what this start wrote (the log is appended to), and at most its last 64 KiB.
    const size = statSync(file).size;
    const start = Math.max(from, size - 65_536);
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
  const all = text.split('\n').filter((l) => l.trim() !== '');
  // Spring Boot's summary says it best; otherwise the last lines (a JVM error, a stack trace's head).
  const summary = all.findLastIndex((l) => l.includes('APPLICATION FAILED TO START'));
  const first = summary >= 0 ? summary : Math.max(0, all.length - lines);
  const tail = all.slice(first, first + lines);
  return tail.length > 0 ? `\nIts last words:\n  ${tail.map((l) => l.slice(0, 300)).join('\n  ')}` : '';
}

/** The Operaton engine (engine/target/engine.jar) on loopback, owned by this process. */
export class LocalEngine {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(private readonly opts: LocalEngineOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.opts.port}/engine-rest`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get pidFile(): string {
    return path.join(this.opts.dataDir, 'engine.pid');
  }

  /** Starts the engine and resolves when its REST API answers with our credentials. */
  async start(): Promise<void> {
    const o = this.opts;
    await mkdir(o.dataDir, { recursive: true });
    await this.killStale();
    // Only what the engine needs: never the app's own secrets (Twilio, OIDC, session).
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? o.dataDir,
      LANG: process.env.LANG ?? 'C.UTF-8',
      JAVA_HOME: o.java.home,
      // Cron timers (the 18:00 reminders, the 02:30 retention) follow the contract's time zone.
      TZ: 'Europe/Rome',
      SERVER_ADDRESS: '127.0.0.1',
      SERVER_PORT: String(o.port),
      SPRING_DATASOURCE_URL: o.jdbc.url,
      SPRING_DATASOURCE_USERNAME: o.jdbc.user,
      SPRING_DATASOURCE_PASSWORD: o.jdbc.password,
      ENGINE_REST_USER: o.credentials.user,
      ENGINE_REST_PASSWORD: o.credentials.password,
    };
    const logPath = path.join(o.dataDir, 'engine.log');
    const logFrom = existsSync(logPath) ? statSync(logPath).size : 0;
    const logFile = createWriteStream(logPath, { flags: 'a' });
    const child = spawn(
      path.join(o.java.home, 'bin', 'java'),
      [`-Xmx${o.heapMb}m`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Duser.timezone=Europe/Rome', '-jar', o.jar],
      { env, cwd: o.dataDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    if (child.pid) await writeFile(this.pidFile, String(child.pid));
    o.log(`starting the Operaton engine (Java ${o.java.version}) on ${this.url}`);

    const timeoutMs = o.readyTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    child.once('exit', (code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        await sleep(100); // let the last lines reach the log
        throw new EngineSetupError(
          `The Operaton engine exited with code ${exitCode} while starting; see ${logPath}.` +
            logTail(logPath, logFrom),
        );
      }
      if (await this.isReady()) return;
      await sleep(200);
    }
    await this.stop();
    throw new EngineSetupError(
      `The Operaton engine was not ready after ${timeoutMs / 1000}s; see ${logPath}.` + logTail(logPath, logFrom),
    );
  }

  async isReady(): Promise<boolean> {
    try {
      const auth = Buffer.from(`${this.opts.credentials.user}:${this.opts.credentials.password}`).toString('base64');
      const res = await fetch(`${this.url}/version`, {
        headers: { authorization: `Basic ${auth}` },
        signal: AbortSignal.timeout(1000),
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  /** SIGTERM (Spring's graceful shutdown), SIGKILL after 25 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      await rm(this.pidFile, { force: true });
      return;
    }
    child.kill('SIGTERM');
    const stopped = await Promise.race([
      this.exited?.then(() => true),
      sleep(25_000, undefined, { ref: false }).then(() => false),
    ]);
    if (!stopped) {
      child.kill('SIGKILL');
      await this.exited;
    }
    await rm(this.pidFile, { force: true });
  }

  /** Kills the engine at once, as a crash would (fault tests); resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** An engine left behind by a crashed run would hold the port. */
  private async killStale(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number.parseInt(readFileSync(this.pidFile, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return;
    }
    if (!cmdline.includes('engine.jar')) return;
    this.opts.log(`stopping an engine left behind by an earlier run (pid ${pid})`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(250);
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  }
}
