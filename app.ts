import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { createApi, type HelpDeskApi } from './api/app.js';
import type { Cup } from './adapters/cup/cup.js';
import { LocalCup } from './adapters/cup/local-cup.js';
import { FhirCup } from './adapters/cup/fhir-cup.js';
import { seedDemoRegion } from './adapters/cup/demo-region.js';
import { LocalSms } from './adapters/sms/local-sms.js';
import type { SmsGateway } from './adapters/sms/sms.js';
import { TwilioSms } from './adapters/sms/twilio-sms.js';
import { ProcessStarter } from './domain/processes/process-starter.js';
import { ModelRepository } from './domain/processes/model-repository.js';
import { IncidentService } from './domain/processes/incidents.js';
import { SmsMessages } from './domain/sms/messages.js';
import { TaskInbox } from './domain/tasks/inbox.js';
import { UserDirectory } from './domain/access/users.js';
import { AuditLog } from './domain/access/audit.js';
import { KNOWN_GROUPS, isRole, type Role } from './domain/access/roles.js';
import type { LintContext } from './modeler/lint/rules.js';
import { TaskEventStream } from './api/task-events.js';
import { Templates } from './domain/templates.js';
import { engineUrls, type Config } from './platform/config.js';
import { openDatabase } from './platform/database/data-source.js';
import { startEmbeddedPostgres } from './platform/database/embedded-postgres.js';
import { KpiEventStream } from './api/kpi-events.js';
import { Kpis } from './domain/kpi/kpis.js';
import { KpiBoards } from './domain/kpi/wallboard.js';
import { ensureDatabase } from './platform/database/ensure-database.js';
import { EngineClient } from './platform/engine/operaton.js';
import { buildEngine, jdbcFromUrl, LocalEngine, localEngineCredentials } from './platform/engine/local-engine.js';
import { Deployer, type RepositoryDeployReport } from './platform/engine/deployer.js';
import { findJava } from './platform/engine/java.js';
import { createLogger, type Logger } from './platform/logger.js';
import { Metrics } from './platform/metrics.js';
import { EffectStore } from './workers/framework/idempotency.js';
import { SmsSender } from './domain/sms/sms-sender.js';
import { startWorkers } from './workers/framework/runner.js';
import { WORKERS } from './workers/registry.js';
import type { HelpDeskMail, WorkerDefinition, WorkerDeps } from './workers/framework/define.js';
import type { Tickets } from './adapters/tickets/tickets.js';
import { RtTickets } from './adapters/tickets/rt-tickets.js';
import { LocalTickets } from './adapters/tickets/local-tickets.js';
import { ImapMailbox } from './adapters/mail/imap-mailbox.js';
import { LocalMailbox } from './adapters/mail/local-mailbox.js';
import { LocalMailTransport, SmtpMailTransport, type MailTransport } from './adapters/mail/mail-transport.js';
import { startLocalSmtpListener } from './stand-ins/mail/smtp-listener.js';
import { MailIntake, startMailIntake, type IntakeMailbox, type MailChannel } from './domain/helpdesk/mail-intake.js';
import { MailRecords } from './domain/helpdesk/mail-records.js';
import { MailSender } from './domain/helpdesk/mail-sender.js';
import { TicketFollower } from './domain/helpdesk/ticket-follower.js';
import { HelpDeskContacts } from './domain/helpdesk/phone-contacts.js';
import type { RegionalTaxes } from './adapters/taxes/regional-taxes.js';
import { LocalRegionalTaxes } from './adapters/taxes/local-regional-taxes.js';
import { LocalPecProvider } from './adapters/pec/local-pec-provider.js';
import { LocalIdentityRegistry } from './adapters/identity/local-identity-registry.js';
import { TwilioVoice } from './adapters/voice/twilio-voice.js';
import { Acd } from './domain/voice/acd.js';
import { CallRecords } from './domain/voice/call-records.js';
import { VoiceService, VOICE_STATUS_WEBHOOK, VOICE_WEBHOOKS } from './domain/voice/ivr.js';
import { DEFAULT_LINES, defaultRetiredNumbers, type Line } from './domain/voice/lines.js';
import { Occupancy, startClosingBands } from './domain/voice/occupancy.js';
import { startVoiceProbe, VoiceProbes } from './domain/voice/probe.js';
import { closuresOf } from './domain/staffing/request.js';
import { startTwilioStandIn } from './stand-ins/twilio/server.js';
import type { VoiceSimulator } from './stand-ins/twilio/voice.js';

