/** Anything that runs a query: a DataSource, a transaction's EntityManager. */
export type Queryable = { query(sql: string, params: unknown[]): Promise<unknown> };

/** Runs one UPDATE/DELETE (without its RETURNING) and counts the rows it touched. */
export async function changedRows(db: Queryable, sql: string, params: unknown[]): Promise<number> {
  const rows = (await db.query(
    `WITH changed AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM changed`,
    params,
  )) as { n: number }[];
  return rows[0]?.n ?? 0;
}
