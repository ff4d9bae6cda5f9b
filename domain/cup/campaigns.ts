import type { DataSource } from 'typeorm';
import { Campaigns, type PackageReport } from '../campaigns/campaigns.js';
import { cleanupOutcomeOf } from '../campaigns/outcomes.js';
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

/** Where a cleanup stands: its outcomes by package, and each package against the outbound SLAs. */
export interface CleanupProgress {
  /** The campaign the cleanup is (domain/campaigns/); null for an instance started before campaigns, until its first outcome. */
  campaignId: string | null;
  items: CleanupPackageOutcome[];
  packages: PackageReport[];
}

/**
 * Campaigns the CUP's management starts: a "pulitura agende" (`cup-agenda-cleanup`), an
 * outbound campaign like any other (domain/campaigns/: its packages, outcomes, efficacy and
 * efficiency), and a run of the SMS reminders of a day (`cup-sms-reminders`) outside its timer.
 */
export class CupCampaigns {
  private readonly campaigns: Campaigns;

  constructor(
    private readonly starter: ProcessStarter,
    db: DataSource,
  ) {
    this.campaigns = new Campaigns(db);
  }

  async startAgendaCleanup(request: AgendaCleanupRequest, startedBy: string): Promise<StartedInstance> {
    const campaign = await this.campaigns.create({
      kind: 'agenda-cleanup',
      name: `Pulitura agenda ${request.scheduleId}`,
      createdBy: startedBy,
      details: request,
    });
    let started: StartedInstance;
    try {
      started = await this.starter.start({
        bpmnProcessId: 'cup-agenda-cleanup',
        businessKey: newBusinessKey('PUL'),
        variables: { ...request, campaignId: campaign.id },
        startedBy,
      });
    } catch (err) {
      await this.campaigns.discard(campaign.id);
      throw err;
    }
    await this.campaigns.attachInstance(campaign.id, started);
    return started;
  }

  /** Progress of a cleanup campaign: outcomes by package in the cleanup's words, and the package report. */
  async agendaCleanupProgress(campaignInstanceKey: string): Promise<CleanupProgress> {
    const campaign = await this.campaigns.byInstance(campaignInstanceKey);
    if (!campaign) return { campaignId: null, items: [], packages: [] };
    const counts = await this.campaigns.outcomeCounts(campaign.id);
    const items = counts
      .map((c) => ({ packageNo: c.packageNo, outcome: cleanupOutcomeOf(c.code) ?? c.code, contacts: c.contacts }))
      .sort((a, b) => a.packageNo - b.packageNo || a.outcome.localeCompare(b.outcome));
    return { campaignId: campaign.id, items, packages: (await this.campaigns.report(campaign.id)).packages };
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
