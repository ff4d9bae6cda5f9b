import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { freePorts } from '../support/ports.js';
import { waitFor } from './support/test-app.js';
import { VALID_NRE } from './support/booking.js';
import { sessionClient } from '../support/session-client.js';

const alive = (pid: number) => existsSync(`/proc/${pid}`);

/**
 * The README's start command on its embedded default: its own broker and PostgreSQL in a
 * fresh data folder, a booking done over HTTP, then Ctrl-C (SIGINT) leaves nothing behind.
 */
describe('the start command on the embedded default', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'starts everything, books from a prescription with the local SMS outbox, and stops cleanly on Ctrl-C',
    { timeout: 240_000 },
    async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-start-'));
      await chmod(dataDir, 0o755);
      const [port, pgPort, grpcPort, , , restPort, monitoringPort] = await freePorts(7);
      const output: string[] = [];
      const errors: string[] = [];
      child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
          ...(process.env.ZEEBE_DIST_CACHE ? { ZEEBE_DIST_CACHE: process.env.ZEEBE_DIST_CACHE } : {}),
          DATA_DIR: dataDir,
          PORT: String(port),
          EMBEDDED_PG_PORT: String(pgPort),
          ZEEBE_GRPC_PORT: String(grpcPort),
          ZEEBE_REST_PORT: String(restPort),
          ZEEBE_MONITORING_PORT: String(monitoringPort),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
      child.stderr?.on('data', (b: Buffer) => errors.push(b.toString()));
      const base = `http://127.0.0.1:${port}`;

      await waitFor(
        () => Promise.resolve(output.join('').includes('contact center ready')),
        'the ready log line',
        150_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${output.join('').slice(-3000)}\n${errors.join('').slice(-2000)}`);
      });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      // Every log line is JSON; the first-start notice with the demo accounts goes to stderr.
      for (const line of output.join('').split('\n').filter(Boolean))
        expect(() => JSON.parse(line) as unknown).not.toThrow();

      const brokerPid = Number(readFileSync(path.join(dataDir, 'zeebe', 'broker.pid'), 'utf8'));
      const pgPid = Number(readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(alive(brokerPid) && alive(pgPid)).toBe(true);

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

      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(alive(brokerPid)).toBe(false);
      expect(alive(pgPid)).toBe(false);
    },
  );
});
