import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../app.js';

/** The browser tests drive the built workspace the app serves; `npm test` builds it first. */
export default function setup(): void {
  if (!existsSync(path.join(PROJECT_ROOT, 'dist', 'web', 'index.html'))) {
    throw new Error('dist/web is missing: run `npm run build:web` (npm test does) before the browser tests');
  }
}