/** The repository's root, whether running from sources (tsx) or from `dist/`. */
export const PROJECT_ROOT = (() => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(here) === 'dist' ? path.dirname(here) : here;
})();

/** Replacements for tests and benchmarks; the app builds the real ones otherwise. */
export interface AppOverrides {
  log?: Logger;
  cup?: Cup;
  sms?: SmsGateway;
  now?: () => Date;
  processesDir?: string;
  /** Auth token that signs Twilio callbacks, when the SMS gateway is given as an override. */
  twilioWebhookToken?: string;
  /** The job workers to run (default: the whole registry). */
  workers?: readonly WorkerDefinition[];
  /** Where first-start notices (demo accounts and passwords) are written; default stderr, none when LOG_LEVEL=silent. */
  announce?: (text: string) => void;
  /** The help desk's ticket system (default: RT at RT_URL, or the local store). */
  tickets?: Tickets;
  /** The help desk's outgoing mail (default: SMTP_URL, or the local outbox). */
  mailTransport?: MailTransport;
  /** The inbound mailboxes (default: the IMAP ones configured, or the four local ones). */
  mailboxes?: IntakeMailbox[];
  /** The regional tax system (default: the local stand-in; the region's SITR has no adapter yet). */
  taxes?: RegionalTaxes;
  /** How fast the local call simulator lets time pass in pauses (default 1: real time; tests 0.01). */
  voiceTimeScale?: number;
}

export interface RunningApp {
  config: Config;
  /** Base URL of the API, when this process runs it. */
  url: string | undefined;
  db: DataSource;
  engine: EngineClient;
  inbox: TaskInbox;
  deployer: Deployer;
  users: UserDirectory;
  /** What the workers were given, for tests that drive a handler by hand. */
  workerDeps: WorkerDeps;
  deployReport: RepositoryDeployReport;
  /** The help desk's mail intake and its mailboxes, when this process runs the workers. */
  helpDesk: { intake: MailIntake; mailboxes: IntakeMailbox[]; localSmtpPort: number | undefined };
  /**
   * The engine's REST URLs and, when this process started it, the local engine's pid (its first
   * node) and its nodes (fault tests kill and restart them).
   */
  engineInfo: { urls: string[]; pid: number | undefined; nodes: LocalEngine[] };
  databaseUrl: string;
  /**
   * The telephone, when this process runs the API: its service, what signs its webhooks and,
   * on the local default, the call simulator.
   */
  voice:
    | {
        service: VoiceService;
        simulator: VoiceSimulator | undefined;
        webhook: { authToken: string; publicBaseUrl: string };
      }
    | undefined;
  stop(): Promise<void>;
}

async function waitForEngine(engine: EngineClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await engine.reachable(3000)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `the workflow engine (${engine.connection.urls.join(', ')}) did not answer within ${timeoutMs / 1000}s, or refused the credentials`,
  );
}

/** Which PostgreSQL the local engine keeps its tables in: its own database beside the app's. */
export async function engineDatabaseUrl(config: Config, serverUrl: string, embedded: boolean): Promise<string> {
  if (config.ENGINE_DATABASE_URL) return config.ENGINE_DATABASE_URL;
  const appDb = new URL(serverUrl).pathname.replace(/^\//, '') || 'contact_center';
  const name = embedded ? 'operaton' : `${appDb.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_engine`;
  return ensureDatabase(serverUrl, name);
}

/** What a start has brought up, taken down in reverse order by `stop()`. */
class Teardown {
  private readonly steps: (() => Promise<void>)[] = [];
  constructor(private readonly log: Logger) {}

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      await step?.().catch((err: Error) =>
        this.log.error({ err: { name: err.name, message: err.message } }, 'error while stopping'),
      );
    }
  }
}

/**
 * `DATABASE_URL`, or the embedded PostgreSQL in `DATA_DIR/postgres` started (and stopped by
 * `teardown`): the platform's database server, for `npm start` and `npm run cluster`.
 */
export async function platformDatabaseServer(
  config: Config,
  teardown: { add(step: () => Promise<void>): void },
  log: Logger,
): Promise<string> {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(path.resolve(config.DATA_DIR), 'postgres'),
    port: config.EMBEDDED_PG_PORT,
    database: 'contact_center',
    log: (msg) => log.info(msg),
  });
  teardown.add(() => pg.stop());
  log.info({ port: config.EMBEDDED_PG_PORT }, 'embedded PostgreSQL started');
  return pg.url;
}

