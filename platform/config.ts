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
      'What this process runs: `all` (API and external-task workers), `api` or `workers`. The flags `--api-only` and `--workers-only` override it.',
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
    .describe(
      "Folder for the embedded PostgreSQL data and the local engine's credentials and log (relative to the working directory).",
    ),
  DATABASE_URL: optionalString.describe('PostgreSQL connection URL. When set, the embedded PostgreSQL is not started.'),
  EMBEDDED_PG_PORT: port.default(5433).describe('Port of the embedded PostgreSQL (only without `DATABASE_URL`).'),
  ENGINE_URL: optionalString.describe(
    'REST base URL(s) of an existing Operaton engine (`http://host:8080/engine-rest`; several nodes comma-separated). When set, no local engine is started.',
  ),
  ENGINE_REST_USER: optionalString.describe(
    "User of the engine's REST API (HTTP Basic). For the local engine it is generated into `DATA_DIR/engine` unless set.",
  ),
  ENGINE_REST_PASSWORD: optionalString.describe(
    "Password of the engine's REST API. For the local engine it is generated into `DATA_DIR/engine` unless set.",
  ),
  ENGINE_PORT: port.default(8080).describe("Port of the local engine's REST API (loopback only)."),
  ENGINE_NODES: z.coerce
    .number()
    .int()
    .min(1)
    .max(8)
    .default(1)
    .describe(
      'Nodes of the local engine, on one database (a cluster on this machine): ports `ENGINE_PORT`, `ENGINE_PORT`+1, …',
    ),
  ENGINE_DATABASE_URL: optionalString.describe(
    "PostgreSQL URL of the local engine's own database. Default: database `operaton` on the embedded PostgreSQL, or `<name>_engine` beside `DATABASE_URL`'s database (created when missing).",
  ),
  ENGINE_HEAP_MB: z.coerce.number().int().min(128).default(384).describe('Java heap of the local engine, in MiB.'),
  JAVA_HOME: optionalString.describe(
    'Java 17+ for the local engine. Without it the JDKs under `/usr/lib/jvm` are searched (the newest is taken).',
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
    'The URL at which Twilio reaches this app (e.g. `https://cc.regione.basilicata.it`); enables SMS delivery callbacks at `/webhooks/twilio/sms-status` and, with `TWILIO_ACCOUNT_SID`, the voice webhooks of the telephone under `/webhooks/twilio/voice`, signature-checked.',
  ),
  VOICE_PROVIDER: z
    .enum(['local', 'twilio'])
    .optional()
    .describe(
      '`twilio` (calls from Twilio numbers whose Voice URL is `PUBLIC_BASE_URL/webhooks/twilio/voice`) or `local` (the built-in call simulator, on the workspace page Simulatore chiamate). Defaults to `twilio` when `TWILIO_ACCOUNT_SID`, `PUBLIC_BASE_URL` and `TWILIO_API_KEY_SID` are set.',
    ),
  TWILIO_API_KEY_SID: optionalString.describe(
    "API key (`SK…`) that signs the operators' softphone access tokens (Twilio Voice JS SDK).",
  ),
  TWILIO_API_KEY_SECRET: optionalString.describe('Secret of `TWILIO_API_KEY_SID`.'),
  TWILIO_TWIML_APP_SID: optionalString.describe(
    "TwiML App (`AP…`) of the softphone's outgoing calls (Voice URL `PUBLIC_BASE_URL/webhooks/twilio/voice`).",
  ),
  VOICE_TTS_VOICE: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/)
    .default('Polly.Bianca-Neural')
    .describe('The Italian text-to-speech voice of the IVR (e.g. `Polly.Bianca-Neural`, `Google.it-IT-Neural2-A`).'),
  VOICE_OFFER_SECONDS: z.coerce
    .number()
    .int()
    .min(5)
    .max(120)
    .default(20)
    .describe(
      'How long a call offered to an operator waits for them before it goes to the next one (counted as refused).',
    ),
  VOICE_CALLBACK_OFFER_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(120)
    .describe(
      'From this estimated wait (seconds) on, a waiting caller may press 1 to be called back keeping their place.',
    ),
  VOICE_HOLD_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(120)
    .default(30)
    .describe('Pause between two announcements (position, estimated wait) to a waiting caller.'),
  VOICE_RETIRED_ON: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default('2027-01-01')
    .describe(
      'The day the old direct numbers (0971 471373, 0971 471372) are retired: for four months from then they play the message pointing to the green numbers, then nothing.',
    ),
  VOICE_CLOSED_DAYS: z
    .string()
    .regex(/^(\d{4}-\d{2}-\d{2})?(,\s*\d{4}-\d{2}-\d{2})*$/, 'days as AAAA-MM-GG, comma-separated')
    .optional()
    .describe(
      'Days every line is closed beyond the national holidays (`2027-12-24,2027-12-31`): the closure message is played.',
    ),
  VOICE_YEARLY_CLOSURES: z
    .string()
    .regex(/^(\d{2}-\d{2})?(,\s*\d{2}-\d{2})*$/, 'days as MM-GG, comma-separated')
    .optional()
    .describe(
      "Days every line is closed each year (`MM-DD`): local holidays Italy's calendar lacks, e.g. `05-30` (San Gerardo, Potenza) or `07-02` (Madonna della Bruna, Matera) when the service closes for them.",
    ),
  VOICE_SECOND_LEVEL_NUMBER: optionalString.describe(
    "The health structures' second-level CUP number (E.164), assigned by the carrier.",
  ),
  VOICE_SECOND_LEVEL_ALLOW: optionalString.describe(
    'Callers let through the second-level line (comma-separated numbers); the others hear the dissuasion message.',
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
  SIGN_IN_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(10)
    .describe(
      'Failed sign-ins with a password accepted from one client address per minute; past them the sign-in answers 429 until the minute is over, without checking the password. Counted by each API process on its own.',
    ),
  WEBHOOK_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(30_000)
    .describe(
      "Webhook requests (Twilio's) accepted from one address per minute, before their signature is checked; past them 429. A call makes about ten.",
    ),
  UPLOAD_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(30)
    .describe(
      'Uploads (contact-record files, campaign lists, documents of a call) accepted from one user per minute; past them 429.',
    ),
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
    "Bearer token that lets another system read the local CUP's `/fhir` endpoints without a session (read only). At least 24 characters, and not the same as `FHIR_WRITE_TOKEN`.",
  ),
  FHIR_WRITE_TOKEN: optionalString.describe(
    'Bearer token that lets another system (a FhirCup client) read and also book, cancel and move through `/fhir`. At least 24 characters.',
  ),
  DEMO_DATA: bool
    .default(true)
    .describe('Seed the local CUP with the demo region (structures, agendas, slots, patients) when it is empty.'),
  WORKER_MAX_JOBS: z.coerce
    .number()
    .int()
    .min(1)
    .max(512)
    .default(32)
    .describe('External tasks the workers of this process lock and run at once.'),
  WORKER_POLL_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(2000)
    .describe(
      'Long-polling time of fetch-and-lock: how long the engine holds a request open while no task is there. Short enough to poll every node of a cluster; a stopping worker waits for its last poll.',
    ),
  WORKER_LOCK_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(3_600_000)
    .default(30_000)
    .describe(
      'How long a fetched external task stays locked to its worker; extended while the work goes on, so a worker that dies loses its tasks after this time.',
    ),
  TASK_WATCH_MS: z.coerce
    .number()
    .int()
    .min(200)
    .max(60_000)
    .default(1000)
    .describe('How often each API process asks the engine for new user tasks to announce to open tasklists.'),
  HELPDESK_MAIL_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'a mail domain, e.g. regione.basilicata.it')
    .default('helpdesk.local')
    .describe(
      "The help desk's mail domain: our Message-IDs and, on the embedded default, the local mailboxes' addresses (`helpdesk@`, `tributi@`, `pec@`, `fax@`).",
    ),
  HELPDESK_MAIL_FROM: optionalString.describe(
    "Sender of the help desk's mail (default `Contact Center Regionale <helpdesk@HELPDESK_MAIL_DOMAIN>`).",
  ),
  MAIL_HELPDESK_IMAP_URL: optionalString.describe(
    'IMAP inbox of the help desk (`imaps://user:password@host:993/INBOX`, user and password URL-encoded). Setting any `MAIL_*_IMAP_URL` replaces the local mailboxes with the IMAP ones set.',
  ),
  MAIL_TRIBUTI_IMAP_URL: optionalString.describe('IMAP inbox of the regional taxes (tributi) desk, as above.'),
  MAIL_PEC_IMAP_URL: optionalString.describe(
    'IMAP inbox of the PEC mailbox, as above: its envelopes are opened and their certification kept.',
  ),
  MAIL_FAX_IMAP_URL: optionalString.describe('IMAP inbox the fax server delivers to (a PDF per fax), as above.'),
  SMTP_URL: optionalString.describe(
    "SMTP server for the help desk's outgoing mail (`smtp://user:password@host:587`, `smtps://…:465`). Without it mail stays in the local outbox the workspace shows.",
  ),
  LOCAL_SMTP_PORT: port
    .default(2525)
    .describe(
      "Loopback port of the local mailboxes' SMTP listener (embedded default, no `MAIL_*_IMAP_URL`): send test mail to `helpdesk@HELPDESK_MAIL_DOMAIN` there. 0 turns it off.",
    ),
  MAIL_MAX_MESSAGE_MB: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .describe('A message larger than this is not fetched: it stays on the mail server, shown quarantined.'),
  MAIL_MAX_ATTACHMENTS_MB: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(25)
    .describe('Attachments of one message beyond this in total: the message is quarantined.'),
  TICKET_FOLLOW_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(60)
    .describe(
      'How often the workers ask the ticket system (TicketSQL) which tickets waited on at a third-level office were resolved.',
    ),
  RT_URL: optionalString.describe(
    'Base URL of Request Tracker 5 (`https://rt.example.it`, REST2 under `/REST/2.0/`). Without it tickets are kept in the local ticket store.',
  ),
  RT_TOKEN: optionalString.describe(
    "Request Tracker auth token of the contact center's RT user (preferred over `RT_USER`/`RT_PASSWORD`).",
  ),
  RT_USER: optionalString.describe('Request Tracker user, with `RT_PASSWORD`, when no token is used.'),
  RT_PASSWORD: optionalString.describe('Password of `RT_USER`.'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** Runs the HTTP API. */
  runApi: boolean;
  /** Runs the job workers and the user-task capture. */
  runWorkers: boolean;
  /** True when this process starts its own engine. */
  embeddedEngine: boolean;
  /** True when this process starts its own PostgreSQL. */
  embeddedDatabase: boolean;
  smsProvider: 'local' | 'twilio';
  voiceProvider: 'local' | 'twilio';
}

