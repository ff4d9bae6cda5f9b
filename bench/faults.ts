/**
 * Faults under a mixed load (issue 13, "runs as a cluster and survives faults"): scripted,
 * seeded, bounded; prints the figures and exits non-zero when a check fails.
 *
 *   npm run bench:faults                                   # every scenario at the issue's sizes
 *   npm run bench:faults -- --scenario engine-kill --kills 10 --seed 7
 *   npm run bench:faults -- --quick                        # every scenario, small, a few minutes each
 *
 * Scenarios (`--scenario`, default all), each on a platform of its own in a fresh temporary folder:
 * - engine-kill: the cluster (embedded PostgreSQL, two Operaton nodes, `dist/main.js --api-only` ×2
 *   and `--workers-only` ×2, each given both nodes); `--kills` (10) times one node (in turn) is
 *   killed with SIGKILL at a seeded moment of the load and started again at once (as a service
 *   manager would); per kill: the time until a booking started just after the kill is confirmed
 *   end to end, and until the node answers again and serves a query.
 * - process-kill: the same cluster; one API and one worker process (seeded) killed with SIGKILL
 *   together, `--kills` (1) times, restarted after a second; two tasklist clients (the event stream
 *   and the list, as the workspace): one on the surviving API, one on the killed one that
 *   reconnects through the users' address; parked bookings whose tasks stay open meanwhile.
 * - pg-restart: the same cluster; PostgreSQL stopped (fast shutdown, SIGINT to the postmaster),
 *   down `--pg-down` (5) seconds, started again on the same folder and port; `/readyz` of each API
 *   process read every 200 ms.
 * - app-kill: the single embedded app (`dist/main.js` on its embedded default: it owns its
 *   engine and PostgreSQL as child processes): its whole process group (app, engine, PostgreSQL:
 *   the machine's power cut, as far as one process tree goes) killed with SIGKILL `--kills` (100)
 *   times at seeded moments (most during the load, some during its own restart), started again
 *   after a second each time.
 * - throughput: booking flows per second with the operator automated (`--concurrency` 16 in
 *   flight, `--flows` 200 per round), the same app processes on one engine node and on two.
 *
 * The mixed load (bench/load.ts): bookings with the operator automated (`--in-flight` 4 at a
 * time), a reminder run over `--reminders` (2000) seeded appointments, mail into the local
 * mailbox by SMTP (`--mail-every` 2 s), calls through the Twilio stand-in's call simulator
 * (`--call-every` 2 s), timers of a probe process (one every 3 s, due in 5–40 s). SMS go to the
 * Twilio stand-in in this process, so a repeated send is seen at the provider. The load and
 * Twilio's webhooks reach the API processes through one address (a failover proxy here: a
 * refused connection goes to the other process, a request cut in flight is not repeated).
 * After each scenario the load stops, drains, and the checks run (bench/load.ts checkEffects).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { PROJECT_ROOT } from '../app.js';
import { VOICE_STATUS_WEBHOOK, VOICE_WEBHOOKS } from '../domain/voice/ivr.js';
import { openDatabase } from '../platform/database/data-source.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../platform/database/embedded-postgres.js';
import { ensureDatabase } from '../platform/database/ensure-database.js';
import { findJava } from '../platform/engine/java.js';
import { buildEngine, jdbcFromUrl, LocalEngine, localEngineCredentials } from '../platform/engine/local-engine.js';
import { EngineClient } from '../platform/engine/operaton.js';
import { startTwilioStandIn, type TwilioStandIn } from '../stand-ins/twilio/server.js';
import { freePorts } from '../test/support/ports.js';
import {
  Api,
  Bookings,
  Calls,
  checkEffects,
  Inbox,
  Mails,
  reasonOf,
  seedReminderDay,
  sleep,
  startFailoverProxy,
  startOperator,
  startReminderRun,
  Tally,
  Timers,
  unfinished,
  type Check,
  type FailoverProxy,
  type ReminderDay,
} from './load.js';
import { BENCH_PASSWORD, benchmarkRun, loadAverage, machineLine, prng, quantiles } from './platform.js';

const SCENARIOS = ['engine-kill', 'process-kill', 'pg-restart', 'app-kill', 'throughput'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: flags } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    seed: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    kills: { type: 'string' },
    seconds: { type: 'string' },
    'pg-down': { type: 'string', default: '5' },
    'in-flight': { type: 'string' },
    reminders: { type: 'string' },
    'mail-every': { type: 'string', default: '2' },
    'call-every': { type: 'string', default: '2' },
    flows: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string' },
    drain: { type: 'string', default: '600' },
    logs: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
const out = (s: string) => process.stdout.write(`${s}\n`);
if (flags.help) {
  out(
    'npm run bench:faults -- [--scenario engine-kill|process-kill|pg-restart|app-kill|throughput|all] [--seed N] [--quick]\n' +
      '  [--kills N] [--seconds N] [--pg-down S] [--in-flight N] [--reminders N] [--mail-every S] [--call-every S]\n' +
      '  [--flows N] [--concurrency N] [--rounds N] [--drain S] [--logs DIR]',
  );
  process.exit(0);
}
const num = (name: string, v: string | undefined, fallback: number): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
};
const QUICK = flags.quick === true;
const SEED = num('seed', flags.seed, 1);
const selected: Scenario[] =
  flags.scenario === 'all'
    ? [...SCENARIOS]
    : (flags.scenario ?? '').split(',').map((s) => {
        if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}`);
        return s as Scenario;
      });
/** Per scenario: the issue's numbers, or small ones with --quick; --kills and --seconds override. */
const KILLS: Record<Scenario, number> = {
  'engine-kill': num('kills', flags.kills, QUICK ? 2 : 10),
  'process-kill': num('kills', flags.kills, 1),
  'pg-restart': 1,
  'app-kill': num('kills', flags.kills, QUICK ? 3 : 100),
  throughput: 0,
};
const LOAD_SECONDS = num('seconds', flags.seconds, QUICK ? 15 : 30);
const PG_DOWN = num('pg-down', flags['pg-down'], 5);
const IN_FLIGHT = num('in-flight', flags['in-flight'], 4);
const REMINDERS = num('reminders', flags.reminders, QUICK ? 200 : 2000);
const MAIL_EVERY = num('mail-every', flags['mail-every'], 2) * 1000;
const CALL_EVERY = num('call-every', flags['call-every'], 2) * 1000;
const FLOWS = num('flows', flags.flows, QUICK ? 40 : 200);
const CONCURRENCY = num('concurrency', flags.concurrency, 16);
const ROUNDS = num('rounds', flags.rounds, QUICK ? 1 : 2);
const DRAIN_S = num('drain', flags.drain, 900);
/** Longer than the engine's job lock (60 s) and the workers' (30 s) together, with margin. */
const STALL_S = 180;
/** The call simulator's pauses: 1 s of the IVR's hold is 50 ms here (VOICE_HOLD_SECONDS 10 → 0.5 s). */
const TIME_SCALE = 0.05;