/** Step 1: PostgreSQL (embedded unless DATABASE_URL), migrated; the demo region on the local CUP. */
async function openPlatformDatabase(
  config: Config,
  teardown: Teardown,
  log: Logger,
): Promise<{ db: DataSource; databaseUrl: string }> {
  const databaseUrl = await platformDatabaseServer(config, teardown, log);
  const db = await openDatabase(databaseUrl);
  teardown.add(() => db.destroy());
  if (config.DEMO_DATA && !config.CUP_FHIR_BASE_URL && (await seedDemoRegion(db))) {
    log.info('demo region seeded into the local CUP');
  }
  return { db, databaseUrl };
}

/**
 * The local engine's `ENGINE_NODES` nodes on `databaseUrl`'s server, started (the first node
 * creates or updates the engine's schema, the others then start on it together), stopped by
 * `teardown`; with the REST credentials (`ENGINE_REST_*`, or generated into `DATA_DIR/engine`).
 * Also what `npm run cluster` starts.
 */
export async function startLocalEngines(
  config: Config,
  databaseUrl: string,
  teardown: { add(step: () => Promise<void>): void },
  log: Logger,
): Promise<{ nodes: LocalEngine[]; urls: string[]; credentials: { user: string; password: string } }> {
  const java = await findJava(config.JAVA_HOME);
  const jar = await buildEngine(path.join(PROJECT_ROOT, 'engine'), java, (msg) => log.info(msg));
  const engineDir = path.join(path.resolve(config.DATA_DIR), 'engine');
  const credentials =
    config.ENGINE_REST_USER && config.ENGINE_REST_PASSWORD
      ? { user: config.ENGINE_REST_USER, password: config.ENGINE_REST_PASSWORD }
      : await localEngineCredentials(engineDir);
  const jdbc = jdbcFromUrl(await engineDatabaseUrl(config, databaseUrl, !config.DATABASE_URL));
  const nodes = Array.from(
    { length: config.ENGINE_NODES },
    (_, i) =>
      new LocalEngine({
        jar,
        java,
        // Node 1 in `engine/` (as a single engine), the others beside it (their pid file and log).
        dataDir: i === 0 ? engineDir : path.join(engineDir, `node-${i + 1}`),
        port: config.ENGINE_PORT + i,
        jdbc,
        credentials,
        heapMb: config.ENGINE_HEAP_MB,
        log: (msg) => log.info(msg),
      }),
  );
  teardown.add(() => Promise.all(nodes.map((n) => n.stop())).then(() => undefined));
  const [first, ...others] = nodes as [LocalEngine, ...LocalEngine[]];
  await first.start();
  await Promise.all(others.map((n) => n.start()));
  const urls = nodes.map((n) => n.url);
  log.info({ urls, java: java.version }, nodes.length > 1 ? 'Operaton cluster ready' : 'Operaton engine ready');
  return { nodes, urls, credentials };
}

/** Step 2: the engine: the nodes of ENGINE_URL, or the local Operaton built and started here. */
async function connectEngine(
  config: Config,
  databaseUrl: string,
  teardown: Teardown,
  log: Logger,
): Promise<{ engine: EngineClient; urls: string[]; nodes: LocalEngine[] }> {
  let urls = engineUrls(config.ENGINE_URL);
  let credentials = { user: config.ENGINE_REST_USER ?? '', password: config.ENGINE_REST_PASSWORD ?? '' };
  let nodes: LocalEngine[] = [];
  if (urls.length === 0) ({ nodes, urls, credentials } = await startLocalEngines(config, databaseUrl, teardown, log));
  const engine = new EngineClient({ urls, ...credentials });
  await waitForEngine(engine, 60_000);
  return { engine, urls, nodes };
}

/** Step 3: every file of `processes/` that changed since it was last deployed from there. */
async function deployProcesses(deployer: Deployer, processesDir: string, log: Logger): Promise<RepositoryDeployReport> {
  const report = await deployer.deployRepository(processesDir);
  for (const p of report.problems) log.error(p, 'the engine rejected a model; the app goes on with the others');
  log.info(
    { deployed: report.deployed.map((d) => `${d.file}@v${d.version}`), unchanged: report.unchanged.length },
    'processes deployed',
  );
  return report;
}

