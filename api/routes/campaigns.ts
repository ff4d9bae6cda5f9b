import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow } from '../auth/access.js';
import { idempotent } from '../idempotency.js';
import { parseWith } from '../problems.js';
import { Campaigns } from '../../domain/campaigns/campaigns.js';
import { LIST_CAMPAIGN_KINDS } from '../../domain/campaigns/outcomes.js';
import { OutboundCampaigns } from '../../domain/campaigns/outbound-campaigns.js';

/** The CSV travels as text in the JSON body, whose limit is 4 MB (api/app.ts). */
const MAX_CSV_CHARS = 3_500_000;

const campaignBody = z.object({
  kind: z.enum(LIST_CAMPAIGN_KINDS, {
    error: 'tipo di campagna: information, satisfaction o call-for-proposals',
  }),
  name: z
    .string({ error: 'indicare il nome della campagna' })
    .trim()
    .min(3, 'il nome della campagna deve avere almeno 3 caratteri')
    .max(200),
  csv: z
    .string({ error: "allegare l'elenco dei contatti (testo CSV nel campo csv)" })
    .max(MAX_CSV_CHARS, "l'elenco è troppo grande: dividerlo in più campagne"),
  /** What the operators say on the phone (§2.1.8), shown on each call. */
  script: z.string().trim().max(4000).optional(),
  packageSize: z.number().int().min(1).max(1000).optional(),
});
const idParams = z.object({ id: z.uuid('identificativo di campagna non valido') });

/**
 * Outbound campaigns (R6, §2.2.8) on request of the Regione or a supervisor: a list of
 * contacts is uploaded and checked, the help desk's operators call it in packages of 100,
 * and each package is reported against efficacy and efficiency (§6.2).
 */
export function campaignRoutes({ starter, db }: ApiDeps): Router {
  const outbound = new OutboundCampaigns(starter, db);
  const campaigns = new Campaigns(db);
  const r = Router();
  /** 201 with the campaign and the rows left out; 400 with the same report when nothing is usable. */
  r.post('/', allow('campaigns:manage'), idempotent(db), async (req, res) => {
    const body = parseWith(campaignBody, req.body ?? {});
    const result = await outbound.start(body, actorOf(req).id);
    if (!result.started) {
      res
        .status(400)
        .type('application/problem+json')
        .json({
          type: 'about:blank',
          title: 'Elenco dei contatti non utilizzabile',
          status: 400,
          detail: result.report.fileProblems.join(' '),
          errors: result.report.rejected.map((x) => ({
            field: x.column ? `riga ${x.row}, ${x.column}` : `riga ${x.row}`,
            message: x.reason,
          })),
          report: result.report,
        });
      return;
    }
    await req.audit?.({
      action: 'campaign.started',
      subjectType: 'campaign',
      subjectId: result.campaign.id,
      detail: {
        kind: result.campaign.kind,
        contacts: result.report.accepted,
        rejectedRows: result.report.rejectedRows,
      },
    });
    res.status(201).json({ campaign: result.campaign, packages: result.packages, report: result.report });
  });
  /** The packages: contacts done, positive share, efficacy and efficiency. Counts only, no one's data. */
  r.get('/:id', allow('campaigns:manage'), async (req, res) => {
    const { id } = parseWith(idParams, req.params);
    res.json(await campaigns.report(id));
  });
  return r;
}