const bench = benchmarkRun(out);
const s1 = (ms: number) => (ms / 1000).toFixed(1);

// ---------------------------------------------------------------------------------------------
// Teardown per scenario: what a scenario started is stopped before the next one starts
// ---------------------------------------------------------------------------------------------

async function unwind(mark: number): Promise<void> {
  while (bench.steps.length > mark) {
    const step = bench.steps.pop();
    if (!step) break;
    const t0 = performance.now();
    await step
      .run()
      .then(() => out(`  stopped ${step.what} in ${s1(performance.now() - t0)} s`))
      .catch((err: Error) => out(`  cleanup (${step.what}) failed: ${err.message}`));
  }
}

// ---------------------------------------------------------------------------------------------
// An app process (dist/main.js), in a process group of its own, started again when it dies
// ---------------------------------------------------------------------------------------------

/** The levels counted (pino writes them as names here, as numbers by default). */
const LEVELS: Record<string, string> = {
  40: 'warn',
  50: 'error',
  60: 'fatal',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/**
 * One `dist/main.js` process. Its own process group (a kill takes its children too: the
 * embedded app's engine and PostgreSQL), its log into a file, its warnings and errors counted by
 * message. When it dies it is started again after a second (as `npm run cluster` and a service
 * manager do), unless it is being stopped. Ready: `/readyz` answers 200 (API), or its log says
 * `contact center ready` (workers).
 */
class AppProcess {
  child: ChildProcess | undefined;
  readonly logged = new Tally();
  /** Deaths this run did not cause (a kill is ours). */
  readonly unexpected: string[] = [];
  spawnedAt = 0;
  readyAt = 0;
  private killed = false;
  private stopping = false;
  private log: WriteStream;
  private readyWaiters: ((ok: boolean) => void)[] = [];
  private spawnWaiters: (() => void)[] = [];
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    private readonly args: string[],
    readonly env: NodeJS.ProcessEnv,
    readonly port: number | undefined,
    logDir: string,
  ) {
    this.log = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port ?? 0}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it; resolves when ready (ms since the spawn); rejects if it exits first. */
  async start(): Promise<number> {
    this.spawn();
    if (!(await this.ready())) throw new Error(`${this.name} exited before it was ready`);
    return this.readyAt - this.spawnedAt;
  }

  /** Resolves true when the current (or next) incarnation is ready, false when it exits first. */
  ready(): Promise<boolean> {
    if (this.running && this.readyAt >= this.spawnedAt && this.readyAt > 0) return Promise.resolve(true);
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Resolves at the next spawn. */
  nextSpawn(): Promise<void> {
    return new Promise((r) => this.spawnWaiters.push(r));
  }

  private spawn(): void {
    this.killed = false;
    const child = spawn(process.execPath, this.args, {
      cwd: PROJECT_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.spawnedAt = performance.now();
    this.readyAt = 0;
    for (const w of this.spawnWaiters.splice(0)) w();
    let isReady = false;
    const becomeReady = () => {
      if (isReady || this.child !== child) return;
      isReady = true;
      this.readyAt = performance.now();
      for (const w of this.readyWaiters.splice(0)) w(true);
    };
    let rest = '';
    const onData = (b: Buffer) => {
      this.log.write(b);
      const lines = (rest + b.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) {
          // The first start's list of accounts, and anything else not a log line: only what reads as an error.
          if (/error|exception|fatal/i.test(line)) this.logged.bump(`unstructured: ${line.slice(0, 120)}`);
          continue;
        }
        try {
          const o = JSON.parse(line) as {
            level?: number | string;
            msg?: string;
            err?: { name?: string; message?: string };
          };
          if (o.msg?.startsWith('contact center ready') && this.port === undefined) becomeReady();
          const level = LEVELS[String(o.level)];
          if (level) {
            const err = o.err ? ` (${o.err.name ?? ''}${o.err.message ? `: ${o.err.message.slice(0, 100)}` : ''})` : '';
            this.logged.bump(
              `${level}: ${o.msg ?? ''}${err}`
                .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '…')
                .replace(/CA[0-9a-f]{32}/g, 'CA…')
                .replace(/\d{4,}/g, 'N'),
            );
          }
        } catch {
          this.logged.bump(`unparsed: ${line.slice(0, 80)}`);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        for (const w of this.readyWaiters.splice(0)) w(false);
        if (!this.killed && !this.stopping) this.unexpected.push(`exit ${code ?? signal}`);
        resolve();
        if (!this.stopping) {
          setTimeout(() => {
            if (!this.stopping) this.spawn();
          }, 1000).unref();
        }
      }),
    );
    if (this.port !== undefined) {
      void (async () => {
        while (this.child === child && child.exitCode === null && child.signalCode === null) {
          const ok = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) })
            .then((r) => r.status === 200)
            .catch(() => false);
          if (ok) return becomeReady();
          await sleep(100);
        }
      })();
    }
  }

  /** SIGKILL to its whole process group, at once. Resolves when it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    this.killed = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await this.exited;
  }

  /** SIGTERM (its own ordered stop); SIGKILL to the group after 90 s. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child?.pid && this.running) {
      child.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(90_000).then(() => false)]);
      if (!done) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        await this.exited;
      }
    }
    await new Promise<void>((r) => this.log.end(() => r()));
  }

  /** Stops it and starts it again with `env` changed (the throughput rounds change ENGINE_URL). */
  async restartWith(env: Record<string, string>): Promise<number> {
    await this.stop();
    Object.assign(this.env, env);
    this.stopping = false;
    this.log = createWriteStream(path.join(path.dirname(this.log.path.toString()), `${this.name}.log`), { flags: 'a' });
    return this.start();
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL that can be stopped and started again on its folder and port
// ---------------------------------------------------------------------------------------------

class Postgres {
  private handle: EmbeddedDatabase | undefined;
  url = '';

  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  async start(): Promise<number> {
    const t0 = performance.now();
    this.handle = await startEmbeddedPostgres({
      dataDir: this.dir,
      port: this.port,
      database: 'contact_center',
      log: () => undefined,
    });
    this.url = this.handle.url;
    return performance.now() - t0;
  }

  private pid(): number | undefined {
    try {
      return Number(readFileSync(path.join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      return undefined;
    }
  }

  /** Fast shutdown (SIGINT to the postmaster, as embedded-postgres's stop does); resolves when it is gone. */
  async stop(): Promise<number> {
    const t0 = performance.now();
    const pid = this.pid();
    const handle = this.handle;
    this.handle = undefined;
    if (!handle || !pid || !existsSync(`/proc/${pid}`)) return 0;
    // The package's stop waits for an exit it may already have missed: also watch the pid.
    const gone = (async () => {
      while (existsSync(`/proc/${pid}`)) await sleep(50);
    })();
    await Promise.race([handle.stop(), gone]);
    await gone;
    return performance.now() - t0;
  }
}

// ---------------------------------------------------------------------------------------------
// The platforms: the cluster, and the single embedded app
// ---------------------------------------------------------------------------------------------

interface Platform {
  /** Where users (the load) and Twilio's webhooks reach the API. */
  address: string;
  api: Api;
  db: DataSource;
  engineDb: pg.Pool;
  engine: EngineClient;
  standIn: TwilioStandIn;
  smtpPort: number;
  apps: AppProcess[];
  nodes: LocalEngine[];
  pg: Postgres | undefined;
  proxy: FailoverProxy | undefined;
  tmp: string;
}

const logDir = async (tmp: string, scenario: string) => {
  const dir = flags.logs ? path.resolve(flags.logs, scenario) : path.join(tmp, 'logs');
  mkdirSync(dir, { recursive: true });
  return Promise.resolve(dir);
};

/** Twilio, as the app processes are told: SMS and voice on the stand-in, webhooks to `publicUrl`. */
function twilioEnv(standIn: TwilioStandIn, publicUrl: string): Record<string, string> {
  return {
    TWILIO_ACCOUNT_SID: standIn.accountSid,
    TWILIO_AUTH_TOKEN: standIn.authToken,
    TWILIO_FROM: '+390971000000',
    TWILIO_API_BASE_URL: standIn.url,
    VOICE_PROVIDER: 'twilio',
    PUBLIC_BASE_URL: publicUrl,
    // Only the softphone's tokens are signed with them; no browser takes calls here.
    TWILIO_API_KEY_SID: `SK${randomBytes(16).toString('hex')}`,
    TWILIO_API_KEY_SECRET: randomBytes(16).toString('hex'),
    VOICE_HOLD_SECONDS: '10',
    // A waiting caller is never offered a call-back (its <Gather> would end the wait loop).
    VOICE_CALLBACK_OFFER_SECONDS: '100000',
    LOG_LEVEL: 'info',
    DEMO_USERS_PASSWORD: BENCH_PASSWORD,
  };
}

function engineDbPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * `npm run cluster`'s shape: the embedded PostgreSQL, `engines` Operaton nodes on one engine
 * database (the first creates the schema), API processes ×2 and worker processes ×2 given every
 * node (the first worker process holds the local SMTP listener). `startNodes` of them started.
 */
async function startCluster(scenario: string, engines: number, startNodes = engines): Promise<Platform> {
  const tmp = await bench.tempDir(`cc-faults-${scenario}-`);
  const [pgPort, smtpPort, api1, api2, ...enginePorts] = await freePorts(4 + engines);
  const pgServer = new Postgres(path.join(tmp, 'postgres'), pgPort ?? 0);
  const pgMs = await pgServer.start();
  bench.steps.push({ what: 'PostgreSQL', run: () => pgServer.stop().then(() => undefined) });
  const engineUrl = await ensureDatabase(pgServer.url, 'operaton');
  const java = await findJava(process.env.JAVA_HOME);
  const jar = await buildEngine(path.join(PROJECT_ROOT, 'engine'), java, (m) => out(`  ${m}`));
  const credentials = await localEngineCredentials(path.join(tmp, 'engine'));
  const nodes = enginePorts.map(
    (port, i) =>
      new LocalEngine({
        jar,
        java,
        dataDir: path.join(tmp, 'engine', `node-${i + 1}`),
        port,
        jdbc: jdbcFromUrl(engineUrl),
        credentials,
        heapMb: Number(process.env.ENGINE_HEAP_MB ?? 384),
        log: () => undefined,
      }),
  );
  bench.steps.push({ what: 'engine nodes', run: () => Promise.all(nodes.map((n) => n.stop())).then(() => undefined) });
  const tNodes = performance.now();
  await nodes[0]?.start();
  await Promise.all(nodes.slice(1, startNodes).map((n) => n.start()));
  const nodesMs = performance.now() - tNodes;

  const standIn = await startTwilioStandIn(0, { timeScale: TIME_SCALE });
  bench.steps.push({ what: 'Twilio stand-in', run: () => standIn.close() });
  const apiUrls = [api1, api2].map((p) => `http://127.0.0.1:${p}`);
  const proxy = await startFailoverProxy(apiUrls);
  bench.steps.push({ what: 'proxy', run: () => proxy.close() });
  standIn.voice.setVoiceUrls(`${proxy.url}${VOICE_WEBHOOKS}`, `${proxy.url}${VOICE_STATUS_WEBHOOK}`);

  const logs = await logDir(tmp, scenario);
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    ...process.env,
    ...twilioEnv(standIn, proxy.url),
    DATA_DIR: path.join(tmp, 'app'),
    DATABASE_URL: pgServer.url,
    ENGINE_URL: nodes
      .slice(0, startNodes)
      .map((n) => n.url)
      .join(','),
    ENGINE_REST_USER: credentials.user,
    ENGINE_REST_PASSWORD: credentials.password,
    ...extra,
  });
  const entry = path.join('dist', 'main.js');
  const apps = [
    new AppProcess('api-1', [entry, '--api-only'], env({ PORT: String(api1) }), api1, logs),
    new AppProcess('api-2', [entry, '--api-only'], env({ PORT: String(api2) }), api2, logs),
    new AppProcess('workers-1', [entry, '--workers-only'], env({ LOCAL_SMTP_PORT: String(smtpPort) }), undefined, logs),
    new AppProcess('workers-2', [entry, '--workers-only'], env({ LOCAL_SMTP_PORT: '0' }), undefined, logs),
  ];
  bench.steps.push({
    what: 'app processes',
    run: () => Promise.all(apps.map((a) => a.stop())).then(() => undefined),
  });
  const tApps = performance.now();
  // The first one migrates the database and seeds the demo region; the others then start together.
  await apps[0]?.start();
  await Promise.all(apps.slice(1).map((a) => a.start()));
  const appsMs = performance.now() - tApps;
  const db = await openDatabase(pgServer.url, 4);
  const engineDb = engineDbPool(engineUrl);
  bench.steps.push({
    what: 'database pools',
    run: () => Promise.all([db.destroy(), engineDb.end()]).then(() => undefined),
  });
  out(
    `  cluster up: PostgreSQL ${s1(pgMs)} s, ${startNodes} engine node(s) ${s1(nodesMs)} s, API ×2 and workers ×2 ${s1(appsMs)} s`,
  );
  return {
    address: proxy.url,
    api: new Api(proxy.url, 'supervisore', BENCH_PASSWORD),
    db,
    engineDb,
    engine: new EngineClient({ urls: nodes.map((n) => n.url), ...credentials }),
    standIn,
    smtpPort: smtpPort ?? 0,
    apps,
    nodes,
    pg: pgServer,
    proxy,
    tmp,
  };
}

/** `dist/main.js` on its embedded default, alone: app, workers, its engine and PostgreSQL in one process tree. */
async function startEmbedded(scenario: string): Promise<Platform> {
  const tmp = await bench.tempDir(`cc-faults-${scenario}-`);
  const [port, pgPort, enginePort, smtpPort] = (await freePorts(4)) as [number, number, number, number];
  const standIn = await startTwilioStandIn(0, { timeScale: TIME_SCALE });
  bench.steps.push({ what: 'Twilio stand-in', run: () => standIn.close() });
  const url = `http://127.0.0.1:${port}`;
  standIn.voice.setVoiceUrls(`${url}${VOICE_WEBHOOKS}`, `${url}${VOICE_STATUS_WEBHOOK}`);
  const dataDir = path.join(tmp, 'data');
  const app = new AppProcess(
    'app',
    [path.join('dist', 'main.js')],
    {
      ...process.env,
      ...twilioEnv(standIn, url),
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      ENGINE_PORT: String(enginePort),
      LOCAL_SMTP_PORT: String(smtpPort),
    },
    port,
    await logDir(tmp, scenario),
  );
  bench.steps.push({ what: 'app (API, workers, engine, PostgreSQL)', run: () => app.stop() });
  const ms = await app.start();
  const credentials = JSON.parse(readFileSync(path.join(dataDir, 'engine', 'credentials.json'), 'utf8')) as {
    user: string;
    password: string;
  };
  const serverUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}`;
  const db = await openDatabase(`${serverUrl}/contact_center`, 4);
  const engineDb = engineDbPool(`${serverUrl}/operaton`);
  bench.steps.push({
    what: 'database pools',
    run: () => Promise.all([db.destroy(), engineDb.end()]).then(() => undefined),
  });
  out(`  embedded app up in ${s1(ms)} s (first start: PostgreSQL initialised, engine schema created)`);
  return {
    address: url,
    api: new Api(url, 'supervisore', BENCH_PASSWORD),
    db,
    engineDb,
    engine: new EngineClient({ urls: [`http://127.0.0.1:${enginePort}/engine-rest`], ...credentials }),
    standIn,
    smtpPort,
    apps: [app],
    nodes: [],
    pg: undefined,
    proxy: undefined,
    tmp,
  };
}

