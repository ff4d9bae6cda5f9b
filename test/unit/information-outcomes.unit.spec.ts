import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { INFORMATION_OUTCOMES } from '../../domain/contacts/outcome-codes.js';

describe('information contact outcomes (C7)', () => {
  it('offers in the closing form exactly the catalogue, with the same labels', () => {
    const form = JSON.parse(
      readFileSync(path.join(PROJECT_ROOT, 'processes', 'cup-information-close.form'), 'utf8'),
    ) as {
      components: { key?: string; values?: { label: string; value: string }[] }[];
    };
    const select = form.components.find((c) => c.key === 'outcomeCode');
    expect(Object.fromEntries((select?.values ?? []).map((v) => [v.value, v.label]))).toEqual(INFORMATION_OUTCOMES);
  });
});
