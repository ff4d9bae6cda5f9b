import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ImportRejected, importContacts, parseContactsCsv } from '../domain/kpi/contact-import.js';
import { commandDatabase } from './kpi-database.js';

/**
 * `npm run contacts:import -- FILE.csv`: imports contact records into the KPIs. Every row is
 * checked first; with a bad row nothing is written and each is listed with its line number.
 */
async function main(): Promise<void> {
  const files = process.argv.slice(2).filter((a) => a !== '--');
  if (files.length !== 1) {
    process.stderr.write('usage: npm run contacts:import -- FILE.csv\n');
    process.exit(2);
  }
  const file = files[0] ?? '';
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    process.stderr.write(`cannot read ${file}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let rows;
  try {
    rows = parseContactsCsv(text);
  } catch (err) {
    if (!(err instanceof ImportRejected)) throw err;
    process.stderr.write(`${file}: nothing imported, ${err.rowErrors.length} bad row(s):\n`);
    for (const e of err.rowErrors.slice(0, 100)) process.stderr.write(`  line ${e.line}: ${e.message}\n`);
    if (err.rowErrors.length > 100) process.stderr.write(`  … and ${err.rowErrors.length - 100} more\n`);
    process.exit(1);
  }
  const { db, close } = await commandDatabase();
  try {
    const started = Date.now();
    const result = await importContacts(db, path.basename(file), rows);
    process.stdout.write(
      `${file}: ${result.rows} rows, ${result.inserted} imported, ${result.unchanged} already present (${Date.now() - started} ms)\n`,
    );
  } catch (err) {
    if (!(err instanceof ImportRejected)) throw err;
    process.stderr.write(`${file}: nothing imported:\n`);
    for (const e of err.rowErrors) process.stderr.write(`  line ${e.line}: ${e.message}\n`);
    process.exitCode = 1;
  } finally {
    await close();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
