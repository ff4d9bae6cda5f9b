import path from 'node:path';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../platform/database/data-source.js';
import { startEmbeddedPostgres } from '../platform/database/embedded-postgres.js';
import { loadConfig } from '../platform/config.js';

/**
 * The platform's database for a command run beside it: `DATABASE_URL` when set; otherwise the
 * embedded PostgreSQL in `DATA_DIR` — the running platform's if it is up, else started for the
 * command and stopped after it.
 */
export async function commandDatabase(): Promise<{ db: DataSource; close: () => Promise<void> }> {
  const config = loadConfig(process.env, []);
  let url = config.DATABASE_URL;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const embedded = `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_PG_PORT}/contact_center`;
    const probe = new pg.Client({ connectionString: embedded, connectionTimeoutMillis: 2000 });
    try {
      await probe.connect();
      url = embedded;
    } catch {
      const started = await startEmbeddedPostgres({
        dataDir: path.join(path.resolve(config.DATA_DIR), 'postgres'),
        port: config.EMBEDDED_PG_PORT,
        database: 'contact_center',
        log: (msg) => process.stderr.write(`${msg}\n`),
      });
      url = started.url;
      stop = () => started.stop();
    } finally {
      await probe.end().catch(() => undefined);
    }
  }
  const db = await openDatabase(url, 4);
  return {
    db,
    close: async () => {
      await db.destroy();
      await stop?.();
    },
  };
}