/** Step 4: the channels' adapters: the region's CUP over FHIR or the local one, Twilio or the local outbox. */
function channelAdapters(config: Config, db: DataSource, overrides: AppOverrides): { cup: Cup; sms: SmsGateway } {
  const cup =
    overrides.cup ??
    (config.CUP_FHIR_BASE_URL
      ? new FhirCup({ baseUrl: config.CUP_FHIR_BASE_URL, bearerToken: config.CUP_FHIR_TOKEN })
      : new LocalCup(db));
  const sms =
    overrides.sms ??
    (config.smsProvider === 'twilio'
      ? new TwilioSms({
          accountSid: config.TWILIO_ACCOUNT_SID ?? '',
          authToken: config.TWILIO_AUTH_TOKEN ?? '',
          from: config.TWILIO_FROM ?? '',
          apiBaseUrl: config.TWILIO_API_BASE_URL,
          statusCallbackUrl: config.PUBLIC_BASE_URL
            ? `${config.PUBLIC_BASE_URL.replace(/\/$/, '')}/webhooks/twilio/sms-status`
            : undefined,
        })
      : new LocalSms());
  return { cup, sms };
}

/** The channel each mailbox's mail arrives by. */
const MAILBOX_CHANNELS: Record<string, MailChannel> = { helpdesk: 'email', tributi: 'email', pec: 'pec', fax: 'fax' };

/**
 * Step 4b: the help desk's adapters: Request Tracker or the local ticket store; SMTP or the
 * local outbox; the IMAP inboxes configured, or the four local mailboxes the local SMTP
 * listener fills.
 */
function helpDeskAdapters(
  config: Config,
  db: DataSource,
  log: Logger,
  overrides: AppOverrides,
): { tickets: Tickets; transport: MailTransport; mailboxes: IntakeMailbox[]; local: boolean } {
  const tickets =
    overrides.tickets ??
    (config.RT_URL
      ? new RtTickets({
          baseUrl: config.RT_URL,
          token: config.RT_TOKEN,
          user: config.RT_USER,
          password: config.RT_PASSWORD,
        })
      : new LocalTickets(db));
  const transport =
    overrides.mailTransport ?? (config.SMTP_URL ? new SmtpMailTransport(config.SMTP_URL) : new LocalMailTransport());
  const imap = {
    helpdesk: config.MAIL_HELPDESK_IMAP_URL,
    tributi: config.MAIL_TRIBUTI_IMAP_URL,
    pec: config.MAIL_PEC_IMAP_URL,
    fax: config.MAIL_FAX_IMAP_URL,
  };
  const configured = Object.entries(imap).filter((e): e is [string, string] => e[1] !== undefined);
  const local = configured.length === 0;
  const mailboxes =
    overrides.mailboxes ??
    (local
      ? Object.keys(imap).map((name) => ({
          name,
          channel: MAILBOX_CHANNELS[name] ?? 'email',
          mailbox: new LocalMailbox(db, name),
        }))
      : configured.map(([name, url]) => ({
          name,
          channel: MAILBOX_CHANNELS[name] ?? 'email',
          mailbox: ImapMailbox.fromUrl(name, url, { log }),
        })));
  return { tickets, transport, mailboxes, local: local && !overrides.mailboxes };
}

