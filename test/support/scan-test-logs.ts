/**
 * Fails when the test suite's logs hold a person's data (issue 13, security sweep): a fiscal
 * code, an Italian phone number, an electronic prescription number (NRE) or a person's e-mail
 * address. The test apps write their logs (level `TEST_LOG_LEVEL`, default `info`) as JSON lines
 * into `test-artifacts/logs/`; `npm test` runs this after the suites. Exit 1 with each finding's
 * file, line and kind (the datum itself masked: the report must not leak it either).
 *
 *   npm run scan:logs [-- DIR]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { scanText } from './log-scan.js';

const dir = process.argv[2] ?? path.join('test-artifacts', 'logs');

const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ndjson')) : [];
if (files.length === 0) {
  process.stderr.write(`no test logs in ${dir}: the scan has nothing to read (did the suites run?)\n`);
  process.exit(1);
}
const findings = files.flatMap((name) => scanText(readFileSync(path.join(dir, name), 'utf8'), name));
if (findings.length > 0) {
  process.stderr.write(`personal data in the test logs (${dir}): ${findings.length} finding(s)\n`);
  for (const f of findings.slice(0, 50)) process.stderr.write(`  ${f.file}:${f.line}: ${f.kind} ${f.sample}\n`);
  process.exit(1);
}
process.stdout.write(`test logs scanned: ${files.length} file(s) in ${dir}, no personal data\n`);
