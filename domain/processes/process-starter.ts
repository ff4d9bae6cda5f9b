import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { EngineError, versionOf, type EngineClient } from '../../platform/engine/operaton.js';
import { NotFoundError, UnavailableError } from '../errors.js';
import { announceProgress } from '../tasks/inbox.js';

export interface StartedInstance {
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  businessKey: string;
}

export interface StartOptions {
  bpmnProcessId: string;
  businessKey: string;
  variables: Record<string, unknown>;
  startedBy: string;
  /** Start at this start event (a process with a timer start also has a manual one). */
  startAt?: string;
  /**
   * Makes the start idempotent: the engine does not deduplicate starts, so the key travels as
   * the variable `startKey` and a start with a key already used returns that instance (a
   * worker that died after starting, before recording it, starts nothing twice).
   */
  idempotencyKey?: string;
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A business key people can read and quote: `<PREFIX>-XXXXXXXX`. */
export function newBusinessKey(prefix: string): string {
  return `${prefix}-${Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
}

/**
 * Starts process instances (newest version of the process) with a business key, and records
 * who started each from the platform in `process_instances`; everything else about an
 * instance comes from the engine's history.
 */
export class ProcessStarter {
  constructor(
    private readonly engine: EngineClient,
    private readonly db: DataSource,
  ) {}

  async start(opts: StartOptions): Promise<StartedInstance> {
    if (opts.idempotencyKey) {
      // Two processes starting with one key at the same moment (two nodes watching one
      // mailbox) would both find no earlier instance: the check and the start are serialised
      // per key by a PostgreSQL advisory lock, held on a connection of its own meanwhile.
      const key = opts.idempotencyKey;
      const runner = this.db.createQueryRunner();
      await runner.connect();
      try {
        await runner.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`start:${key}`]);
        const earlier = await this.startedWith(opts.bpmnProcessId, key);
        if (earlier) return earlier;
        return await this.startNow(opts);
      } finally {
        await runner
          .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`start:${key}`])
          .catch(() => undefined);
        await runner.release();
      }
    }
    return this.startNow(opts);
  }

  private async startNow(opts: StartOptions): Promise<StartedInstance> {
    let res;
    try {
      res = await this.engine.startProcess(opts.bpmnProcessId, {
        businessKey: opts.businessKey,
        variables: {
          ...opts.variables,
          businessKey: opts.businessKey,
          ...(opts.idempotencyKey ? { startKey: opts.idempotencyKey } : {}),
        },
        startAt: opts.startAt,
      });
    } catch (err) {
      if (err instanceof EngineError && err.status === 404) {
        throw new NotFoundError(`Il processo ${opts.bpmnProcessId} non è distribuito.`);
      }
      if (err instanceof EngineError && err.status < 500) {
        throw new UnavailableError(`Il motore dei processi ha rifiutato l'avvio: ${err.message}`);
      }
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    const started: StartedInstance = {
      processInstanceKey: res.id,
      processDefinitionKey: res.definitionId,
      bpmnProcessId: opts.bpmnProcessId,
      version: versionOf(res.definitionId),
      businessKey: opts.businessKey,
    };
    await this.db.query(
      `INSERT INTO process_instances (process_instance_key, bpmn_process_id, process_definition_key, version, business_key, started_by)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [
        started.processInstanceKey,
        started.bpmnProcessId,
        started.processDefinitionKey,
        started.version,
        started.businessKey,
        opts.startedBy,
      ],
    );
    // Its first step may be a user task: open tasklists look at once.
    await announceProgress(this.db, started.processInstanceKey);
    return started;
  }

  /** The instance of this process started with this idempotency key, running or ended. */
  private async startedWith(bpmnProcessId: string, key: string): Promise<StartedInstance | undefined> {
    let found;
    try {
      found = await this.engine.historicProcessInstances(
        { processDefinitionKey: bpmnProcessId, variables: [{ name: 'startKey', operator: 'eq', value: key }] },
        { max: 1 },
      );
    } catch {
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    const h = found[0];
    return h
      ? {
          processInstanceKey: h.id,
          processDefinitionKey: h.processDefinitionId,
          bpmnProcessId,
          version: h.processDefinitionVersion,
          businessKey: h.businessKey ?? '',
        }
      : undefined;
  }
}
