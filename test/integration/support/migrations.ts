import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { ensureDatabase } from '../../../platform/database/ensure-database.js';
import { MIGRATIONS } from '../../../platform/database/data-source.js';

/**
 * A database of its own (`prefix_` and a random suffix), migrated up to `migration`: without it
 * (`including: false`, to run its `up` by hand on rows written before it) or with it.
 */
export async function databaseMigratedTo(
  prefix: string,
  migration: (typeof MIGRATIONS)[number],
  { including }: { including: boolean },
): Promise<DataSource> {
  const url = await ensureDatabase(inject('databaseUrl'), `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 8)}`);
  const upTo = MIGRATIONS.indexOf(migration);
  if (upTo < 1) throw new Error(`not one of the platform's migrations: ${migration.name}`);
  const ds = new DataSource({
    type: 'postgres',
    url,
    migrations: [...MIGRATIONS.slice(0, including ? upTo + 1 : upTo)],
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
  });
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return ds;
}
