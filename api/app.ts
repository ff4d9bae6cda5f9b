import type { MailRecords } from '../domain/helpdesk/mail-records.js';
import type { HelpDeskContacts } from '../domain/helpdesk/phone-contacts.js';
import type { RegionalTaxes } from '../adapters/taxes/regional-taxes.js';
import type { Tickets } from '../adapters/tickets/tickets.js';
import { helpDeskRoutes } from './routes/helpdesk.js';
import { pecRoutes } from './routes/pec.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { uploadLimit, webhookLimit } from './rate-limits.js';
import helmet from 'helmet';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { DataSource } from 'typeorm';
import type { Cup } from '../adapters/cup/cup.js';
import { LocalCup } from '../adapters/cup/local-cup.js';
import type { ProcessStarter } from '../domain/processes/process-starter.js';
import type { IncidentService } from '../domain/processes/incidents.js';
import type { LintContext } from '../modeler/lint/rules.js';
import type { SmsMessages } from '../domain/sms/messages.js';
import type { TaskInbox } from '../domain/tasks/inbox.js';
import type { UserDirectory } from '../domain/access/users.js';
import type { AuditLog } from '../domain/access/audit.js';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.js';
import type { Deployer } from '../platform/engine/deployer.js';
import type { EngineClient } from '../platform/engine/operaton.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { problemHandler, sendProblem } from './problems.js';
import { sessionLayer, type SessionOptions } from './auth/sessions.js';
import { allow, auditRead, sameSecret } from './auth/access.js';
import { oidcRoutes, type OidcOptions } from './auth/oidc.js';
import type { TaskEventStream } from './task-events.js';
import { healthRoutes } from './routes/health.js';
import { sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import { taskRoutes } from './routes/tasks.js';
import { cupRoutes } from './routes/cup.js';
import { recordRoutes } from './routes/records.js';
import { modelRoutes } from './routes/models.js';
import { instanceRoutes } from './routes/instances.js';
import { webhookRoutes } from './routes/webhooks.js';
import { sportsGroupRoutes } from './routes/sports.js';
import { campaignRoutes } from './routes/campaigns.js';
import { voiceRoutes, voiceWebhookRoutes } from './routes/voice.js';
import { voiceProbeWebhookRoutes, voiceReportRoutes } from './routes/voice-reports.js';
import type { ClosedDay } from '../domain/staffing/demand.js';
import { kpiRoutes } from './routes/kpi.js';
import { staffingRoutes } from './routes/staffing.js';
import type { KpiEventStream } from './kpi-events.js';
import { processKpiRoutes } from './routes/process-kpis.js';
import { simulatorRoutes } from './routes/voice-simulator.js';
import type { VoiceService } from '../domain/voice/ivr.js';
import type { SoftphoneKeys } from '../adapters/voice/softphone.js';
import type { VoiceSimulator } from '../stand-ins/twilio/voice.js';
import { cupFhirStandIn } from '../stand-ins/cup-fhir/server.js';

export interface ApiDeps {
  db: DataSource;
  /** The workflow engine's REST client (instances and history); never exposed to browsers. */
  engine: EngineClient;
  inbox: TaskInbox;
  cup: Cup;
  starter: ProcessStarter;
  incidents: IncidentService;
  smsMessages: SmsMessages;
  deployer: Deployer;
  users: UserDirectory;
  audit: AuditLog;
  metrics: Metrics;
  log: Logger;
  readiness: () => Promise<Record<string, boolean>>;
  /** What the platform offers models: workers, forms, groups, templates (for the lint rules). */
  lintContext: () => Promise<LintContext>;
  /** The repository's `processes/` folder, which the modeler can open. */
  processesDir: string;
  session: Omit<SessionOptions, 'db' | 'users' | 'audit'>;
  oidc?: OidcOptions | undefined;
  taskEvents: TaskEventStream;
  /** The built web workspace (`dist/web`), served at `/`. */
  webDir?: string | undefined;
  /** Lets another system read `/fhir` with `Authorization: Bearer <token>`. */
  fhirApiToken?: string | undefined;
  /** Lets another system also book, cancel and move through `/fhir`. */
  fhirWriteToken?: string | undefined;
  /** Set when Twilio delivery callbacks are enabled (PUBLIC_BASE_URL and a Twilio auth token). */
  twilioWebhook?: { authToken: string; publicBaseUrl: string } | undefined;
  helpDesk: HelpDeskApi;
  /** The telephone: IVR webhooks, ACD, contact records. */
  voice: VoiceService;
  /** What signs the voice webhooks: Twilio's token and public URL, or the local simulator's. */
  voiceWebhook: { authToken: string; publicBaseUrl: string };
  /** Keys that mint the operators' softphone tokens (Twilio Voice JS SDK), when configured. */
  softphone?: SoftphoneKeys | undefined;
  /** The local call simulator (embedded default), driven from the workspace's simulator page. */
  voiceSimulator?: VoiceSimulator | undefined;
  /** Pushes the live wallboard (absent: the wallboard is read by polling only). */
  kpiEvents?: KpiEventStream | undefined;
  /** The clock the KPIs read "now" from (a test's, or the wall clock). */
  now?: (() => Date) | undefined;
  /** The lines' closures beyond the national holidays (the voice configuration), for the staffing planner. */
  closedDays?: ClosedDay | undefined;
}

/** What the help desk's routes read: received mail, tickets, mailbox names, phone contacts, SITR. */
export interface HelpDeskApi {
  records: MailRecords;
  tickets: Tickets;
  mailboxes: readonly string[];
  contacts: HelpDeskContacts;
  /** The regional tax system (SITR), read by operators answering about taxes. */
  taxes: RegionalTaxes;
}

/** The HTTP API and the web workspace: thin routes over the domain services, behind sessions and roles. */
export function createApi(deps: ApiDeps): { app: Express; close: () => void } {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(securityHeaders);
  app.use(healthRoutes(deps));
  // Signed by Twilio, not by a session: mounted before the session layer and its CSRF check.
  app.use('/webhooks', webhookLimit(deps.session.webhookLimitPerMinute));
  app.use('/webhooks', webhookRoutes(deps));
  app.use('/webhooks', voiceWebhookRoutes(deps));
  app.use('/webhooks', voiceProbeWebhookRoutes(deps));
  app.use(express.json({ limit: '4mb' }));
  const sessions = sessionLayer({ ...deps.session, db: deps.db, users: deps.users, audit: deps.audit });
  app.use(sessions.handlers);
  // Uploads, per signed-in user: the routes that take a whole file.
  const uploads = uploadLimit(deps.session.uploadLimitPerMinute);
  app.post('/api/kpi/contacts/import', uploads);
  app.post('/api/campaigns', uploads);
  app.post('/api/helpdesk/contacts', uploads);
  if (deps.oidc) app.use('/auth/oidc', oidcRoutes(deps.oidc, deps.users, deps.log));
  app.use('/api/session', sessionRoutes(deps));
  app.use('/api', userRoutes(deps));
  app.get('/api/events', allow('tasks:work', 'tasks:view-all'), (req, res) => deps.taskEvents.subscribe(req, res));
  app.use('/api/tasks', taskRoutes(deps));
  app.use('/api/cup/sports-groups', sportsGroupRoutes(deps));
  app.use('/api/cup', cupRoutes(deps));
  app.use('/api/process-instances', instanceRoutes(deps));
  app.use('/api', modelRoutes(deps));
  app.use('/api', recordRoutes(deps));
  app.use('/api/helpdesk', helpDeskRoutes(deps));
  app.use('/api/campaigns', campaignRoutes(deps));
  app.use('/api/helpdesk', pecRoutes(deps));
  app.use('/api/voice', voiceReportRoutes(deps));
  app.use('/api/voice', voiceRoutes(deps));
  app.use('/api/kpi', kpiRoutes(deps));
  app.use('/api/process-kpis', processKpiRoutes(deps));
  app.use('/api/staffing', staffingRoutes(deps));
  if (deps.voiceSimulator) app.use('/api/voice/simulator', simulatorRoutes(deps.voiceSimulator));
  // The local CUP's FHIR view, a stand-in for the region's CUP: only when the local CUP is in use.
  if (deps.cup instanceof LocalCup) {
    app.use(
      '/fhir',
      fhirAccess(deps.fhirApiToken, deps.fhirWriteToken, deps.audit),
      cupFhirStandIn({ cup: deps.cup, log: deps.log }),
    );
  }
  app.use('/api', (_req, res) =>
    sendProblem(res, { status: 404, title: 'Non trovato', detail: 'Risorsa inesistente.' }),
  );
  if (deps.webDir && existsSync(path.join(deps.webDir, 'index.html'))) {
    const webDir = deps.webDir;
    app.use(express.static(webDir, { index: false, maxAge: '1h' }));
    // The workspace routes in the browser: every other GET is its single page.
    app.get(/^\/(?!api\/|fhir\/|webhooks\/|auth\/).*/, (_req, res) => {
      res.setHeader('cache-control', 'no-store');
      res.sendFile(path.join(webDir, 'index.html'));
    });
  }
  app.use((_req, res) => sendProblem(res, { status: 404, title: 'Non trovato', detail: 'Risorsa inesistente.' }));
  app.use(problemHandler(deps.log));
  return { app, close: sessions.close };
}

/**
 * The workspace's security headers (helmet): a content security policy that lets only our own
 * scripts run (the modeler, form editor and charts are bundled, none is loaded from elsewhere;
 * bpmn-js and form-js set inline styles, hence `style-src 'unsafe-inline'`, and draw with
 * `data:`/`blob:` images), no framing, no plugins, forms and `<base>` only to ourselves. No
 * `upgrade-insecure-requests`: the embedded default is plain HTTP on loopback, and HTTPS is a
 * reverse proxy's job (which then also sends HSTS; helmet's is ignored over HTTP).
 */
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:', 'blob:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'same-origin' },
});

