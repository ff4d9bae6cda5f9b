import { z } from 'zod';
import { Campaigns } from '../domain/campaigns/campaigns.js';
import { CAMPAIGN_KINDS } from '../domain/campaigns/outcomes.js';
import { PermanentError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/**
 * Records that a package of a campaign is put out to the operators: its efficiency (all its
 * contacts within 24 service hours, §6.2) runs from here. Shared by every campaign flow, the
 * CUP's cleanup included; a retry keeps the first start.
 */
export const openCampaignPackage = defineWorker({
  taskType: 'open-campaign-package',
  permission: 'campaigns:manage',
  description:
    'Registra l’avvio di un pacchetto di contatti della campagna: da qui si misura l’efficienza (100 contatti in 24 ore di servizio).',
  variables: z.object({
    campaignId: z.uuid().nullish(),
    packageNo: z.number().int().min(1),
    /** The package's contacts (ids of the list, or of what the flow calls about). */
    contactPackage: z.array(z.union([z.string(), z.number()])),
  }),
  headers: z.object({
    /** For a model started without a campaign: the kind of the campaign made for its instance. */
    campaignKind: z.enum(CAMPAIGN_KINDS).optional(),
  }),
  async handler({ variables: v, headers, job, deps }) {
    const campaigns = new Campaigns(deps.db, deps.now);
    const id = await campaigns.idFor(v.campaignId, job.processInstanceKey, headers.campaignKind);
    if (!id) throw new PermanentError(NO_CAMPAIGN);
    await campaigns.openPackage(id, v.packageNo, v.contactPackage.length);
    return {};
  },
});

export const NO_CAMPAIGN =
  "L'istanza non ha la variabile campaignId e il modello non indica il tipo di campagna (proprietà campaignKind): correggere il modello.";