// ---------------------------------------------------------------------------------------------
// The mixed load on a platform
// ---------------------------------------------------------------------------------------------

/**
 * The IVR open round the clock: the repository's inbound-call.bpmn with its office-hours
 * condition («In orario?») made always true, deployed as an analyst would (a newer version the
 * app's start keeps), so that the calls of a run at any time of day reach the queue instead of
 * the closed-hours message.
 */
async function deployRoundTheClockIvr(engine: EngineClient): Promise<void> {
  const file = path.join(PROJECT_ROOT, 'processes', 'inbound-call.bpmn');
  const xml = readFileSync(file, 'utf8');
  const open = xml.replace(
    /(<bpmn:sequenceFlow id="flow-open-office"[^>]*>\s*<bpmn:conditionExpression[^>]*>)[^<]*(<\/bpmn:conditionExpression>)/,
    "$1${line != 'tributi'}$2",
  );
  if (open === xml) throw new Error('inbound-call.bpmn: the office-hours condition (flow-open-office) was not found');
  await engine.deploy({
    name: 'bench-faults-ivr-round-the-clock',
    source: 'bench',
    resources: [{ name: 'inbound-call.bpmn', content: open }],
  });
}

let reminderDays = 0;

class MixedLoad {
  readonly bookings: Bookings;
  readonly mails: Mails;
  readonly calls: Calls;
  readonly timers: Timers;
  readonly reminders: ReminderDay[] = [];
  readonly operator: ReturnType<typeof startOperator>;
  private generating = true;
  private readonly generators: Promise<void>[] = [];
  private readonly background: { stop: () => Promise<void> }[] = [];
  private readonly pending: Promise<unknown>[] = [];

