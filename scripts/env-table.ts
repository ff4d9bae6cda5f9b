import type { z } from 'zod';
import { envSchema } from '../platform/config.js';

/** Prints the README's configuration table from the schema: `npx tsx scripts/env-table.ts`. */
const rows = Object.entries(envSchema.shape).map(([key, schema]) => {
  const s = schema as z.ZodType;
  const parsed = s.safeParse(undefined);
  const value: unknown = parsed.success ? parsed.data : undefined;
  const def =
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? `\`${value}\`` : '';
  return `| \`${key}\` | ${def.replace(/\/root|\/home\/[^/]+/, '~')} | ${s.description ?? ''} |`;
});
process.stdout.write(['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n') + '\n');
