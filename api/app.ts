import express, { type Express } from 'express';
import type { DataSource } from 'typeorm';
import type { Cup } from '../adapters/cup/cup.js';
import type { ProcessStarter } from '../domain/processes/process-starter.js';
import type { IncidentService } from '../domain/processes/incidents.js';
import type { SmsMessages } from '../domain/sms/messages.js';
import type { TaskInbox } from '../domain/tasks/inbox.js';
import type { Logger } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { problemHandler, sendProblem } from './problems.js';
import { healthRoutes } from './routes/health.js';
import { taskRoutes } from './routes/tasks.js';
import { cupRoutes } from './routes/cup.js';
import { recordRoutes } from './routes/records.js';
import { fhirRoutes } from './routes/fhir.js';
import { webhookRoutes } from './routes/webhooks.js';
import { sportsGroupRoutes } from './routes/sports.js';

export interface ApiDeps {
  db: DataSource;
  inbox: TaskInbox;
  cup: Cup;
  starter: ProcessStarter;
  incidents: IncidentService;
  smsMessages: SmsMessages;
  metrics: Metrics;
  log: Logger;
  readiness: () => Promise<Record<string, boolean>>;
  /** Set when Twilio delivery callbacks are enabled (PUBLIC_BASE_URL and a Twilio auth token). */
  twilioWebhook?: { authToken: string; publicBaseUrl: string } | undefined;
}

/** The HTTP API: thin routes over the domain services. */
export function createApi(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes(deps));
  app.use('/api/tasks', taskRoutes(deps));
  app.use('/api/cup', cupRoutes(deps));
  app.use('/api', recordRoutes(deps));
  app.use('/fhir', fhirRoutes(deps));
  app.use('/webhooks', webhookRoutes(deps));
  app.use('/api/cup/sports-groups', sportsGroupRoutes(deps));
  app.use((_req, res) => sendProblem(res, { status: 404, title: 'Non trovato', detail: 'Risorsa inesistente.' }));
  app.use(problemHandler(deps.log));
  return app;
}
