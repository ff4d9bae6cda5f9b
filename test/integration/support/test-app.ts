import path from 'node:path';
import { pino } from 'pino';
import { inject } from 'vitest';
import { PROJECT_ROOT, startApp, type AppOverrides, type RunningApp } from '../../../app.js';
import { loadConfig } from '../../../platform/config.js';
import { createLogger } from '../../../platform/logger.js';
import { TwilioSms } from '../../../adapters/sms/twilio-sms.js';
import type { TwilioStandIn } from '../../../stand-ins/twilio/server.js';
import type { Role } from '../../../domain/access/roles.js';
import { sessionClient, type ApiClient } from '../../support/session-client.js';

export type { ApiClient, ApiResponse } from '../../support/session-client.js';

/** Where the test apps' logs go: `test/support/scan-test-logs.ts` fails the run on a person's data in them. */
export const TEST_LOG_DIR = path.join(PROJECT_ROOT, 'test-artifacts', 'logs');
let apps = 0;

/**
 * Starts the real app in-process against the run's engine and database, API on a free port.
 * Its log (level `TEST_LOG_LEVEL`, default `info`) goes to a file of `TEST_LOG_DIR`.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<RunningApp> {
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    ENGINE_URL: inject('engineUrl'),
    ENGINE_REST_USER: inject('engineUser'),
    ENGINE_REST_PASSWORD: inject('enginePassword'),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'info',
    // A worker that dies loses its task after 5 s (the kill tests wait that long, not 30 s).
    WORKER_LOCK_MS: '5000',
    WORKER_POLL_MS: '1000',
    TASK_WATCH_MS: '300',
    // The tests sign in many times from 127.0.0.1; the limit itself is tested with its default.
    SIGN_IN_LIMIT_PER_MINUTE: '10000',
    // Many apps run in one suite: the local mailboxes' SMTP listener only where a test sends to it.
    LOCAL_SMTP_PORT: '0',
    ...env,
  });
  const file = path.join(TEST_LOG_DIR, `app-${process.pid}-${Date.now().toString(36)}-${++apps}.ndjson`);
  const log =
    overrides.log ?? createLogger(config.LOG_LEVEL, pino.destination({ dest: file, mkdir: true, sync: true }));
  return startApp(config, { ...overrides, log });
}

/**
 * The real Twilio adapter pointed at a Twilio stand-in. It waits 2 s for an answer, not 15,
 * so a send left in doubt is settled after 7 s in tests.
 */
export function twilioVia(standIn: TwilioStandIn): TwilioSms {
  return new TwilioSms({
    accountSid: standIn.accountSid,
    authToken: standIn.authToken,
    from: '+390971000000',
    apiBaseUrl: standIn.url,
    timeoutMs: 2000,
  });
}

/** The password every account made by `apiAs` signs in with. */
export const TEST_PASSWORD = 'Prova-password-2026';

/** Makes (or updates) a local account with these roles, whose password is TEST_PASSWORD. */
export async function ensureUser(app: RunningApp, username: string, roles: Role[]): Promise<void> {
  await app.users
    .create({ username, displayName: username, roles, password: TEST_PASSWORD, mustChangePassword: false })
    .catch(async (err: Error) => {
      if (err.name !== 'ConflictError') throw err;
      await app.users.update(username, { roles, active: true });
    });
}

/** Calls the API signed in as `user` with `roles` (the account is made on first use). */
export function apiAs(app: RunningApp, user = 'operatore.uno', roles: Role[] = ['operator']): ApiClient {
  const client = sessionClient(app.url ?? '');
  let ready: Promise<void> | undefined;
  const signedIn = () =>
    (ready ??= (async () => {
      await ensureUser(app, user, roles);
      const res = await client.signIn(user, TEST_PASSWORD);
      if (res.status !== 200) throw new Error(`sign-in of ${user} failed: ${res.status} ${JSON.stringify(res.body)}`);
    })());
  return {
    get: async (p) => (await signedIn(), client.get(p)),
    post: async (p, b, o) => (await signedIn(), client.post(p, b, o)),
    patch: async (p, b) => (await signedIn(), client.patch(p, b)),
    put: async (p, b) => (await signedIn(), client.put(p, b)),
    delete: async (p) => (await signedIn(), client.delete(p)),
  };
}

/** Polls until `probe` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
