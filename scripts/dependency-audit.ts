import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/**
 * `npm run audit:deps` (and CI): the production dependencies' known vulnerabilities, from the
 * registry's audit endpoint. Fails on a high or critical one. Where the registry does not answer
 * the audit (a mirror, a proxy that only serves packages: HTTP 405 here), it says so and passes,
 * since that is no finding; the lockfile is then audited wherever the registry answers.
 */
export interface AuditReport {
  metadata?: { vulnerabilities?: Record<string, number> };
  vulnerabilities?: Record<string, { severity: string }>;
  message?: string;
}

/** What `npm audit --json` said: pass or fail, and the lines to print. */
export function auditVerdict(stdout: string): { ok: boolean; lines: string[] } {
  let report: AuditReport;
  try {
    report = JSON.parse(stdout || '{}') as AuditReport;
  } catch {
    return { ok: true, lines: ['dependency audit: npm audit gave no report; skipped'] };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) {
    return {
      ok: true,
      lines: [`dependency audit: the registry did not answer the audit (${report.message ?? 'no report'}); skipped`],
    };
  }
  const serious = Object.entries(report.vulnerabilities ?? {}).filter(
    ([, v]) => v.severity === 'high' || v.severity === 'critical',
  );
  const summary = Object.entries(counts)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return {
    ok: serious.length === 0 && (counts['high'] ?? 0) + (counts['critical'] ?? 0) === 0,
    lines: [
      `dependency audit (production dependencies): ${summary}`,
      ...serious.map(([name, v]) => `  ${v.severity}: ${name}`),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const verdict = auditVerdict(run.stdout);
  for (const l of verdict.lines) process.stdout.write(`${l}\n`);
  process.exit(verdict.ok ? 0 : 1);
}