/** The HTTP server, closed at stop; its base URL. */
async function listen(api: ReturnType<typeof createApi>, config: Config, teardown: Teardown): Promise<string> {
  const server: Server = await new Promise((resolve, reject) => {
    const s = api.app.listen(config.PORT, config.HOST, () => resolve(s));
    s.once('error', reject);
  });
  teardown.add(
    () =>
      new Promise<void>((resolve) => {
        api.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests under way get two seconds; then the rest, the open event streams among
        // them (which never end by themselves), are cut: browsers reconnect elsewhere.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  );
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  return `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
}

/**
 * Runs `work` every `ms`, never twice at once (a slow round skips the next ones); a failure is
 * logged and the next round comes as usual. Returns what stops it.
 */
function repeat(ms: number, work: () => Promise<unknown>, failure: string, log: Logger): () => Promise<void> {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    work()
      .catch((err: Error) => log.warn({ err: { name: err.name, message: err.message } }, failure))
      .finally(() => (running = false));
  }, ms);
  return () => Promise.resolve(clearInterval(timer));
}

/** The lines as configured: the contract's, with the carrier's second-level number and allow-list. */
function configuredLines(config: Config): Line[] {
  const list = (raw: string | undefined) =>
    (raw ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
  const closures = { closedDays: list(config.VOICE_CLOSED_DAYS), yearlyClosures: list(config.VOICE_YEARLY_CLOSURES) };
  return DEFAULT_LINES.map((l) => ({
    ...l,
    closedDays: [...l.closedDays, ...closures.closedDays],
    yearlyClosures: [...(l.yearlyClosures ?? []), ...closures.yearlyClosures],
    ...(l.id === 'cup-second-level'
      ? { numbers: list(config.VOICE_SECOND_LEVEL_NUMBER), allowList: list(config.VOICE_SECOND_LEVEL_ALLOW) }
      : {}),
  }));
}

/** The telephone's provider: Twilio's Voice API, or the local call simulator; what signs its webhooks. */
interface VoiceProvider {
  provider: TwilioVoice;
  webhook: { authToken: string; publicBaseUrl: string };
  simulator: VoiceSimulator | undefined;
}

/**
 * Step 4c: Twilio's Voice API when configured; otherwise the local call simulator (the Twilio
 * stand-in, on its own loopback port), which calls this app's voice webhooks signed with its
 * own token, as Twilio would. Workers place calls through it (surveys), the API answers it.
 */
async function voiceProvider(config: Config, overrides: AppOverrides, teardown: Teardown): Promise<VoiceProvider> {
  if (config.voiceProvider === 'twilio') {
    return {
      provider: new TwilioVoice({
        accountSid: config.TWILIO_ACCOUNT_SID ?? '',
        authToken: config.TWILIO_AUTH_TOKEN ?? '',
        apiBaseUrl: config.TWILIO_API_BASE_URL,
      }),
      webhook: { authToken: config.TWILIO_AUTH_TOKEN ?? '', publicBaseUrl: config.PUBLIC_BASE_URL ?? '' },
      simulator: undefined,
    };
  }
  const standIn = await startTwilioStandIn(0, { timeScale: overrides.voiceTimeScale ?? 1 });
  teardown.add(() => standIn.close());
  return {
    provider: new TwilioVoice({
      accountSid: standIn.accountSid,
      authToken: standIn.authToken,
      apiBaseUrl: standIn.url,
    }),
    // The simulator calls this process directly: its URL is known once the server listens.
    webhook: { authToken: standIn.authToken, publicBaseUrl: '' },
    simulator: standIn.voice,
  };
}

/** Step 6a: the telephone's service over its provider (IVR webhooks, ACD, contact records). */
function voiceChannel(
  config: Config,
  db: DataSource,
  engine: EngineClient,
  templates: Templates,
  { provider, webhook, simulator }: VoiceProvider,
  overrides: AppOverrides,
  teardown: Teardown,
  log: Logger,
): VoiceProvider & { service: VoiceService } {
  const records = new CallRecords(db);
  const now = overrides.now ?? (() => new Date());
  const acd = new Acd(db, records, { offerSeconds: config.VOICE_OFFER_SECONDS, defaultHandleSeconds: 240 }, now);
  const service = new VoiceService(
    db,
    engine,
    records,
    acd,
    provider,
    templates,
    {
      lines: configuredLines(config),
      retired: defaultRetiredNumbers(config.VOICE_RETIRED_ON),
      publicBaseUrl: () => webhook.publicBaseUrl,
      voice: { voice: config.VOICE_TTS_VOICE },
      callbackOfferSeconds: config.VOICE_CALLBACK_OFFER_SECONDS,
      holdSeconds: config.VOICE_HOLD_SECONDS,
    },
    log,
    now,
  );
  // Lapsed offers move on and waiting calls meet freed operators, on every API node (row locks keep it single).
  teardown.add(repeat(1000, () => service.tick(), 'call routing tick failed', log));
  // Calls whose end Twilio reported to nobody (a lost status callback): asked of Twilio every
  // ten seconds, apart from the routing tick so that a slow Twilio never holds up the offers.
  teardown.add(repeat(10_000, () => service.reconcile(), 'call reconciliation failed', log));
  // V7 channel occupancy bands and alerts, §6.3 IVR continuity probe (docs/voice-occupancy.md):
  // every minute on every API process (bands are closed under a lock per line, idempotently).
  teardown.add(startClosingBands(new Occupancy(db, { lines: configuredLines(config) }, now, log), now, log));
  teardown.add(startVoiceProbe(new VoiceProbes(db, webhook, {}, now), log));
  return { service, webhook, simulator, provider };
}

/** Step 6: the HTTP API and web workspace: first accounts, live task events, routes, the server. */
async function serveApi(
  config: Config,
  parts: {
    db: DataSource;
    databaseUrl: string;
    engine: EngineClient;
    deployer: Deployer;
    cup: Cup;
    starter: ProcessStarter;
    inbox: TaskInbox;
    users: UserDirectory;
    metrics: Metrics;
    workers: readonly WorkerDefinition[];
    helpDesk: HelpDeskApi;
    templates: Templates;
    voice: VoiceProvider;
  },
  overrides: AppOverrides,
  teardown: Teardown,
  log: Logger,
): Promise<{ url: string; voice: RunningApp['voice'] }> {
  const { db, engine, inbox, users } = parts;
  const announce =
    overrides.announce ?? (config.LOG_LEVEL === 'silent' ? () => undefined : (t: string) => process.stderr.write(t));
  await createFirstAccounts(users, config, announce);
  const taskEvents = new TaskEventStream(parts.databaseUrl, log, { inbox, watchMs: config.TASK_WATCH_MS });
  await taskEvents.start();
  teardown.add(() => taskEvents.close());
  const kpiNow = overrides.now ?? (() => new Date());
  const kpiEvents = new KpiEventStream(parts.databaseUrl, new KpiBoards(db, new Kpis(db, kpiNow), kpiNow), log);
  await kpiEvents.start();
  teardown.add(() => kpiEvents.close());
  const twilioToken = overrides.twilioWebhookToken ?? config.TWILIO_AUTH_TOKEN;
  const voice = voiceChannel(config, db, engine, parts.templates, parts.voice, overrides, teardown, log);
  const api = createApi({
    db,
    engine,
    inbox,
    cup: parts.cup,
    starter: parts.starter,
    incidents: new IncidentService(engine, db),
    smsMessages: new SmsMessages(db),
    helpDesk: parts.helpDesk,
    deployer: parts.deployer,
    users,
    audit: new AuditLog(db),
    lintContext: () => lintContext(db, parts.workers),
    processesDir: overrides.processesDir ?? path.join(PROJECT_ROOT, 'processes'),
    session: {
      secret: config.SESSION_SECRET ?? (await platformSecret(db, 'session-secret')),
      secureCookie: config.PUBLIC_BASE_URL?.startsWith('https:') === true,
      idleTimeoutMs: config.SESSION_IDLE_MINUTES * 60_000,
      signInLimitPerMinute: config.SIGN_IN_LIMIT_PER_MINUTE,
      uploadLimitPerMinute: config.UPLOAD_LIMIT_PER_MINUTE,
      webhookLimitPerMinute: config.WEBHOOK_LIMIT_PER_MINUTE,
    },
    oidc:
      config.OIDC_ISSUER && config.OIDC_CLIENT_ID && config.PUBLIC_BASE_URL
        ? {
            issuer: config.OIDC_ISSUER,
            clientId: config.OIDC_CLIENT_ID,
            clientSecret: config.OIDC_CLIENT_SECRET,
            publicBaseUrl: config.PUBLIC_BASE_URL,
            rolesClaim: config.OIDC_ROLES_CLAIM,
            roleMap: parseRoleMap(config.OIDC_ROLE_MAP),
          }
        : undefined,
    taskEvents,
    kpiEvents,
    now: kpiNow,
    closedDays: closuresOf(config),
    webDir: path.join(PROJECT_ROOT, 'dist', 'web'),
    fhirApiToken: config.FHIR_API_TOKEN,
    fhirWriteToken: config.FHIR_WRITE_TOKEN,
    metrics: parts.metrics,
    log,
    twilioWebhook:
      twilioToken && config.PUBLIC_BASE_URL
        ? { authToken: twilioToken, publicBaseUrl: config.PUBLIC_BASE_URL }
        : undefined,
    voice: voice.service,
    voiceWebhook: voice.webhook,
    voiceSimulator: voice.simulator,
    softphone:
      config.voiceProvider === 'twilio' && config.TWILIO_API_KEY_SID && config.TWILIO_API_KEY_SECRET
        ? {
            accountSid: config.TWILIO_ACCOUNT_SID ?? '',
            apiKeySid: config.TWILIO_API_KEY_SID,
            apiKeySecret: config.TWILIO_API_KEY_SECRET,
            twimlAppSid: config.TWILIO_TWIML_APP_SID,
          }
        : undefined,
    readiness: async () => ({
      engine: await engine.reachable(),
      database: await db
        .query('SELECT 1')
        .then(() => true)
        .catch(() => false),
    }),
  });
  const url = await listen(api, config, teardown);
  if (voice.simulator) {
    voice.webhook.publicBaseUrl = url;
    voice.simulator.setVoiceUrls(`${url}${VOICE_WEBHOOKS}`, `${url}${VOICE_STATUS_WEBHOOK}`);
  }
  return { url, voice: { service: voice.service, simulator: voice.simulator, webhook: voice.webhook } };
}

/**
 * Starts the platform, step by step: (1) the database, (2) the engine, (3) the deployment
 * of `processes/`, (4) the channels' adapters and the services over them, (5) the
 * external-task workers, (6) the HTTP API. `--workers-only` and `--api-only` skip 5 or 6.
 * `stop()` takes it all down in reverse order; a failed start undoes what it started.
 */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<RunningApp> {
  const log = overrides.log ?? createLogger(config.LOG_LEVEL);
  const metrics = new Metrics();
  const teardown = new Teardown(log);
  try {
    const { db, databaseUrl } = await openPlatformDatabase(config, teardown, log);
    const { engine, urls, nodes } = await connectEngine(config, databaseUrl, teardown, log);
    const deployer = new Deployer(engine, db);
    const deployReport = await deployProcesses(
      deployer,
      overrides.processesDir ?? path.join(PROJECT_ROOT, 'processes'),
      log,
    );

    const { cup, sms } = channelAdapters(config, db, overrides);
    const starter = new ProcessStarter(engine, db);
    const helpDesk = helpDeskAdapters(config, db, log, overrides);
    const mailFrom = config.HELPDESK_MAIL_FROM ?? `Contact Center Regionale <helpdesk@${config.HELPDESK_MAIL_DOMAIN}>`;
    const mail: HelpDeskMail = {
      records: new MailRecords(db),
      contacts: new HelpDeskContacts(db, starter),
      sender: new MailSender(db, helpDesk.transport, config.HELPDESK_MAIL_DOMAIN, config.WORKER_LOCK_MS),
      transport: helpDesk.transport,
      mailboxes: new Map(helpDesk.mailboxes.map((m) => [m.name, m.mailbox])),
      from: mailFrom,
    };
    const voice = await voiceProvider(config, overrides, teardown);
    const inbox = new TaskInbox(db, engine);
    const users = new UserDirectory(db);
    const workers = overrides.workers ?? WORKERS;
    const workerDeps: WorkerDeps = {
      db,
      cup,
      sms,
      smsSender: new SmsSender(db, sms, config.WORKER_LOCK_MS),
      templates: new Templates(path.join(PROJECT_ROOT, 'templates')),
      starter,
      tickets: helpDesk.tickets,
      mail,
      // Aruba's postmaster and the Regione's IMS cannot be reached from here: their local stand-ins.
      pec: new LocalPecProvider(db),
      identity: new LocalIdentityRegistry(db),
      voice: voice.provider,
      publicBaseUrl: () => voice.webhook.publicBaseUrl,
      correlate: (messageName, keys, variables) =>
        engine.correlateMessage(messageName, { processVariables: keys, variables }),
      now: overrides.now ?? (() => new Date()),
    };
    const intake = new MailIntake(
      db,
      starter,
      {
        loopId: config.HELPDESK_MAIL_DOMAIN,
        maxMessageBytes: config.MAIL_MAX_MESSAGE_MB * 1_048_576,
        maxAttachmentBytes: config.MAIL_MAX_ATTACHMENTS_MB * 1_048_576,
      },
      log,
    );
    let localSmtpPort: number | undefined;

    if (config.runWorkers) {
      // Step 5: the workers poll the engine for their topics.
      const running = startWorkers({
        engine,
        definitions: workers,
        deps: workerDeps,
        effects: new EffectStore(db, config.WORKER_LOCK_MS),
        metrics,
        log,
        maxTasks: config.WORKER_MAX_JOBS,
        pollMs: config.WORKER_POLL_MS,
        lockMs: config.WORKER_LOCK_MS,
      });
      teardown.add(() => running.close());
      // The mailboxes are watched where the workers run, each by one process at a time (a
      // lease in PostgreSQL, taken over when its holder dies); the intake records each message once.
      if (helpDesk.local && config.LOCAL_SMTP_PORT > 0) {
        const listener = await startLocalSmtpListener({
          db,
          host: '127.0.0.1',
          port: config.LOCAL_SMTP_PORT,
          domain: config.HELPDESK_MAIL_DOMAIN,
          mailboxes: helpDesk.mailboxes.map((m) => m.name),
          maxBytes: config.MAIL_MAX_MESSAGE_MB * 1_048_576,
        });
        teardown.add(() => listener.close());
        localSmtpPort = listener.port;
        log.info({ port: listener.port, domain: config.HELPDESK_MAIL_DOMAIN }, 'local mailboxes listening for SMTP');
      }
      const stopIntake = startMailIntake(intake, helpDesk.mailboxes, log, { db });
      teardown.add(stopIntake);
      const stopFollowing = new TicketFollower(engine, helpDesk.tickets, log).start(
        config.TICKET_FOLLOW_SECONDS * 1000,
      );
      teardown.add(stopFollowing);
    }
    const served = config.runApi
      ? await serveApi(
          config,
          {
            db,
            databaseUrl,
            engine,
            deployer,
            cup,
            starter,
            inbox,
            users,
            metrics,
            workers,
            helpDesk: {
              records: mail.records,
              contacts: mail.contacts,
              taxes: overrides.taxes ?? new LocalRegionalTaxes(),
              tickets: helpDesk.tickets,
              mailboxes: helpDesk.mailboxes.map((m) => m.name),
            },
            templates: workerDeps.templates,
            voice,
          },
          overrides,
          teardown,
          log,
        )
      : undefined;

    return {
      config,
      url: served?.url,
      voice: served?.voice,
      db,
      engine,
      inbox,
      deployer,
      users,
      workerDeps,
      deployReport,
      helpDesk: { intake, mailboxes: helpDesk.mailboxes, localSmtpPort },
      engineInfo: { urls, pid: nodes[0]?.pid, nodes },
      databaseUrl,
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

/**
 * On an empty account list: the demo accounts (one per role) or only `admin`, with their
 * passwords shown once to whoever started the app. They must be changed at first sign-in
 * unless DEMO_USERS_PASSWORD set them.
 */
async function createFirstAccounts(users: UserDirectory, config: Config, announce: (t: string) => void) {
  const created = config.DEMO_USERS
    ? await users.ensureDemoUsers(config.DEMO_USERS_PASSWORD)
    : await users.ensureDemoUsers(config.DEMO_USERS_PASSWORD, ['admin']);
  if (created.length === 0) return;
  const lines = created.map((u) => `  ${u.username.padEnd(12)} ${u.password.padEnd(18)} ${u.roles.join(', ')}`);
  announce(
    [
      '',
      'Accounts created on this first start (shown only now; change the passwords at first sign-in):',
      '  user         password           roles',
      ...lines,
      '',
    ].join('\n'),
  );
}

/** A secret generated once and kept in the database, so every API process of a cluster shares it. */
async function platformSecret(db: DataSource, name: string): Promise<string> {
  await db.query(`INSERT INTO platform_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
    name,
    randomBytes(48).toString('base64url'),
  ]);
  const rows: { value: string }[] = await db.query(`SELECT value FROM platform_settings WHERE name = $1`, [name]);
  return rows[0]?.value ?? '';
}

/** `group=role,group=role` (OIDC_ROLE_MAP); unknown roles are ignored. */
function parseRoleMap(raw: string | undefined): Record<string, Role> {
  const map: Record<string, Role> = {};
  for (const pair of (raw ?? '').split(',')) {
    const [group, role] = pair.split('=').map((s) => s.trim());
    if (group && role && isRole(role)) map[group] = role;
  }
  return map;
}

/** What models may use: the workers' topics, the deployed forms, the groups roles work, the templates. */
async function lintContext(db: DataSource, workers: readonly WorkerDefinition[]): Promise<LintContext> {
  // The SMS, email and voice templates (their names do not overlap).
  const templates = (
    await Promise.all(
      ['sms', 'email', 'voice'].map((kind) =>
        readdir(path.join(PROJECT_ROOT, 'templates', kind)).catch(() => [] as string[]),
      ),
    )
  )
    .flat()
    .filter((f) => f.endsWith('.hbs'))
    .map((f) => f.replace(/\.hbs$/, ''));
  return {
    taskTypes: [...new Set([...workers.map((w) => w.taskType), ...WORKERS.map((w) => w.taskType)])].sort(),
    formIds: await new ModelRepository(db).deployedFormIds(),
    groups: KNOWN_GROUPS,
    templates: templates.sort(),
  };
}
