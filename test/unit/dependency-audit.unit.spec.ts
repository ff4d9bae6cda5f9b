import { describe, expect, it } from 'vitest';
import { auditVerdict } from '../../scripts/dependency-audit.js';

describe('the dependency audit in CI', () => {
  it('fails on a high or critical vulnerability and names the package', () => {
    const v = auditVerdict(
      JSON.stringify({
        vulnerabilities: { 'some-lib': { severity: 'high' }, other: { severity: 'low' } },
        metadata: { vulnerabilities: { info: 0, low: 1, moderate: 0, high: 1, critical: 0, total: 2 } },
      }),
    );
    expect(v.ok).toBe(false);
    expect(v.lines).toEqual([
      'dependency audit (production dependencies): info 0, low 1, moderate 0, high 1, critical 0',
      '  high: some-lib',
    ]);
  });

  it('passes on low and moderate ones, and says so', () => {
    const v = auditVerdict(
      JSON.stringify({ metadata: { vulnerabilities: { low: 2, moderate: 1, high: 0, critical: 0, total: 3 } } }),
    );
    expect(v.ok).toBe(true);
  });

  it('passes, saying it was skipped, where the registry does not answer the audit', () => {
    const v = auditVerdict(
      JSON.stringify({ message: '405 Method Not Allowed - POST …/advisories/bulk', statusCode: 405 }),
    );
    expect(v).toEqual({
      ok: true,
      lines: [
        'dependency audit: the registry did not answer the audit (405 Method Not Allowed - POST …/advisories/bulk); skipped',
      ],
    });
    expect(auditVerdict('').ok).toBe(true);
  });
});
