import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/**
 * Every environment variable the app reads, with its default and meaning.
 * The README's configuration table is checked against this schema by a unit test,
 * so a new variable must be documented there too.
 */
export const envSchema = z.object({
  APP_MODE: z
    .enum(['all', 'api', 'workers'])
    .default('all')
    .describe(
      'What this process runs: `all` (API and job workers), `api` or `workers`. The flags `--api-only` and `--workers-only` override it.',
    ),
  HOST: z.string().default('127.0.0.1').describe('Address the HTTP API listens on (`0.0.0.0` in a container).'),
  PORT: port.default(3000).describe('Port of the HTTP API and web pages.'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of the JSON logs on stdout.'),
  DATA_DIR: z
    .string()
    .default('data')
    .describe('Folder for the embedded PostgreSQL and Zeebe data (relative to the working directory).'),
  DATABASE_URL: optionalString.describe('PostgreSQL connection URL. When set, the embedded PostgreSQL is not started.'),
  EMBEDDED_PG_PORT: port.default(5433).describe('Port of the embedded PostgreSQL (only without `DATABASE_URL`).'),
  ZEEBE_GRPC_ADDRESS: optionalString.describe(
    'Zeebe gateway address (`host:port`) of an existing cluster. When set, no local broker is started.',
  ),
  ZEEBE_REST_ADDRESS: optionalString.describe(
    'Zeebe REST address (`http://host:port`) of an existing cluster; used for the clock API in tests.',
  ),
  ZEEBE_CLIENT_ID: optionalString.describe('OAuth client id for Camunda SaaS / self-managed with identity.'),
  ZEEBE_CLIENT_SECRET: optionalString.describe('OAuth client secret for Camunda SaaS / self-managed with identity.'),
  CAMUNDA_OAUTH_URL: optionalString.describe('OAuth token URL for Camunda SaaS / self-managed with identity.'),
  ZEEBE_TOKEN_AUDIENCE: optionalString.describe('OAuth audience of the Zeebe API (Camunda SaaS: `zeebe.camunda.io`).'),
  CAMUNDA_SECURE_CONNECTION: bool
    .optional()
    .describe('Use TLS to the Zeebe gateway. Defaults to true when OAuth credentials are set, else false.'),
  ZEEBE_GRPC_PORT: port.default(26500).describe('gRPC gateway port of the local broker.'),
  ZEEBE_REST_PORT: port.default(8080).describe('REST port of the local broker.'),
  ZEEBE_MONITORING_PORT: port.default(9600).describe('Monitoring port (`/ready`, `/metrics`) of the local broker.'),
  ZEEBE_CLOCK_CONTROLLED: bool
    .default(false)
    .describe('Start the local broker with its clock API (`/v2/clock`) enabled; for tests and demos.'),
  ZEEBE_BROKER_HEAP_MB: z.coerce
    .number()
    .int()
    .min(128)
    .default(512)
    .describe('Java heap of the local broker, in MiB.'),
  ZEEBE_DIST_CACHE: z
    .string()
    .default(path.join(os.homedir(), '.cache', 'basilicata-contact-center'))
    .describe('Where the fetched Zeebe distribution is cached (outside git).'),
  JAVA_HOME: optionalString.describe(
    'Java 21+ for the local broker. Without it the JDKs under `/usr/lib/jvm` are searched.',
  ),
  CUP_FHIR_BASE_URL: optionalString.describe(
    "FHIR R4 base URL of the region's CUP. When set, bookings go there instead of the local CUP in PostgreSQL.",
  ),
  CUP_FHIR_TOKEN: optionalString.describe('Bearer token for `CUP_FHIR_BASE_URL`, when the CUP requires one.'),
  SMS_PROVIDER: z
    .enum(['local', 'twilio'])
    .optional()
    .describe(
      '`twilio` or `local` (messages kept in PostgreSQL, visible at `/api/sms/messages`). Defaults to `twilio` when `TWILIO_ACCOUNT_SID` is set.',
    ),
  TWILIO_ACCOUNT_SID: optionalString.describe('Twilio account SID (`AC…`).'),
  TWILIO_AUTH_TOKEN: optionalString.describe('Twilio auth token.'),
  TWILIO_FROM: optionalString.describe('Sender: an SMS-capable number in E.164 or an alphanumeric sender id.'),
  TWILIO_API_BASE_URL: optionalString.describe(
    'Base URL replacing `https://api.twilio.com` (a Twilio-compatible stand-in in tests).',
  ),
  PUBLIC_BASE_URL: optionalString.describe(
    'The URL at which Twilio reaches this app (e.g. `https://cc.regione.basilicata.it`); enables SMS delivery callbacks at `/webhooks/twilio/sms-status`, signature-checked.',
  ),
  SESSION_SECRET: optionalString.describe(
    'Secret that signs session cookies (32+ characters). Without it one is generated and kept in the database.',
  ),
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(5)
    .max(24 * 60)
    .default(480)
    .describe('A session ends after this many minutes without requests (default: a working day).'),
  DEMO_USERS: bool
    .default(true)
    .describe(
      'On an empty account list, create one demo account per role (their passwords are printed once at start). When false only `admin` is created.',
    ),
  DEMO_USERS_PASSWORD: optionalString.describe(
    'Password for the demo accounts instead of random ones (demos, tests). Never in production.',
  ),
  OIDC_ISSUER: optionalString.describe(
    "OpenID Connect issuer URL (the Regione's identity provider). When set, the sign-in page offers single sign-on.",
  ),
  OIDC_CLIENT_ID: optionalString.describe('OpenID Connect client id of this app.'),
  OIDC_CLIENT_SECRET: optionalString.describe('OpenID Connect client secret (confidential client).'),
  OIDC_ROLES_CLAIM: z
    .string()
    .default('roles')
    .describe("ID-token claim with the person's roles or groups (dotted path, e.g. `realm_access.roles`)."),
  OIDC_ROLE_MAP: optionalString.describe(
    'Provider group to role, e.g. `cup-fo=operator,cup-bo=back-office-1`. Claim values that are already role names need no entry.',
  ),
  FHIR_API_TOKEN: optionalString.describe(
    "Bearer token that lets another system (a FhirCup client) read the local CUP's `/fhir` endpoints without a session.",
  ),
  DEMO_DATA: bool
    .default(true)
    .describe('Seed the local CUP with the demo region (structures, agendas, slots, patients) when it is empty.'),
  WORKER_MAX_JOBS: z.coerce.number().int().min(1).max(512).default(32).describe('Jobs each worker activates at once.'),
  USER_TASK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(600_000)
    .describe('Activation timeout of captured user tasks; after it the inbox re-reads open tasks from the engine.'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Runs the HTTP API. */
  runApi: boolean;
  /** Runs the job workers and the user-task capture. */
  runWorkers: boolean;
  /** True when this process starts its own broker. */
  embeddedEngine: boolean;
  /** True when this process starts its own PostgreSQL. */
  embeddedDatabase: boolean;
  smsProvider: 'local' | 'twilio';
}

/** Raised when the environment does not describe a startable configuration. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses and validates the environment once at start. A bad value stops the start with a
 * message naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const known = Object.fromEntries(
    Object.keys(envSchema.shape)
      .filter((k) => env[k] !== undefined)
      .map((k) => [k, env[k]]),
  );
  const parsed = envSchema.safeParse(known);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  let mode = e.APP_MODE;
  if (argv.includes('--api-only')) mode = 'api';
  if (argv.includes('--workers-only')) mode = 'workers';
  const smsProvider = e.SMS_PROVIDER ?? (e.TWILIO_ACCOUNT_SID ? 'twilio' : 'local');
  if (smsProvider === 'twilio') {
    const missing = (['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'] as const).filter((k) => !e[k]);
    if (missing.length > 0) {
      throw new ConfigError(`Invalid configuration:\n  SMS_PROVIDER=twilio needs ${missing.join(', ')}`);
    }
  }
  if (e.OIDC_ISSUER && (!e.OIDC_CLIENT_ID || !e.PUBLIC_BASE_URL)) {
    throw new ConfigError('Invalid configuration:\n  OIDC_ISSUER needs OIDC_CLIENT_ID and PUBLIC_BASE_URL');
  }
  if (e.SESSION_SECRET && e.SESSION_SECRET.length < 32) {
    throw new ConfigError('Invalid configuration:\n  SESSION_SECRET must be at least 32 characters');
  }
  if (e.ZEEBE_CLIENT_ID && !e.ZEEBE_GRPC_ADDRESS) {
    throw new ConfigError('Invalid configuration:\n  ZEEBE_CLIENT_ID is set but ZEEBE_GRPC_ADDRESS is not');
  }
  return {
    ...e,
    runApi: mode !== 'workers',
    runWorkers: mode !== 'api',
    embeddedEngine: !e.ZEEBE_GRPC_ADDRESS,
    embeddedDatabase: !e.DATABASE_URL,
    smsProvider,
  };
}
