import { z } from 'zod';
import { Campaigns } from '../domain/campaigns/campaigns.js';
import { CAMPAIGN_KINDS } from '../domain/campaigns/outcomes.js';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { NO_CAMPAIGN } from './open-campaign-package.js';

/**
 * Records that every call of a package is done; after the last package the campaign is
 * completed. Shared by every campaign flow, the CUP's cleanup included.
 */
export const closeCampaignPackage = defineWorker({
  taskType: 'close-campaign-package',
  permission: 'campaigns:manage',
  description:
    'Registra la chiusura di un pacchetto di contatti della campagna; dopo l’ultimo pacchetto la campagna è completata.',
  variables: z.object({
    campaignId: z.uuid().nullish(),
    packageNo: z.number().int().min(1),
    lastPackage: z.boolean().default(false),
  }),
  headers: z.object({ campaignKind: z.enum(CAMPAIGN_KINDS).optional() }),
  async handler({ variables: v, headers, job, deps }) {
    const campaigns = new Campaigns(deps.db, deps.now);
    const id = await campaigns.idFor(v.campaignId, job.processInstanceKey, headers.campaignKind);
    if (!id) throw new PermanentError(NO_CAMPAIGN);
    await campaigns.closePackage(id, v.packageNo, v.lastPackage);
    return {};
  },
});
