import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { findJava } from '../../platform/engine/java.js';
import { EngineSetupError } from '../../platform/engine/process-util.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from './support/test-app.js';
import { VALID_NRE } from './support/booking.js';
import { sessionClient } from '../support/session-client.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`);

/** Processes whose command line or working directory is inside `dir` (what a start left running there). */
function processesIn(dir: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // A process of another user (PostgreSQL as `postgres`): its command line names the folder.
      }
      if (cmdline.includes(dir) || cwd.startsWith(dir)) found.push({ pid, cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Runs `main.ts` in `cwd` to its exit; its code and what it printed. */
function runMain(
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The README's start command on its embedded default: its own Operaton engine and
 * PostgreSQL in a fresh data folder, a booking done over HTTP, then Ctrl-C (SIGINT) leaves
 * nothing behind. Without Maven or Java the start stops with a message saying what to do.
 */
describe('the start command on the embedded default', () => {
  let child: ChildProcess | undefined;
  const folders: string[] = [];

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    for (const f of folders) await rm(f, { recursive: true, force: true });
  });

  it(
    'starts everything, books from a prescription with the local SMS outbox, and stops cleanly on Ctrl-C',
    { timeout: 240_000 },
    async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-start-'));
      folders.push(dataDir);
      await chmod(dataDir, 0o755);
      const [port, pgPort, enginePort] = (await freePorts(3)) as [number, number, number];
      const output: string[] = [];
      const errors: string[] = [];
      child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
          DATA_DIR: dataDir,
          PORT: String(port),
          EMBEDDED_PG_PORT: String(pgPort),
          ENGINE_PORT: String(enginePort),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
      child.stderr?.on('data', (b: Buffer) => errors.push(b.toString()));
      const base = `http://127.0.0.1:${port}`;

      const main = child;
      // A start that stops says why at once: waiting out the timeout would show nothing more.
      const stopped = new Promise<never>((_, reject) =>
        main.once('exit', (code) => reject(new Error(`the start exited with code ${code}`))),
      );
      stopped.catch(() => undefined);
      await Promise.race([
        waitFor(() => Promise.resolve(output.join('').includes('contact center ready')), 'the ready log line', 150_000),
        stopped,
      ]).catch((err: Error) => {
        throw new Error(`${err.message}\n${output.join('').slice(-3000)}\n${errors.join('').slice(-2000)}`);
      });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ checks: { engine: true, database: true } });
      // Every log line is JSON; the first-start notice with the demo accounts goes to stderr.
      for (const line of output.join('').split('\n').filter(Boolean))
        expect(() => JSON.parse(line) as unknown).not.toThrow();

      // Its own engine (a java process on the engine port, loopback only, behind credentials) and PostgreSQL.
      const enginePid = Number(readFileSync(path.join(dataDir, 'engine', 'engine.pid'), 'utf8'));
      const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(alive(enginePid) && alive(pgPid)).toBe(true);
      expect(readFileSync(`/proc/${enginePid}/cmdline`, 'utf8')).toContain('engine.jar');
      const engineUrl = `http://127.0.0.1:${enginePort}/engine-rest`;
      expect((await fetch(`${engineUrl}/version`)).status).toBe(401);
      const credentials = JSON.parse(readFileSync(path.join(dataDir, 'engine', 'credentials.json'), 'utf8')) as {
        user: string;
        password: string;
      };
      const version = await fetch(`${engineUrl}/version`, {
        headers: {
          authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`,
        },
      });
      expect(version.status).toBe(200);
      expect(await version.json()).toMatchObject({ version: expect.stringMatching(/^1\.0\.3/) as unknown });

      const notice = errors.join('');
      const password = /^ {2}operatore +(\S+) +operator$/m.exec(notice)?.[1];
      expect(password, notice).toBeDefined();
      for (const user of ['backoffice1', 'backoffice2', 'analista', 'supervisore', 'regione', 'admin']) {
        expect(notice).toMatch(new RegExp(`^ {2}${user} +\\S+`, 'm'));
      }

      const api = sessionClient(base);
      expect((await api.get('/api/tasks')).status).toBe(401);
      expect((await api.signIn('operatore', password ?? '')).status).toBe(200);
      // The printed password is one-time: nothing works until it is changed.
      expect((await api.get('/api/tasks')).status).toBe(403);
      const changed = await api.post('/api/session/password', {
        currentPassword: password,
        newPassword: 'Operatore-scelta-2026',
      });
      expect(changed.status).toBe(204);
      const started = (
        await api.post<{ processInstanceKey: string }>('/api/cup/bookings', {
          prescriptionNre: VALID_NRE,
          serviceCode: '95.02',
          patientId: 'pat-0002',
        })
      ).body;
      const task = await waitFor(async () => {
        const list = await api.get<{ items: { key: string; processInstanceKey: string }[] }>(
          '/api/tasks?process=cup-booking',
        );
        return list.body.items.find((t) => t.processInstanceKey === started.processInstanceKey);
      }, 'the operator task');
      const detail = (await api.get<{ variables: { slotOptions: { value: string }[] } }>(`/api/tasks/${task.key}`))
        .body;
      await api.post(`/api/tasks/${task.key}/claim`);
      const done = await api.post(`/api/tasks/${task.key}/complete`, {
        variables: { slotId: detail.variables.slotOptions[0]?.value },
      });
      expect(done.status).toBe(200);
      const sms = await waitFor(async () => {
        const list = await api.get<{ items: { provider: string; to: string; body: string }[] }>('/api/sms/messages');
        return list.body.items[0];
      }, 'the confirmation SMS in the local outbox');
      expect(sms).toMatchObject({ provider: 'local', to: '+393330000002' });
      expect(sms.body).toMatch(/^CUP Basilicata: prenotazione BAS-/);

      // What runs for this data folder: at least the engine and PostgreSQL (the check below sees them).
      expect(processesIn(dataDir).map((p) => p.pid)).toEqual(expect.arrayContaining([enginePid, pgPid]));
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(alive(enginePid)).toBe(false);
      expect(alive(pgPid)).toBe(false);
      // Nothing else it started is left running either.
      expect(processesIn(dataDir)).toEqual([]);
      expect(existsSync(path.join(dataDir, 'engine', 'engine.pid'))).toBe(false);
    },
  );

  it('without Maven to build the engine, stops at once with a message naming what to install and the alternatives', async () => {
    // A checkout whose engine was never built (no engine/target), on a machine without `mvn`.
    const checkout = await mkdtemp(path.join(os.tmpdir(), 'cc-checkout-'));
    folders.push(checkout);
    const skip = new Set(['node_modules', '.git', 'dist', 'data', 'test-artifacts']);
    for (const entry of readdirSync(PROJECT_ROOT)) {
      if (skip.has(entry)) continue;
      await cp(path.join(PROJECT_ROOT, entry), path.join(checkout, entry), {
        recursive: true,
        filter: (src) => !src.startsWith(path.join(PROJECT_ROOT, 'engine', 'target')),
      });
    }
    await symlink(path.join(PROJECT_ROOT, 'node_modules'), path.join(checkout, 'node_modules'));
    const emptyPath = path.join(checkout, 'no-tools');
    await mkdir(emptyPath);
    const [port] = (await freePorts(1)) as [number];

    const result = await runMain(checkout, {
      PATH: emptyPath,
      HOME: process.env.HOME,
      ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
      DATABASE_URL: inject('databaseUrl'),
      DATA_DIR: path.join(checkout, 'data'),
      PORT: String(port),
      LOG_LEVEL: 'silent',
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('The local Operaton engine is built with Maven, which is not installed');
    expect(result.stderr).toContain('apt-get install maven');
    expect(result.stderr).toMatch(/docker compose up/);
    expect(result.stderr).toMatch(/ENGINE_URL/);
    expect(existsSync(path.join(checkout, 'engine', 'target', 'engine.jar'))).toBe(false);
    expect(processesIn(checkout)).toEqual([]);
  });

  it('without a Java 17+, names the Java found and the alternatives', async () => {
    // A JAVA_HOME with a Java 11 and no JDK in the system folder.
    const jdks = await mkdtemp(path.join(os.tmpdir(), 'cc-jdks-'));
    folders.push(jdks);
    const old = path.join(jdks, 'old-jdk');
    await mkdir(path.join(old, 'bin'), { recursive: true });
    await writeFile(path.join(old, 'bin', 'java'), '#!/bin/sh\necho \'openjdk version "11.0.22" 2024-01-16\' >&2\n', {
      mode: 0o755,
    });
    const none = path.join(jdks, 'jvm');
    await mkdir(none);
    const err = await findJava(old, none).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineSetupError);
    const message = (err as Error).message;
    expect(message).toContain('needs Java 17 or newer');
    expect(message).toContain(`JAVA_HOME=${old} (Java 11.0.22)`);
    expect(message).toMatch(/apt-get install openjdk-17-jdk-headless maven/);
    expect(message).toMatch(/docker compose up/);
    expect(message).toMatch(/ENGINE_URL/);
    // A real JDK of this machine is found as such.
    expect((await findJava(process.env.JAVA_HOME)).major).toBeGreaterThanOrEqual(17);
  });
});
