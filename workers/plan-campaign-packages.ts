import { z } from 'zod';
import { Campaigns } from '../domain/campaigns/campaigns.js';
import { defineWorker } from './framework/define.js';

/**
 * The packages of a campaign from an uploaded list: its contacts' ids, package by package
 * (100 by contract, §6.2), as the API put them when it read the list. Worked one after another.
 */
export const planCampaignPackages = defineWorker({
  taskType: 'plan-campaign-packages',
  permission: 'campaigns:manage',
  description:
    'Legge i pacchetti di contatti della campagna (100 da contratto), nell’ordine dell’elenco caricato: solo identificativi.',
  variables: z.object({ campaignId: z.uuid() }),
  headers: z.object({}),
  async handler({ variables, deps }) {
    const packages = await new Campaigns(deps.db, deps.now).packagesOf(variables.campaignId);
    return { packages, contactsTotal: packages.reduce((n, p) => n + p.length, 0) };
  },
});