/**
 * `/fhir` serves people's bookings. Reads: a session with `personal:read`, or the read token
 * (`FHIR_API_TOKEN`). Writes (book, cancel, `$move`): a session with `cup:contact`, or the
 * write token (`FHIR_WRITE_TOKEN`, which reads too). Every use is audited, a token's too,
 * with whose data it asked for: the path and the search's identifying parameters.
 */
function fhirAccess(readToken: string | undefined, writeToken: string | undefined, audit: AuditLog) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const writes = !['GET', 'HEAD'].includes(req.method);
    const bearer = req.get('authorization')?.match(/^Bearer (.+)$/)?.[1];
    if (bearer !== undefined) {
      const kind =
        writeToken && sameSecret(bearer, writeToken)
          ? 'write'
          : readToken && sameSecret(bearer, readToken)
            ? 'read'
            : undefined;
      if (!kind) throw new UnauthorizedError('Token non valido per /fhir.');
      if (writes && kind !== 'write') {
        throw new ForbiddenError('Il token di sola lettura non consente prenotazioni, annullamenti o spostamenti.');
      }
      await audit.record({
        actor: `token:fhir-${kind}`,
        action: writes ? 'fhir.write' : 'personal-data.read',
        subjectType: 'fhir',
        subjectId: req.path,
        detail: fhirAuditDetail(req),
        ip: req.ip,
      });
      return next();
    }
    allow(writes ? 'cup:contact' : 'personal:read')(req, res, () => undefined); // throws 401/403 otherwise
    if (writes) {
      await req.audit?.({
        action: 'fhir.write',
        subjectType: 'fhir',
        subjectId: req.path,
        detail: fhirAuditDetail(req),
      });
    } else await auditRead(req, 'fhir', req.path, fhirAuditDetail(req));
    next();
  };
}

/** The FHIR search parameters that say whose data or which records a request is about. */
const FHIR_IDENTIFYING_PARAMS = [
  '_id',
  'identifier',
  'patient',
  'subject',
  'actor',
  'schedule.actor',
  'slot',
  'slot.schedule',
  '_query',
];

/**
 * What a `/fhir` audit entry says beside the path: the identifying search parameters given
 * (`Patient?identifier=<system>|<fiscal code>`, `Appointment?patient=…`), each value as sent
 * (a repeated one as a list), cut at 200 characters. Undefined when there are none.
 */
function fhirAuditDetail(req: Request): Record<string, unknown> | undefined {
  const query: Record<string, string | string[]> = {};
  for (const name of FHIR_IDENTIFYING_PARAMS) {
    const raw: unknown = req.query[name];
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) continue;
    const cut = values.slice(0, 20).map((v) => v.slice(0, 200));
    query[name] = cut.length === 1 ? (cut[0] ?? '') : cut;
  }
  return Object.keys(query).length > 0 ? { query } : undefined;
}
