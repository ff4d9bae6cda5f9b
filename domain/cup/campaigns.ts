import type { DataSource } from 'typeorm';
import { newBusinessKey, type ProcessStarter, type StartedInstance } from '../processes/process-starter.js';

/** A "pulitura agende": the patients booked on an agenda in [from, to) are called. */
export type AgendaCleanupRequest = {
  scheduleId: string;
  /** ISO instants. */
  from: string;
  to: string;
};

/** How many contacts of one package of a campaign ended with one outcome. */
export interface CleanupPackageOutcome {
  packageNo: number;
  outcome: string;
  contacts: number;
}

/**
 * Campaigns the CUP's management starts: a "pulitura agende" (`cup-agenda-cleanup`), whose
 * outcomes the platform records in `cup_cleanup_contacts`, and a run of the SMS reminders of
 * a day (`cup-sms-reminders`) outside its timer.
 */
export class CupCampaigns {
  constructor(
    private readonly starter: ProcessStarter,
    private readonly db: DataSource,
  ) {}

  async startAgendaCleanup(request: AgendaCleanupRequest, startedBy: string): Promise<StartedInstance> {
    return this.starter.start({
      bpmnProcessId: 'cup-agenda-cleanup',
      businessKey: newBusinessKey('PUL'),
      variables: request,
      startedBy,
    });
  }

  /** Progress of a cleanup campaign: its outcomes by package. */
  async agendaCleanupProgress(campaignInstanceKey: string): Promise<CleanupPackageOutcome[]> {
    const rows: { package_no: number; outcome: string; n: string }[] = await this.db.query(
      `SELECT package_no, outcome, count(*) AS n FROM cup_cleanup_contacts WHERE campaign_instance_key = $1
        GROUP BY package_no, outcome ORDER BY package_no, outcome`,
      [campaignInstanceKey],
    );
    return rows.map((r) => ({ packageNo: r.package_no, outcome: r.outcome, contacts: Number(r.n) }));
  }

  /** Sends the reminders of `reminderDate` (`AAAA-MM-GG`) now, by the flow's manual start. */
  async startReminderRun(reminderDate: string, startedBy: string): Promise<StartedInstance> {
    return this.starter.start({
      bpmnProcessId: 'cup-sms-reminders',
      businessKey: `PROMEMORIA-${reminderDate}`,
      variables: { reminderDate, cursor: null },
      startedBy,
      startAt: 'manual-run',
    });
  }
}
