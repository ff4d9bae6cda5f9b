import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineSetupError } from './process-util.js';
import { jvmFlagsFor, type JavaInstall } from './java.js';

export interface BrokerOptions {
  distributionDir: string;
  java: JavaInstall;
  /** Folder for the broker's data, pid file and log. */
  dataDir: string;
  grpcPort: number;
  restPort: number;
  monitoringPort: number;
  clockControlled: boolean;
  heapMb: number;
  readyTimeoutMs?: number;
  log: (msg: string) => void;
}

/** A standalone Zeebe broker with embedded gateway, bound to loopback, owned by this process. */
export class LocalBroker {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(private readonly opts: BrokerOptions) {}

  get grpcAddress(): string {
    return `127.0.0.1:${this.opts.grpcPort}`;
  }

  get restAddress(): string {
    return `http://127.0.0.1:${this.opts.restPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get pidFile(): string {
    return path.join(this.opts.dataDir, 'broker.pid');
  }

  /** Starts the broker and resolves when its `/ready` endpoint answers. */
  async start(): Promise<void> {
    const o = this.opts;
    await mkdir(o.dataDir, { recursive: true });
    await this.killStale();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JAVA_HOME: o.java.home,
      // Timer cycles (cron) and FEEL dates follow the contract's time zone.
      TZ: 'Europe/Rome',
      JAVA_OPTS: [
        `-Xmx${o.heapMb}m`,
        `-Xms${Math.min(o.heapMb, 256)}m`,
        '-Duser.timezone=Europe/Rome',
        ...jvmFlagsFor(o.java.major),
      ].join(' '),
      ZEEBE_BROKER_NETWORK_HOST: '127.0.0.1',
      ZEEBE_BROKER_NETWORK_ADVERTISEDHOST: '127.0.0.1',
      ZEEBE_BROKER_NETWORK_COMMANDAPI_PORT: String(o.grpcPort + 1),
      ZEEBE_BROKER_NETWORK_INTERNALAPI_PORT: String(o.grpcPort + 2),
      ZEEBE_BROKER_GATEWAY_ENABLE: 'true',
      ZEEBE_BROKER_GATEWAY_NETWORK_HOST: '127.0.0.1',
      ZEEBE_BROKER_GATEWAY_NETWORK_PORT: String(o.grpcPort),
      ZEEBE_BROKER_DATA_DIRECTORY: path.join(o.dataDir, 'data'),
      // Keep the disk watermarks from pausing a developer machine with a nearly full disk.
      ZEEBE_BROKER_DATA_DISK_FREESPACE_PROCESSING: '512MB',
      ZEEBE_BROKER_DATA_DISK_FREESPACE_REPLICATION: '256MB',
      SERVER_ADDRESS: '127.0.0.1',
      SERVER_PORT: String(o.restPort),
      MANAGEMENT_SERVER_ADDRESS: '127.0.0.1',
      MANAGEMENT_SERVER_PORT: String(o.monitoringPort),
      ZEEBE_CLOCK_CONTROLLED: String(o.clockControlled),
    };
    const logFile = createWriteStream(path.join(o.dataDir, 'broker.log'), { flags: 'a' });
    const child = spawn(path.join(o.distributionDir, 'bin', 'broker'), [], {
      env,
      cwd: o.distributionDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(logFile);
    child.stderr?.pipe(logFile);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    if (child.pid) await writeFile(this.pidFile, String(child.pid));
    o.log(`starting Zeebe broker (Java ${o.java.version}) on ${this.grpcAddress}`);

    const deadline = Date.now() + (o.readyTimeoutMs ?? 120_000);
    let exitCode: number | null | undefined;
    child.once('exit', (code) => (exitCode = code));
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new EngineSetupError(
          `The Zeebe broker exited with code ${exitCode} while starting; see ${path.join(o.dataDir, 'broker.log')}.`,
        );
      }
      if (await this.isReady()) return;
      await sleep(250);
    }
    await this.stop();
    throw new EngineSetupError(
      `The Zeebe broker was not ready after ${(o.readyTimeoutMs ?? 120_000) / 1000}s; see ${path.join(o.dataDir, 'broker.log')}.`,
    );
  }

  async isReady(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.opts.monitoringPort}/ready`, {
        signal: AbortSignal.timeout(1000),
      });
      return res.status === 204 || res.ok;
    } catch {
      return false;
    }
  }

  /** Stops the broker with SIGTERM (it takes a snapshot-free clean shutdown), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      await rm(this.pidFile, { force: true });
      return;
    }
    child.kill('SIGTERM');
    const killed = await Promise.race([
      this.exited?.then(() => true),
      sleep(20_000, undefined, { ref: false }).then(() => false),
    ]);
    if (!killed) {
      child.kill('SIGKILL');
      await this.exited;
    }
    await rm(this.pidFile, { force: true });
  }

  /** A broker left behind by a crashed run would hold the ports and the data folder's lock. */
  private async killStale(): Promise<void> {
    if (!existsSync(this.pidFile)) return;
    const pid = Number.parseInt(readFileSync(this.pidFile, 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 1) return;
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (!cmdline.includes('zeebe')) return;
    this.opts.log(`stopping a broker left behind by an earlier run (pid ${pid})`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 80 && existsSync(`/proc/${pid}`); i++) await sleep(250);
    if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
  }
}
