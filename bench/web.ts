/**
 * Web workspace benchmark: what the pages weigh, and how long a person waits in real
 * Chromium against the embedded default: sign-in page, sign-in to the task list, a task
 * with its form and diagram, the modeler with cup-booking, a new task reaching an open list
 * (live update), and the server's sign-in cost (scrypt).
 *
 *   npm run bench:web            # ROUNDS=5 by default; medians printed
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../app.js';
import { freePorts } from '../test/support/ports.js';
import { sessionClient } from '../test/support/session-client.js';
import { launchChromium } from '../test/e2e/support/browser.js';
import { BENCH_PASSWORD, quantiles, startPlatform, stopPlatform } from './platform.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const out = (s: string) => process.stdout.write(`${s}\n`);
const median = (xs: number[]) => quantiles(xs).p50;

function bundleKb(): { entry: number; largest: { name: string; kb: number }; total: number } {
  const dir = path.join(PROJECT_ROOT, 'dist', 'web', 'assets');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.js') || f.endsWith('.css'))
    .map((f) => ({ name: f, kb: statSync(path.join(dir, f)).size / 1024 }));
  const entry = files.filter((f) => f.name.startsWith('index-')).reduce((a, f) => a + f.kb, 0);
  const largest = files.reduce((a, f) => (f.kb > a.kb ? f : a), { name: '', kb: 0 });
  return { entry, largest, total: files.reduce((a, f) => a + f.kb, 0) };
}

async function main(): Promise<void> {
  out('building…');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  const sizes = bundleKb();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cc-bench-web-'));
  await chmod(dataDir, 0o755);
  const platform = await startPlatform(dataDir, await freePorts(3));
  const browser = await launchChromium();
  try {
    const api = sessionClient(platform.base);
    const signIns: number[] = [];
    for (let i = 0; i < ROUNDS * 2; i++) {
      const t0 = performance.now();
      const res = await sessionClient(platform.base).signIn('supervisore', BENCH_PASSWORD);
      if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
      signIns.push(performance.now() - t0);
    }
    await api.signIn('operatore', BENCH_PASSWORD);

    const t = {
      signInPage: [] as number[],
      toTasks: [] as number[],
      task: [] as number[],
      modeler: [] as number[],
      live: [] as number[],
    };
    for (let round = 0; round < ROUNDS; round++) {
      const context = await browser.newContext({ baseURL: platform.base, viewport: { width: 1400, height: 950 } });
      const page = await context.newPage();
      let t0 = performance.now();
      await page.goto('/');
      await page.getByLabel('Nome utente').waitFor();
      t.signInPage.push(performance.now() - t0);

      await page.getByLabel('Nome utente').fill('operatore');
      await page.getByLabel('Password').fill(BENCH_PASSWORD);
      t0 = performance.now();
      await page.getByRole('button', { name: 'Accedi' }).click();
      await page.locator('table.list, .empty').first().waitFor();
      t.toTasks.push(performance.now() - t0);

      // Live: a booking started elsewhere shows up in the open list.
      await page.goto('/compiti?process=cup-booking');
      await page.locator('table.list, .empty').first().waitFor();
      const before = await page.locator('tr[data-task-key]').count();
      t0 = performance.now();
      await api.post('/api/cup/bookings', {
        prescriptionNre: '170A10123456789',
        serviceCode: '95.02',
        patientId: 'pat-0002',
      });
      await page.locator('tr[data-task-key]').nth(before).waitFor();
      t.live.push(performance.now() - t0);

      const key = await page.locator('tr[data-task-key]').first().getAttribute('data-task-key');
      t0 = performance.now();
      await page.goto(`/compiti/${key}`);
      await page.locator('.task-form .fjs-form').waitFor();
      await page.locator('.diagram .djs-element').first().waitFor();
      t.task.push(performance.now() - t0);
      await context.close();

      const analystContext = await browser.newContext({
        baseURL: platform.base,
        viewport: { width: 1400, height: 950 },
      });
      const analyst = await analystContext.newPage();
      await analyst.goto('/');
      await analyst.getByLabel('Nome utente').fill('analista');
      await analyst.getByLabel('Password').fill(BENCH_PASSWORD);
      await analyst.getByRole('button', { name: 'Accedi' }).click();
      await analyst.getByRole('button', { name: 'Esci' }).waitFor();
      t0 = performance.now();
      await analyst.goto('/modellatore?processo=cup-booking');
      await analyst.locator('.modeler-canvas .djs-element[data-element-id="choose-slot"]').waitFor();
      await analyst
        .locator('#problems-title .count')
        .filter({ hasText: /^0 errori/ })
        .waitFor();
      t.modeler.push(performance.now() - t0);
      await analystContext.close();
    }

    out('\n| measure | value |\n|---|---|');
    out(`| entry bundle (index-*.js + css), what the sign-in page loads | ${sizes.entry.toFixed(0)} kB |`);
    out(
      `| largest chunk (${sizes.largest.name.replace(/-[\w-]+\./, '.')}), loaded on the modeler page only | ${sizes.largest.kb.toFixed(0)} kB |`,
    );
    out(`| all assets | ${sizes.total.toFixed(0)} kB |`);
    out(`| sign-in request (scrypt N=2^15), median of ${signIns.length} | ${median(signIns).toFixed(0)} ms |`);
    out(`| sign-in page shown (cold browser context), median of ${ROUNDS} | ${median(t.signInPage).toFixed(0)} ms |`);
    out(`| sign-in click to task list shown | ${median(t.toTasks).toFixed(0)} ms |`);
    out(`| new booking to its task in an open list (live, no reload) | ${median(t.live).toFixed(0)} ms |`);
    out(`| task page: form and diagram rendered | ${median(t.task).toFixed(0)} ms |`);
    out(`| modeler: cup-booking drawn and linted | ${median(t.modeler).toFixed(0)} ms |`);
  } finally {
    await browser.close();
    await stopPlatform(platform);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
