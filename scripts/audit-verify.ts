import { parseArgs } from 'node:util';
import { verifyAuditChain } from '../domain/access/audit-chain.js';
import { commandDatabase } from './kpi-database.js';

const USAGE = `usage: npm run audit:verify -- [--expect-head SEQ:HASH] [--format text|json]
Verifies the audit trail's hash chain in the platform's database (DATABASE_URL, or the embedded
one in DATA_DIR). Exit 0: the chain holds; 1: it does not (the entries are listed); 2: bad usage.
Note the head it prints outside the database; --expect-head checks later that it is still there.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

/** `npm run audit:verify`: is the audit trail as it was written? */
async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: { 'expect-head': { type: 'string' }, format: { type: 'string', default: 'text' } },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') fail('--format must be text or json');
  let expectHead: { seq: string; hash: string } | undefined;
  if (values['expect-head'] !== undefined) {
    const m = /^(\d{1,18}):([0-9a-f]{64})$/.exec(values['expect-head']);
    if (!m) fail('--expect-head must be SEQ:HASH, as printed by an earlier verification');
    expectHead = { seq: m[1] as string, hash: m[2] as string };
  }
  const { db, close } = await commandDatabase();
  let ok = false;
  try {
    const v = await verifyAuditChain(db, { expectHead });
    ok = v.ok;
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
    } else {
      process.stdout.write(
        `${v.ok ? 'Registro accessi integro' : 'Registro accessi ALTERATO'}: ${v.entries} voci verificate` +
          ` (${v.pruned} svuotate dalla conservazione), dalla ${v.anchor.seq} esclusa.\n` +
          `Testa: ${v.head.seq}:${v.head.hash}\n`,
      );
      for (const p of v.problems) process.stdout.write(`  voce ${p.seq}: ${p.problem}\n`);
    }
  } finally {
    await close();
  }
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
