import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { inject } from 'vitest';

/**
 * The broker's clock API (`ZEEBE_CLOCK_CONTROLLED=true`, Zeebe 8.6): pins engine time so that
 * timers and activation timeouts fire without waiting. Engine time only ever moves forward
 * in a run (the latest pin is kept in a file shared by the test files): going back after a
 * jump leaves the engine's scheduled checks in the future.
 */
export async function advanceEngineClock(byMs: number): Promise<void> {
  const file = inject('clockFile');
  const last = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  const timestamp = Math.max(Date.now(), last) + byMs;
  const res = await fetch(`${inject('zeebeRestAddress')}/v2/clock`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ timestamp }),
  });
  if (res.status !== 204) throw new Error(`clock pin failed: HTTP ${res.status} ${await res.text()}`);
  writeFileSync(file, String(timestamp));
}

/** Pins engine time to `at`, which must not be before the latest pin of the run. */
export async function pinEngineClock(at: Date): Promise<void> {
  const file = inject('clockFile');
  const last = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  if (at.getTime() < last)
    throw new Error(`engine time only moves forward: ${at.toISOString()} < ${new Date(last).toISOString()}`);
  await advanceEngineClock(at.getTime() - Math.max(Date.now(), last));
}

/** The latest engine time pinned in this run, or now when none was. */
export function engineNow(): Date {
  const file = inject('clockFile');
  const last = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  return new Date(Math.max(Date.now(), last));
}
