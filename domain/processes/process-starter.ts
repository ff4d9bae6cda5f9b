import { randomInt } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ZeebeClient } from '../../platform/engine/client.js';
import { NotFoundError, UnavailableError } from '../errors.js';

export interface StartedInstance {
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  version: number;
  businessKey: string;
}

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A business key people can read and quote: `<PREFIX>-XXXXXXXX`. */
export function newBusinessKey(prefix: string): string {
  return `${prefix}-${Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
}

/**
 * Starts process instances and records them (with business key and who started them) in
 * `process_instances`, the platform's own history: the bare broker has no query API.
 */
export class ProcessStarter {
  constructor(
    private readonly zeebe: ZeebeClient,
    private readonly db: DataSource,
  ) {}

  async start(opts: {
    bpmnProcessId: string;
    businessKey: string;
    variables: Record<string, unknown>;
    startedBy: string;
  }): Promise<StartedInstance> {
    let res;
    try {
      res = await this.zeebe.createProcessInstance({
        bpmnProcessId: opts.bpmnProcessId,
        variables: { ...opts.variables, businessKey: opts.businessKey } as never,
      });
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 5) throw new NotFoundError(`Il processo ${opts.bpmnProcessId} non è distribuito.`);
      throw new UnavailableError('Il motore dei processi non è raggiungibile; riprovare.');
    }
    const started: StartedInstance = {
      processInstanceKey: String(res.processInstanceKey),
      processDefinitionKey: String(res.processDefinitionKey),
      bpmnProcessId: res.bpmnProcessId,
      version: res.version,
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
    return started;
  }
}
