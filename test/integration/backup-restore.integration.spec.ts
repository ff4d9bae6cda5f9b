import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT, type RunningApp } from '../../app.js';
import type { UserTask } from '../../domain/tasks/inbox.js';
import { ensureDatabase } from '../../platform/database/ensure-database.js';
import { findJava, type JavaInstall } from '../../platform/engine/java.js';
import { buildEngine, jdbcFromUrl, LocalEngine } from '../../platform/engine/local-engine.js';
import { startDebianPostgres, type DebianPostgres } from '../support/debian-postgres.js';
import { freePorts } from '../support/ports.js';
import { openTaskOf, slotOptions, startBooking, waitForConfirmation } from './support/booking.js';
import { apiAs, startTestApp, waitFor } from './support/test-app.js';

const run = promisify(execFile);

/**
 * Backup and restore (docs/disaster-recovery.md): the platform's database and the engine's,
 * dumped with pg_dump while the platform runs, restored into fresh databases; an engine and an
 * app started on the copies carry on where the originals were: the open tasks are there, with
 * their claims, and completing one books once. On Debian's PostgreSQL (another version than
 * the embedded one, and the one whose pg_dump is at hand): "any PostgreSQL".
 */
describe('backup and restore of the platform’s data (P4)', () => {
  let server: DebianPostgres;
  let root: string;
  let java: JavaInstall;
  let jar: string;
  beforeAll(async () => {
    server = await startDebianPostgres();
    root = await mkdtemp(path.join(os.tmpdir(), 'cc-backup-'));
    await chmod(root, 0o755);
    java = await findJava(process.env.JAVA_HOME);
    jar = await buildEngine(path.join(PROJECT_ROOT, 'engine'), java, () => undefined);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** An engine node and an app on the given pair of databases. */
  const start = async (names: { platform: string; engine: string }, node: string) => {
    const [port] = (await freePorts(1)) as [number];
    const engine = new LocalEngine({
      jar,
      java,
      dataDir: path.join(root, node),
      port,
      jdbc: jdbcFromUrl(await ensureDatabase(server.url, names.engine)),
      credentials: { user: inject('engineUser'), password: inject('enginePassword') },
      heapMb: 384,
      log: () => undefined,
    });
    await engine.start();
    let app: RunningApp;
    try {
      app = await startTestApp({
        DATABASE_URL: await ensureDatabase(server.url, names.platform),
        ENGINE_URL: engine.url,
      });
    } catch (err) {
      await engine.stop();
      throw err;
    }
    return { engine, app };
  };

  const dump = async (database: string, file: string) => {
    const u = new URL(server.url);
    u.pathname = `/${database}`;
    await run(path.join(server.bin, 'pg_dump'), ['--format=custom', `--file=${file}`, u.toString()]);
  };
  const restore = async (file: string, database: string) => {
    const url = await ensureDatabase(server.url, database);
    await run(path.join(server.bin, 'pg_restore'), ['--no-owner', '--exit-on-error', `--dbname=${url}`, file]);
  };

  it('restores into fresh databases: the app starts on them and the open tasks are still there, claims included', async () => {
    const original = await start({ platform: 'platform_live', engine: 'engine_live' }, 'live');
    let operator = apiAs(original.app, 'operatore.backup', ['operator']);
    const bookings = [await startBooking(operator), await startBooking(operator)];
    const tasks = [];
    for (const b of bookings) tasks.push(await openTaskOf(operator, b.processInstanceKey));
    const [claimed, open] = tasks as [(typeof tasks)[number], (typeof tasks)[number]];
    expect((await operator.post(`/api/tasks/${claimed.key}/claim`)).status).toBe(200);

    // Online backup: each database dumped while the platform runs (nothing moves between the two dumps here).
    const platformDump = path.join(root, 'platform.dump');
    const engineDump = path.join(root, 'engine.dump');
    await dump('platform_live', platformDump);
    await dump('engine_live', engineDump);
    await original.app.stop();
    await original.engine.stop();

    await restore(platformDump, 'platform_restored');
    await restore(engineDump, 'engine_restored');
    const restored = await start({ platform: 'platform_restored', engine: 'engine_restored' }, 'restored');
    try {
      operator = apiAs(restored.app, 'operatore.backup', ['operator']);
      const listed = await waitFor(async () => {
        const list = await operator.get<{ items: UserTask[] }>('/api/tasks?process=cup-booking&limit=500');
        const mine = list.body.items.filter((t) => t.key === claimed.key || t.key === open.key);
        return mine.length === 2 ? mine : undefined;
      }, 'the two open tasks on the restored platform');
      expect(listed.find((t) => t.key === claimed.key)?.assignee).toBe('operatore.backup');
      expect(listed.find((t) => t.key === open.key)?.assignee ?? null).toBeNull();

      // The restored platform works: the claimed task completed, the booking made and confirmed once.
      const slotId = slotOptions(claimed)[0]?.value ?? '';
      const done = await operator.post(`/api/tasks/${claimed.key}/complete`, { variables: { slotId } });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      await waitForConfirmation(restored.app, claimed.processInstanceKey, 60_000);
      const booked: unknown[] = await restored.app.db.query(
        `SELECT 1 FROM cup_appointments WHERE request_key = $1 AND status = 'booked'`,
        [`pi:${claimed.processInstanceKey}:slot:${slotId}`],
      );
      expect(booked).toHaveLength(1);
    } finally {
      await restored.app.stop();
      await restored.engine.stop();
    }
  });
});
