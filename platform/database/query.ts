/** Anything with TypeORM's `query`: a DataSource, an EntityManager, a QueryRunner. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs an UPDATE/DELETE … RETURNING and gives back the returned rows. TypeORM answers such
 * statements on PostgreSQL with `[rows, affectedCount]`, unlike SELECT and INSERT.
 */
export async function returning<T>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  const result = (await q.query(sql, params)) as unknown[];
  return (Array.isArray(result[0]) ? result[0] : result) as T[];
}