/** The shortest `FHIR_API_TOKEN` or `FHIR_WRITE_TOKEN` accepted. */
const MIN_FHIR_TOKEN_LENGTH = 24;

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
  const voiceProvider =
    e.VOICE_PROVIDER ?? (e.TWILIO_ACCOUNT_SID && e.PUBLIC_BASE_URL && e.TWILIO_API_KEY_SID ? 'twilio' : 'local');
  if (voiceProvider === 'twilio') {
    // The softphone's keys too: an accepted call is bridged to the operator's browser client.
    const missing = (
      [
        'TWILIO_ACCOUNT_SID',
        'TWILIO_AUTH_TOKEN',
        'PUBLIC_BASE_URL',
        'TWILIO_API_KEY_SID',
        'TWILIO_API_KEY_SECRET',
      ] as const
    ).filter((k) => !e[k]);
    if (missing.length > 0) {
      throw new ConfigError(`Invalid configuration:\n  VOICE_PROVIDER=twilio needs ${missing.join(', ')}`);
    }
  }
  if (e.RT_URL && !e.RT_TOKEN && !(e.RT_USER && e.RT_PASSWORD)) {
    throw new ConfigError('Invalid configuration:\n  RT_URL needs RT_TOKEN, or RT_USER and RT_PASSWORD');
  }
  if (e.OIDC_ISSUER && (!e.OIDC_CLIENT_ID || !e.PUBLIC_BASE_URL)) {
    throw new ConfigError('Invalid configuration:\n  OIDC_ISSUER needs OIDC_CLIENT_ID and PUBLIC_BASE_URL');
  }
  if (e.SESSION_SECRET && e.SESSION_SECRET.length < 32) {
    throw new ConfigError('Invalid configuration:\n  SESSION_SECRET must be at least 32 characters');
  }
  // Whoever holds a /fhir token reads people's bookings: not a guessable word.
  for (const k of ['FHIR_API_TOKEN', 'FHIR_WRITE_TOKEN'] as const) {
    const token = e[k];
    if (token !== undefined && token.length < MIN_FHIR_TOKEN_LENGTH) {
      throw new ConfigError(
        `Invalid configuration:\n  ${k} must be at least ${MIN_FHIR_TOKEN_LENGTH} characters (e.g. \`openssl rand -base64 24\`)`,
      );
    }
  }
  if (e.FHIR_API_TOKEN !== undefined && e.FHIR_API_TOKEN === e.FHIR_WRITE_TOKEN) {
    throw new ConfigError(
      'Invalid configuration:\n  FHIR_API_TOKEN and FHIR_WRITE_TOKEN must differ: with one token for both, the read-only token would also book, cancel and move',
    );
  }
  if (mode !== 'all' && !e.ENGINE_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  --api-only / --workers-only run half of the platform, and the halves share one engine: ' +
        'set ENGINE_URL, ENGINE_REST_USER and ENGINE_REST_PASSWORD (the engine of an `npm start` is at ' +
        'http://127.0.0.1:8080/engine-rest, its credentials in DATA_DIR/engine/credentials.json)',
    );
  }
  if (e.ENGINE_URL) {
    for (const u of engineUrls(e.ENGINE_URL)) {
      if (!/^https?:\/\/[^/]+/.test(u)) {
        throw new ConfigError(`Invalid configuration:\n  ENGINE_URL: not an http(s) URL: ${u}`);
      }
    }
    if (!e.ENGINE_REST_USER || !e.ENGINE_REST_PASSWORD) {
      throw new ConfigError('Invalid configuration:\n  ENGINE_URL needs ENGINE_REST_USER and ENGINE_REST_PASSWORD');
    }
  }
  return {
    ...e,
    runApi: mode !== 'workers',
    runWorkers: mode !== 'api',
    embeddedEngine: !e.ENGINE_URL,
    embeddedDatabase: !e.DATABASE_URL,
    smsProvider,
    voiceProvider,
  };
}

/** The engine nodes of `ENGINE_URL` (comma-separated). */
export function engineUrls(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((u) => u.trim().replace(/\/$/, ''))
    .filter(Boolean);
}
