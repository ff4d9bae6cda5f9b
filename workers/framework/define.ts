import type { z } from 'zod';
import type { DataSource } from 'typeorm';
import type { Cup } from '../../adapters/cup/cup.js';
import type { SmsGateway } from '../../adapters/sms/sms.js';
import type { Templates } from '../../domain/templates.js';
import type { SmsSender } from '../../domain/sms/sms-sender.js';
import type { ProcessStarter } from '../../domain/processes/process-starter.js';
import type { Permission } from '../../domain/access/roles.js';
import type { Tickets } from '../../adapters/tickets/tickets.js';
import type { Mailbox } from '../../adapters/mail/mailbox.js';
import type { MailTransport } from '../../adapters/mail/mail-transport.js';
import type { MailSender } from '../../domain/helpdesk/mail-sender.js';
import type { MailRecords } from '../../domain/helpdesk/mail-records.js';
import type { HelpDeskContacts } from '../../domain/helpdesk/phone-contacts.js';
import type { PecProvider } from '../../adapters/pec/pec-provider.js';
import type { IdentityRegistry } from '../../adapters/identity/identity-registry.js';
import type { TwilioVoice } from '../../adapters/voice/twilio-voice.js';

/** What a handler may use. Integration tests pass the real services, unit tests fakes. */
export interface WorkerDeps {
  db: DataSource;
  cup: Cup;
  sms: SmsGateway;
  /** Sends through `sms` exactly once per purpose and reference. */
  smsSender: SmsSender;
  templates: Templates;
  /** Starts other processes (a freed slot starts a recall). */
  starter: ProcessStarter;
  /** The help desk's tickets: Request Tracker, or the local store. */
  tickets: Tickets;
  /** The help desk's mail: what was received, how we send, the mailboxes by name. */
  mail: HelpDeskMail;
  /** The PEC provider's postmaster (Aruba), or the local stand-in. */
  pec: PecProvider;
  /** The Regione's identity registry (IMS), or the local stand-in. */
  identity: IdentityRegistry;
  /** Twilio's Voice API (or the local call simulator): outbound calls such as surveys. */
  voice: TwilioVoice;
  /** The URL Twilio reaches this platform at (the voice webhooks), empty until the API listens. */
  publicBaseUrl: () => string;
  /**
   * Delivers a BPMN message to the instances waiting for it whose variables equal `keys`,
   * setting `variables` on them; how many received it.
   */
  correlate(messageName: string, keys: Record<string, unknown>, variables?: Record<string, unknown>): Promise<number>;
  now: () => Date;
}

export interface HelpDeskMail {
  records: MailRecords;
  /** The contacts the front office opened for calls, with the documents uploaded. */
  contacts: HelpDeskContacts;
  /** Sends through `transport` exactly once per purpose and reference. */
  sender: MailSender;
  transport: MailTransport;
  mailboxes: ReadonlyMap<string, Mailbox>;
  /** Our sender address (`Contact Center Regionale <helpdesk@…>`). */
  from: string;
}

/** The job as a handler sees it: identifiers only, variables come parsed separately. */
export interface JobInfo {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  /** This visit of the element (a loop visits it again with a new one). */
  elementInstanceKey?: string | undefined;
  retries: number;
}

export interface HandlerInput<V, H> {
  variables: V;
  headers: H;
  job: JobInfo;
  deps: WorkerDeps;
  /**
   * Runs a side effect at most once per key (see `EffectStore`); the key is scoped by task
   * type. Without a key the job key is used, which covers retries and re-deliveries of
   * the same job.
   */
  once: <T extends JsonValue | undefined>(key: string | undefined, effect: () => Promise<T>) => Promise<T>;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** One external-task topic: its variables, its extension properties ("headers"), and what it does. */
export interface WorkerDefinition<V extends z.ZodType = z.ZodType, H extends z.ZodType = z.ZodType> {
  /** External-task topic, kebab verb-noun (`book-slot`). */
  taskType: string;
  /** One sentence for the docs and the modeler. */
  description: string;
  /**
   * What a person must hold to have this worker act, since a model deployed from the
   * modeler can call it from a timer with no one at the desk: a deploy whose workers need a
   * permission the deployer lacks waits for the approval of someone who holds it. Left out
   * only by workers that read and change nothing (the registry's test keeps the list).
   */
  permission?: Permission;
  variables: V;
  headers: H;
  /** Attempts before an incident (default 3); the engine counts them down on each failure. */
  retries?: number;
  /** Returns the variables to merge into the process instance. */
  handler(input: HandlerInput<z.infer<V>, z.infer<H>>): Promise<Record<string, unknown>>;
}

/** Identity function that lets TypeScript infer the schemas' types in a worker module. */
export function defineWorker<V extends z.ZodType, H extends z.ZodType>(
  def: WorkerDefinition<V, H>,
): WorkerDefinition<V, H> {
  return def;
}