  constructor(
    private readonly p: Platform,
    private readonly rnd: () => number,
    tag: string,
  ) {
    this.bookings = new Bookings(p.api, p.db, tag);
    this.mails = new Mails(() => p.smtpPort);
    this.calls = new Calls(p.standIn.voice, rnd);
    this.timers = new Timers(p.engine);
    this.operator = startOperator(p.api, (pi) => this.bookings.parked.has(pi));
    this.background.push(this.operator, this.bookings.watch());
  }

  /** Starts every part of the load but the reminder runs (`reminderRun`). */
  async start(opts: { inFlight: number; mails: boolean; calls: boolean; timers: boolean }): Promise<void> {
    const running = () => this.generating;
    if (opts.calls) await deployRoundTheClockIvr(this.p.engine);
    if (opts.timers) {
      await this.timers.deploy();
      this.background.push(this.timers.work());
    }
    this.generators.push(this.bookings.agents(opts.inFlight, running));
    const every = (ms: number, what: () => Promise<void>) =>
      (async () => {
        while (this.generating) {
          this.pending.push(what().catch(() => undefined));
          await sleep(ms * (0.5 + this.rnd()));
        }
      })();
    if (opts.mails) this.generators.push(every(MAIL_EVERY, () => this.mails.send(running)));
    if (opts.calls) this.generators.push(every(CALL_EVERY, () => this.calls.place()));
    if (opts.timers) this.generators.push(every(3000, () => this.timers.start(5 + Math.floor(this.rnd() * 36))));
  }

  /** Seeds `count` appointments on a day of their own (150 days ahead and on) and starts its run; resolves once started. */
  async reminderRun(count: number): Promise<void> {
    const day = new Date(Date.now() + (150 + reminderDays++) * 86_400_000).toISOString().slice(0, 10);
    const d = await seedReminderDay(this.p.db, day, count, `${randomBytes(3).toString('hex')}`);
    this.reminders.push(d);
    await startReminderRun(this.p.api, d, () => true);
  }

  /** Stops starting new work; what is under way goes on. */
  async stopGenerating(): Promise<void> {
    this.generating = false;
    await Promise.all(this.generators);
    await Promise.all(this.pending);
  }

