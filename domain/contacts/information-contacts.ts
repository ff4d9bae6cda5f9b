import type { DataSource } from 'typeorm';
import { newBusinessKey, type ProcessStarter, type StartedInstance } from '../processes/process-starter.js';

/** How a citizen reached the information line. */
export type InformationChannel = 'telefono' | 'email' | 'pec' | 'fax' | 'sportello';

/** First-contact resolution over a period (K3). */
export interface FirstContactResolution {
  contacts: number;
  /** Contacts that count: out-of-scope ones excluded. */
  inScope: number;
  resolvedFirstContact: number;
  /** Resolved at first contact, in % of those in scope (one decimal); null with none in scope. */
  firstContactResolutionPct: number | null;
}

/**
 * Information contacts of the CUP line (C7): each is a `cup-information` instance, whose
 * closing outcome the platform records in `contact_outcomes`.
 */
export class InformationContacts {
  constructor(
    private readonly starter: ProcessStarter,
    private readonly db: DataSource,
  ) {}

  /** Opens a contact that arrived now on `channel`. */
  async open(channel: InformationChannel, startedBy: string): Promise<StartedInstance> {
    return this.starter.start({
      bpmnProcessId: 'cup-information',
      businessKey: newBusinessKey('INF'),
      variables: { channel, openedAt: new Date().toISOString() },
      startedBy,
    });
  }

  /** First-contact resolution of the contacts closed in [from, to), out-of-scope excluded. */
  async firstContactResolution(from: Date, to: Date): Promise<FirstContactResolution> {
    const rows: { contacts: string; in_scope: string; resolved: string }[] = await this.db.query(
      `SELECT count(*) AS contacts, count(*) FILTER (WHERE NOT out_of_scope) AS in_scope,
              count(*) FILTER (WHERE resolved_first_contact) AS resolved
         FROM contact_outcomes WHERE line = 'cup' AND closed_at >= $1 AND closed_at < $2`,
      [from, to],
    );
    const r0 = rows[0];
    const inScope = Number(r0?.in_scope ?? 0);
    const resolved = Number(r0?.resolved ?? 0);
    return {
      contacts: Number(r0?.contacts ?? 0),
      inScope,
      resolvedFirstContact: resolved,
      firstContactResolutionPct: inScope === 0 ? null : Math.round((resolved / inScope) * 1000) / 10,
    };
  }
}
