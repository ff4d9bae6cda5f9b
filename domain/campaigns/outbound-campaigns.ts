import type { Queryable } from '../../platform/database/query.js';
import { newBusinessKey, type ProcessStarter } from '../processes/process-starter.js';
import { Campaigns, type Campaign } from './campaigns.js';
import { readContactList, type ContactListReport } from './contact-list.js';
import type { ListCampaignKind } from './outcomes.js';

export interface CampaignRequest {
  kind: ListCampaignKind;
  name: string;
  /** The list of contacts, as the CSV's text. */
  csv: string;
  script?: string | undefined;
  packageSize?: number | undefined;
}

export type CampaignStart =
  | { started: true; campaign: Campaign; packages: number; report: ContactListReport }
  | { started: false; report: ContactListReport };

/**
 * Starts an outbound campaign from an uploaded list (R6): the list is read and checked row
 * by row, the usable contacts are recorded in packages, and `campaign-outbound` works them.
 * Nothing is recorded or started when the list is unusable.
 */
export class OutboundCampaigns {
  private readonly campaigns: Campaigns;

  constructor(
    private readonly starter: ProcessStarter,
    db: Queryable,
  ) {
    this.campaigns = new Campaigns(db);
  }

  async start(request: CampaignRequest, startedBy: string): Promise<CampaignStart> {
    const list = readContactList(request.csv);
    if (!list.usable) return { started: false, report: list.report };
    const campaign = await this.campaigns.create({
      kind: request.kind,
      name: request.name,
      createdBy: startedBy,
      packageSize: request.packageSize,
      script: request.script ?? null,
      contacts: list.contacts,
    });
    let instance;
    try {
      instance = await this.starter.start({
        bpmnProcessId: 'campaign-outbound',
        businessKey: newBusinessKey('CAM'),
        variables: { campaignId: campaign.id, campaignKind: campaign.kind },
        startedBy,
      });
    } catch (err) {
      await this.campaigns.discard(campaign.id);
      throw err;
    }
    return {
      started: true,
      campaign: await this.campaigns.attachInstance(campaign.id, instance),
      packages: Math.ceil(list.contacts.length / campaign.packageSize),
      report: list.report,
    };
  }
}