  /**
   * Waits until every flow has ended but `leaveOpen` parked bookings and every accepted mail is
   * archived, or `seconds` pass. What is left, when something is.
   */
  async drain(seconds: number, leaveOpen = 0): Promise<string | undefined> {
    const t0 = performance.now();
    let left = '';
    // What is left has not moved for this long: it will not end by itself (reported, not waited for).
    let lastChange = t0;
    while (performance.now() - t0 < seconds * 1000) {
      if (performance.now() - lastChange > STALL_S * 1000) return `${left} (nothing moved for ${STALL_S} s)`;
      try {
        const running = await unfinished(this.p.engineDb);
        const total = [...running.values()].reduce((a, b) => a + b, 0);
        const mailRows: { n: string }[] = await this.p.db.query(
          `SELECT count(*) AS n FROM mail_messages WHERE status = 'received' AND archived_at IS NOT NULL AND message_id LIKE '%fault-%'`,
        );
        const accepted = this.mails.sent.filter((m) => m.accepted).length;
        const timersDue = [...this.timers.due.values()].some((at) => at > performance.now());
        if (total <= leaveOpen && Number(mailRows[0]?.n) >= accepted && !timersDue) return undefined;
        const now = `${[...running].map(([k, n]) => `${k} ${n}`).join(', ')}; mails archived ${mailRows[0]?.n}/${accepted}`;
        if (now !== left || timersDue) lastChange = performance.now();
        left = now;
      } catch (err) {
        left = `the databases did not answer (${reasonOf(err)})`;
      }
      await sleep(2000);
    }
    return left;
  }

  async close(): Promise<void> {
    this.generating = false;
    for (const b of this.background) await b.stop();
  }

