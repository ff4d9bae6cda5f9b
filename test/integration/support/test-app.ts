import { inject } from 'vitest';
import { startApp, type AppOverrides, type RunningApp } from '../../../app.js';
import { loadConfig } from '../../../platform/config.js';
import { TwilioSms } from '../../../adapters/sms/twilio-sms.js';
import type { TwilioStandIn } from '../../../stand-ins/twilio/server.js';

/** Starts the real app in-process against the run's broker and database, API on a free port. */
export async function startTestApp(
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<RunningApp> {
  const config = loadConfig({
    DATABASE_URL: inject('databaseUrl'),
    ZEEBE_GRPC_ADDRESS: inject('zeebeGrpcAddress'),
    ZEEBE_REST_ADDRESS: inject('zeebeRestAddress'),
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    USER_TASK_TIMEOUT_MS: '30000',
    ...env,
  });
  return startApp(config, overrides);
}

/** The real Twilio adapter pointed at a Twilio stand-in. */
export function twilioVia(standIn: TwilioStandIn): TwilioSms {
  return new TwilioSms({
    accountSid: standIn.accountSid,
    authToken: standIn.authToken,
    from: '+390971000000',
    apiBaseUrl: standIn.url,
  });
}

export interface ApiClient {
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  post<T = unknown>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** Calls the API as a user with groups (the X-User headers the API reads until sign-in lands). */
export function apiAs(app: RunningApp, user = 'operatore.uno', groups: string[] = ['cup-operators']): ApiClient {
  const headers = { 'content-type': 'application/json', 'x-user': user, 'x-user-groups': groups.join(',') };
  const call = async <T>(method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b) };
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