  checks(): Promise<Check[]> {
    return checkEffects({
      db: this.p.db,
      engineDb: this.p.engineDb,
      provider: this.p.standIn.messages,
      bookings: this.bookings,
      reminders: this.reminders,
      mails: this.mails,
      calls: this.calls,
      timers: this.timers,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

interface Result {
  scenario: Scenario;
  table: [string, string][];
  checks: Check[];
  notes: string[];
}
const results: Result[] = [];

function printChecks(checks: Check[]): void {
  for (const c of checks) {
    out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.value}`);
    for (const e of c.evidence) out(`         ${e}`);
  }
}

function printLogs(p: Platform): string[] {
  const all = new Tally();
  const deaths: string[] = [];
  for (const a of p.apps) {
    for (const [k, n] of a.logged.counts) all.bump(`${a.name.replace(/-\d$/, '')} ${k}`, n);
    if (a.unexpected.length) deaths.push(`${a.name}: ${a.unexpected.join(', ')}`);
  }
  const top = [...all.counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
  out(`  app warnings and errors logged (${all.total} lines; top ${top.length}):`);
  for (const [k, n] of top) out(`    ${n}× ${k.slice(0, 200)}`);
  out(`  app processes that died by themselves: ${deaths.length ? deaths.join('; ') : 'none'}`);
  return deaths;
}

/** Drains, checks and records one scenario's result. */
async function finish(
  scenario: Scenario,
  p: Platform,
  load: MixedLoad,
  table: [string, string][],
  notes: string[],
  extra: Check[] = [],
): Promise<void> {
  const tDrain = performance.now();
  const left = await load.drain(DRAIN_S);
  out(`  drained in ${s1(performance.now() - tDrain)} s${left ? ` — NOT drained after ${DRAIN_S} s: ${left}` : ''}`);
  await load.close();
  const checks = [...extra, ...(await load.checks())];
  const deaths = printLogs(p);
  if (deaths.length) notes.push(`processes that died by themselves (restarted): ${deaths.join('; ')}`);
  const b = load.bookings;
  table.push(
    ['load: bookings started (201) / confirmed', `${b.started.size} / ${b.confirmedAt.size}`],
    ['load: booking starts refused or unanswered', b.startErrors.toString()],
    ['load: operator bot', `${load.operator.stats.completed.toString()}; errors ${load.operator.stats.errors.total}`],
    [
      'load: mails sent / calls placed / timers started',
      `${load.mails.sent.length} / ${load.calls.results.length} / ${load.timers.due.size}`,
    ],
    [
      'load: reminder runs / appointments reminded',
      `${load.reminders.reduce((n, d) => n + d.runs.length, 0)} / ${load.reminders.reduce((n, d) => n + d.appointments.size, 0)}`,
    ],
    ['SMS at the provider (Twilio stand-in)', String(p.standIn.messages.length)],
  );
  if (p.proxy) {
    const s = p.proxy.stats;
    table.push([
      "users' address (proxy): requests / moved to the other process / cut in flight (502)",
      `${s.requests} / ${s.failedOver} / ${s.cut}`,
    ]);
  }
  out(`  operator errors: ${load.operator.stats.errors.toString().slice(0, 600)}`);
  out(`  mail send errors: ${load.mails.errors.toString().slice(0, 400)}`);
  out(`  timer errors: ${load.timers.errors.toString()}`);
  out('  checks:');
  printChecks(checks);
  if (checks.some((c) => !c.ok)) process.exitCode = 1;
  results.push({ scenario, table, checks, notes });
}

/**
 * Where a probe's time went: how long its start took to be answered, and its longest step from
 * the engine's history (the user task's is the operator bot's response).
 */
async function slowestStep(engineDb: pg.Pool, pi: string | undefined, startMs: number): Promise<string> {
  if (!pi) return '';
  const r = await engineDb
    .query<{ act: string; s: number }>(
      `SELECT act_id_ AS act, extract(epoch FROM end_time_ - start_time_) AS s FROM act_hi_actinst
        WHERE proc_inst_id_ = $1 AND end_time_ IS NOT NULL ORDER BY 2 DESC LIMIT 1`,
      [pi],
    )
    .catch(() => undefined);
  const row = r?.rows[0];
  return ` (start answered in ${s1(startMs)} s${row ? `; longest step ${row.act} ${Number(row.s).toFixed(1)} s` : ''})`;
}

const pct = (samples: number[]) => {
  const q = quantiles(samples);
  return `p50 ${s1(q.p50)} s, max ${s1(q.max)} s`;
};

// ---------------------------------------------------------------------------------------------
// 1. engine-kill
// ---------------------------------------------------------------------------------------------

async function engineKill(): Promise<void> {
  const rnd = prng(SEED * 101 + 1);
  const p = await startCluster('engine-kill', 2);
  const load = new MixedLoad(p, rnd, 'EK');
  await load.start({ inFlight: IN_FLIGHT, mails: true, calls: true, timers: true });
  await sleep(10_000);
  const probe: number[] = [];
  const restart: number[] = [];
  const serve: number[] = [];
  let reminder: Promise<void> | undefined;
  for (let k = 0; k < KILLS['engine-kill']; k++) {
    const i = k % p.nodes.length;
    const node = p.nodes[i] as LocalEngine;
    const wait = 3000 + rnd() * 9000;
    let probeWhere = '';
    // The reminder run is under way at the first kill.
    if (k === 0) reminder = load.reminderRun(REMINDERS);
    await sleep(wait);
    await node.kill();
    const t0 = performance.now();
    const [probeMs, restartMs, serveMs] = await Promise.all([
      (async () => {
        const pi = await load.bookings.start('probe', () => true);
        const startMs = performance.now() - t0;
        const ok = pi ? await load.bookings.confirmed(pi, 300_000) : false;
        probeWhere = await slowestStep(p.engineDb, pi, startMs);
        return ok ? performance.now() - t0 : NaN;
      })(),
      (async () => {
        await node.start();
        const up = performance.now() - t0;
        return up;
      })().then(async (up) => {
        // Serves again: a query sent to that node alone.
        for (;;) {
          try {
            await p.engine.request('GET', '/process-instance/count', { node: i });
            return [up, performance.now() - t0] as const;
          } catch {
            await sleep(100);
          }
        }
      }),
    ]).then(([a, [b, c]]) => [a, b, c] as const);
    probe.push(probeMs);
    restart.push(restartMs);
    serve.push(serveMs);
    out(
      `  kill ${k + 1}: node ${i + 1} killed after ${s1(wait)} s of load; probe booking confirmed after ${s1(probeMs)} s${probeWhere}; ` +
        `node answering after ${s1(restartMs)} s, serving after ${s1(serveMs)} s`,
    );
  }
  await reminder;
  await sleep(5000);
  await load.stopGenerating();
  await finish(
    'engine-kill',
    p,
    load,
    [
      ['engine nodes killed (SIGKILL, in turn), each started again at once', String(probe.length)],
      ['kill → a booking started just after it confirmed end to end', pct(probe.filter(Number.isFinite))],
      ['kill → the node restarted and answering', pct(restart)],
      ['kill → the node serving a query again', pct(serve)],
    ],
    [],
    [
      {
        what: 'every probe booking after a kill completed',
        ok: probe.every(Number.isFinite),
        value: `${probe.filter(Number.isFinite).length} of ${probe.length}`,
        evidence: [],
      },
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// 2. process-kill
// ---------------------------------------------------------------------------------------------

async function processKill(): Promise<void> {
  const rnd = prng(SEED * 101 + 2);
  const p = await startCluster('process-kill', 2);
  const load = new MixedLoad(p, rnd, 'PK');
  await load.start({ inFlight: IN_FLIGHT, mails: true, calls: true, timers: true });
  const parked = 5;
  for (let i = 0; i < parked; i++) await load.bookings.start('parked', () => true);
  const table: [string, string][] = [];
  const extra: Check[] = [];
  const reconnect: number[] = [];
  const restartApi: number[] = [];
  const restartWorker: number[] = [];
  const probes: number[] = [];
  let dupLists = 0;
  let lists = 0;
  const missing: string[] = [];
  const reminder = load.reminderRun(REMINDERS);
  for (let k = 0; k < KILLS['process-kill']; k++) {
    const apiVictim = p.apps[rnd() < 0.5 ? 0 : 1] as AppProcess;
    const apiSurvivor = p.apps.find((a) => a.name.startsWith('api') && a !== apiVictim) as AppProcess;
    const workerVictim = p.apps[rnd() < 0.5 ? 2 : 3] as AppProcess;
    const survivorInbox = new Inbox('on the surviving API', p.api, apiSurvivor.url);
    const movingInbox = new Inbox(
      "on the killed API (reconnects through the users' address)",
      p.api,
      apiVictim.url,
      p.address,
    );
    survivorInbox.start();
    movingInbox.start();
    // Both lists hold the parked tasks before the kill.
    const parkedTasks = async () =>
      (
        await p.engineDb.query<{ id: string }>(`SELECT id_ AS id FROM act_ru_task WHERE proc_inst_id_ = ANY ($1)`, [
          [...load.bookings.parked],
        ])
      ).rows.map((r) => r.id);
    let fixed: string[] = [];
    for (let i = 0; i < 120 && fixed.length < parked; i++) {
      fixed = await parkedTasks();
      await sleep(500);
    }
    await Promise.all([survivorInbox.read(), movingInbox.read()]);
    const wait = 5000 + rnd() * 10_000;
    await sleep(wait);
    const nextApi = apiVictim.nextSpawn();
    const nextWorker = workerVictim.nextSpawn();
    await Promise.all([apiVictim.kill(), workerVictim.kill()]);
    const t0 = performance.now();
    let probeWhere = '';
    const probe = (async () => {
      const pi = await load.bookings.start('probe', () => true);
      const startMs = performance.now() - t0;
      const ms = pi && (await load.bookings.confirmed(pi, 300_000)) ? performance.now() - t0 : NaN;
      probeWhere = await slowestStep(p.engineDb, pi, startMs);
      return ms;
    })();
    await Promise.all([nextApi, nextWorker]);
    const [apiOk, workerOk] = await Promise.all([apiVictim.ready(), workerVictim.ready()]);
    restartApi.push(apiOk ? apiVictim.readyAt - t0 : NaN);
    restartWorker.push(workerOk ? workerVictim.readyAt - t0 : NaN);
    probes.push(await probe);
    await sleep(5000);
    await Promise.all([survivorInbox.read(), movingInbox.read()]);
    for (const inbox of [survivorInbox, movingInbox]) {
      const seen = count(inbox.last.keys);
      for (const id of fixed)
        if (seen.get(id) !== 1) missing.push(`${inbox.label}: parked task ${id} shown ${seen.get(id) ?? 0}×`);
    }
    out(
      `  round ${k + 1}: ${apiVictim.name} and ${workerVictim.name} killed after ${s1(wait)} s; probe booking confirmed after ` +
        `${s1(probes.at(-1) ?? NaN)} s${probeWhere}; ${apiVictim.name} ready again after ${s1(restartApi.at(-1) ?? NaN)} s, ${workerVictim.name} after ` +
        `${s1(restartWorker.at(-1) ?? NaN)} s; the moved tasklist reconnected after ${movingInbox.stats.reconnectMs.map(s1).join(', ') || '—'} s`,
    );
    reconnect.push(...movingInbox.stats.reconnectMs);
    // Quiet moment: the load stops on the last round, what runs drains but the parked flows,
    // and each list must then be exactly the engine's open tasks.
    if (k === KILLS['process-kill'] - 1) {
      await reminder;
      await load.stopGenerating();
      const left = await load.drain(DRAIN_S, parked);
      if (left) out(`  not quiet after ${DRAIN_S} s: ${left}`);
      await sleep(3000);
      await Promise.all([survivorInbox.read(), movingInbox.read()]);
      const engineOpen = (await p.engineDb.query<{ id: string }>(`SELECT id_ AS id FROM act_ru_task`)).rows
        .map((r) => r.id)
        .sort();
      for (const inbox of [survivorInbox, movingInbox]) {
        const shown = [...inbox.last.keys].sort();
        extra.push({
          what: `tasklist ${inbox.label}: the same open tasks as the engine, each once`,
          ok: JSON.stringify(shown) === JSON.stringify(engineOpen),
          value: `${shown.length} shown, ${engineOpen.length} open in the engine`,
          evidence: [
            `not shown: ${engineOpen.filter((id) => !shown.includes(id)).join(', ') || 'none'}`,
            `shown but not open: ${shown.filter((id) => !engineOpen.includes(id)).join(', ') || 'none'}`,
          ],
        });
      }
    }
    for (const inbox of [survivorInbox, movingInbox]) {
      dupLists += inbox.stats.listsWithDuplicates;
      lists += inbox.stats.lists;
    }
    table.push(
      [
        `round ${k + 1}: tasklist on the surviving API: stream drops / lists read`,
        `${survivorInbox.stats.drops} / ${survivorInbox.stats.lists}`,
      ],
      [`round ${k + 1}: tasklist on the killed API: stream errors`, movingInbox.stats.streamErrors.toString()],
      [
        `round ${k + 1}: tasklist on the killed API: stream drops / lists read / list errors`,
        `${movingInbox.stats.drops} / ${movingInbox.stats.lists} / ${movingInbox.stats.listErrors.toString()}`,
      ],
    );
    await survivorInbox.close();
    await movingInbox.close();
  }
  load.bookings.release();
  extra.push(
    {
      what: 'tasklists: no list showed a task twice',
      ok: dupLists === 0,
      value: `${dupLists} of ${lists} lists`,
      evidence: [],
    },
    {
      what: 'tasklists: every parked task shown exactly once after the kills',
      ok: missing.length === 0,
      value: `${missing.length} wrong`,
      evidence: missing.slice(0, 5),
    },
    {
      what: 'every probe booking after a kill completed',
      ok: probes.every(Number.isFinite),
      value: `${probes.filter(Number.isFinite).length} of ${probes.length}`,
      evidence: [],
    },
  );
  table.unshift(
    ['rounds: one API and one worker process killed together (SIGKILL), restarted after 1 s', String(probes.length)],
    [
      'kill → a booking started just after it confirmed (through the surviving processes)',
      pct(probes.filter(Number.isFinite)),
    ],
    ['kill → the API process ready again', pct(restartApi.filter(Number.isFinite))],
    ['kill → the worker process ready again', pct(restartWorker.filter(Number.isFinite))],
    [
      'tasklist on the killed API: stream dropped → open again on the survivor',
      reconnect.length ? pct(reconnect) : '—',
    ],
  );
  await finish('process-kill', p, load, table, [], extra);
}

const count = <K>(xs: K[]) => {
  const m = new Map<K, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
};

// ---------------------------------------------------------------------------------------------
// 3. pg-restart
// ---------------------------------------------------------------------------------------------

async function pgRestart(): Promise<void> {
  const rnd = prng(SEED * 101 + 3);
  const p = await startCluster('pg-restart', 2);
  const load = new MixedLoad(p, rnd, 'PR');
  await load.start({ inFlight: IN_FLIGHT, mails: true, calls: true, timers: true });
  const apis = p.apps.filter((a) => a.port !== undefined);
  // /readyz of each API process every 200 ms: its transitions.
  const transitions = new Map<string, { at: number; status: number }[]>(apis.map((a) => [a.name, []]));
  let polling = true;
  const pollers = apis.map(async (a) => {
    let last = -1;
    while (polling) {
      const status = await fetch(`${a.url}/readyz`, { signal: AbortSignal.timeout(1000) })
        .then((r) => r.status)
        .catch(() => 0);
      if (status !== last) transitions.get(a.name)?.push({ at: performance.now(), status });
      last = status;
      await sleep(200);
    }
  });
  const wait = LOAD_SECONDS * 1000 * (0.3 + rnd() * 0.3);
  await sleep(wait);
  // The reminder run is under way when PostgreSQL stops.
  await load.reminderRun(REMINDERS);
  await sleep(1000);
  const pg = p.pg as Postgres;
  const t0 = performance.now();
  const stopMs = await pg.stop();
  out(`  PostgreSQL stopped (fast shutdown) after ${s1(wait)} s of load, in ${s1(stopMs)} s`);
  await sleep(PG_DOWN * 1000);
  const tStart = performance.now();
  const startMs = await pg.start();
  out(`  PostgreSQL started again after ${s1(tStart - t0)} s down, ready in ${s1(startMs)} s`);
  // Green everywhere, then the rest of the load.
  for (let i = 0; i < 600; i++) {
    const green = apis.every((a) => transitions.get(a.name)?.at(-1)?.status === 200);
    if (green && performance.now() - tStart > 2000) break;
    await sleep(200);
  }
  const greenAt = performance.now();
  await sleep(LOAD_SECONDS * 1000);
  polling = false;
  await Promise.all(pollers);
  await load.stopGenerating();
  const table: [string, string][] = [
    [
      'PostgreSQL down (fast shutdown → started again and ready)',
      `${s1(tStart + startMs - t0)} s (${PG_DOWN} s stopped)`,
    ],
  ];
  const extra: Check[] = [];
  for (const a of apis) {
    const tr = (transitions.get(a.name) ?? []).filter((x) => x.at >= t0 - 1000);
    const red = tr.find((x) => x.status !== 200 && x.at >= t0);
    const green = red ? tr.find((x) => x.at > red.at && x.status === 200) : undefined;
    out(
      `  ${a.name} /readyz: ${tr.map((x) => `${x.status || 'no answer'} at ${x.at >= t0 ? '+' : ''}${s1(x.at - t0)} s`).join(' → ')}`,
    );
    table.push([
      `${a.name} /readyz: red after the stop / green again (from the stop; from PostgreSQL ready)`,
      red && green
        ? `+${s1(red.at - t0)} s / +${s1(green.at - t0)} s; ${s1(green.at - (tStart + startMs))} s`
        : 'no transition seen',
    ]);
    extra.push({
      what: `${a.name}: /readyz went red, then green`,
      ok: !!red && !!green,
      value: red && green ? `red ${s1(green.at - red.at)} s` : 'no',
      evidence: [],
    });
  }
  const retries: { n: string }[] = await p.db.query(`SELECT count(*) AS n FROM job_outcomes WHERE outcome = 'retry'`);
  table.push(
    ['worker jobs that failed and were retried (job_outcomes "retry")', String(retries[0]?.n ?? 0)],
    ['all green again → rest of the load', `${LOAD_SECONDS} s (green everywhere ${s1(greenAt - t0)} s after the stop)`],
  );
  await finish('pg-restart', p, load, table, [], extra);
}

// ---------------------------------------------------------------------------------------------
// 4. app-kill
// ---------------------------------------------------------------------------------------------

async function appKill(): Promise<void> {
  const rnd = prng(SEED * 101 + 4);
  const p = await startEmbedded('app-kill');
  const app = p.apps[0] as AppProcess;
  const load = new MixedLoad(p, rnd, 'AK');
  await load.start({ inFlight: IN_FLIGHT, mails: true, calls: true, timers: true });
  const restarts: number[] = [];
  let duringStart = 0;
  let typicalStart = 20_000;
  const runs: Promise<void>[] = [];
  const pendingReady: Promise<void>[] = [];
  const reminderSize = Math.max(1, Math.round(REMINDERS / 4));
  for (let k = 0; k < KILLS['app-kill']; k++) {
    if (k % 10 === 0) runs.push(load.reminderRun(reminderSize).catch(() => undefined));
    // Most kills during the load, some during the app's own restart (migrations, engine, deploy).
    const inStart = k > 0 && rnd() < 0.15;
    let wait: number;
    let killedInStart = false;
    if (inStart) {
      wait = rnd() * typicalStart;
      killedInStart = !(await Promise.race([app.ready().then(() => true), sleep(wait).then(() => false)]));
      if (killedInStart) duringStart++;
    } else {
      await app.ready();
      wait = 2000 + rnd() * 18_000;
      await sleep(wait);
    }
    const next = app.nextSpawn();
    await app.kill();
    const t0 = performance.now();
    await next;
    // Measured in the background: the next kill may come before it is ready.
    pendingReady.push(
      app.ready().then((ok) => {
        if (!ok) return;
        restarts.push(app.readyAt - t0);
        typicalStart = app.readyAt - app.spawnedAt;
      }),
    );
    if ((k + 1) % 10 === 0 || k < 3) {
      out(
        `  kill ${k + 1}${killedInStart ? ' (during the restart)' : ''} after ${s1(wait)} s: ` +
          `bookings confirmed so far ${load.bookings.confirmedAt.size}, SMS at the provider ${p.standIn.messages.length}, ` +
          `restarts measured ${restarts.length} (${restarts.length ? pct(restarts) : '—'})`,
      );
    }
  }
  await app.ready();
  await Promise.all(pendingReady);
  await Promise.all(runs);
  await sleep(LOAD_SECONDS * 1000);
  await load.stopGenerating();
  await finish(
    'app-kill',
    p,
    load,
    [
      ['kills of the whole app (process group: app, engine, PostgreSQL; SIGKILL)', String(KILLS['app-kill'])],
      ['of which during its own restart (before /readyz)', String(duringStart)],
      [
        'kill → ready again (/readyz 200; includes the 1 s before the restart; not when killed again first)',
        pct(restarts),
      ],
    ],
    [],
  );
}

// ---------------------------------------------------------------------------------------------
// 5. throughput
// ---------------------------------------------------------------------------------------------

async function throughput(): Promise<void> {
  const rnd = prng(SEED * 101 + 5);
  const p = await startCluster('throughput', 2, 1);
  const load = new MixedLoad(p, rnd, 'TP');
  const table: [string, string][] = [];
  const rates = new Map<number, number[]>([
    [1, []],
    [2, []],
  ]);
  const [n1, n2] = p.nodes as [LocalEngine, LocalEngine];
  for (let round = 0; round < ROUNDS; round++) {
    for (const nodes of [1, 2]) {
      if (nodes === 2 && !(await n2.isReady())) await n2.start();
      if (nodes === 1 && (await n2.isReady())) await n2.stop();
      const urls = (nodes === 1 ? [n1] : [n1, n2]).map((n) => n.url).join(',');
      if (p.apps[0]?.env.ENGINE_URL !== urls || round + nodes > 1) {
        await Promise.all(p.apps.map((a) => a.restartWith({ ENGINE_URL: urls })));
      }
      await sleep(5000);
      const load0 = loadAverage();
      const before = load.bookings.confirmedAt.size;
      const t0 = performance.now();
      await load.bookings.agents(CONCURRENCY, () => true, FLOWS);
      const seconds = (performance.now() - t0) / 1000;
      const done = load.bookings.confirmedAt.size - before;
      const rate = done / seconds;
      rates.get(nodes)?.push(rate);
      out(
        `  round ${round + 1}, ${nodes} engine node(s): ${done} booking flows confirmed in ${seconds.toFixed(1)} s = ${rate.toFixed(1)}/s ` +
          `(${CONCURRENCY} in flight; load average ${load0} → ${loadAverage()})`,
      );
    }
  }
  for (const [nodes, r] of rates) {
    table.push([
      `booking flows/s, operator automated, ${CONCURRENCY} in flight, ${nodes} engine node${nodes > 1 ? 's' : ''} (each round ${FLOWS} flows)`,
      r.map((x) => x.toFixed(1)).join(', '),
    ]);
  }
  await finish('throughput', p, load, table, [
    'same machine, 2 cores: the engine nodes, four app processes, PostgreSQL and this script share them',
  ]);
}

// ---------------------------------------------------------------------------------------------

const RUNNERS: Record<Scenario, () => Promise<void>> = {
  'engine-kill': engineKill,
  'process-kill': processKill,
  'pg-restart': pgRestart,
  'app-kill': appKill,
  throughput,
};

async function main(): Promise<void> {
  out(machineLine());
  out(
    `seed ${SEED}${QUICK ? ', quick' : ''}; scenarios ${selected.join(', ')}; load: ${IN_FLIGHT} bookings in flight, a mail every ~${MAIL_EVERY / 1000} s, ` +
      `a call every ~${CALL_EVERY / 1000} s, a timer every ~3 s, reminder runs of ${REMINDERS}`,
  );
  for (const scenario of selected) {
    const mark = bench.steps.length;
    const t0 = performance.now();
    out(`\n== ${scenario} (load average ${loadAverage()})`);
    try {
      await RUNNERS[scenario]();
    } catch (err) {
      process.exitCode = 1;
      out(`  ${scenario} failed: ${(err as Error).stack ?? String(err)}`);
      results.push({
        scenario,
        table: [],
        checks: [{ what: 'the scenario ran', ok: false, value: (err as Error).message, evidence: [] }],
        notes: [],
      });
    } finally {
      await unwind(mark);
    }
    out(
      `  ${scenario} took ${(performance.now() - t0) / 60_000 < 1 ? `${s1(performance.now() - t0)} s` : `${((performance.now() - t0) / 60_000).toFixed(1)} min`}`,
    );
  }
  out(`\nload average at end ${loadAverage()}`);
  for (const r of results) {
    out(`\n### ${r.scenario}\n\n| measure | value |\n| --- | --- |`);
    for (const [k, v] of r.table) out(`| ${k} | ${v.replace(/\|/g, '/')} |`);
    for (const c of r.checks) out(`| check: ${c.what} | ${c.ok ? 'ok' : '**FAIL**'}: ${c.value.replace(/\|/g, '/')} |`);
    for (const n of r.notes) out(`\n${n}`);
  }
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.scenario}: ${c.what}`));
  out(
    `\n${failed.length === 0 ? 'every check passed' : `${failed.length} check(s) FAILED:\n  ${failed.join('\n  ')}`}`,
  );
}

bench.main(main);
