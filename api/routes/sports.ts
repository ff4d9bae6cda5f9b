import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { isCalendarDay } from '../../domain/cup/sports-group.js';
import { SPORTS_MEDICINE_SERVICE, SportsGroupRequests } from '../../domain/cup/sports-group-requests.js';
import { ENGINE_ID } from './instances.js';

const MAX_ATHLETES = 200;

const groupBody = z.object({
  clubName: z
    .string({ error: 'indicare il nome della società sportiva' })
    .trim()
    .min(2, 'indicare il nome della società sportiva')
    .max(200),
  serviceCode: z.string().trim().min(1).default(SPORTS_MEDICINE_SERVICE),
  structureId: z.string({ error: 'indicare la struttura sanitaria' }).trim().min(1, 'indicare la struttura sanitaria'),
  athletes: z
    .array(z.string().trim().min(1, 'identificativo di paziente vuoto'), {
      error: "indicare l'elenco degli atleti (identificativi dei pazienti sul CUP)",
    })
    .min(1, 'indicare almeno un atleta')
    .max(MAX_ATHLETES, `al massimo ${MAX_ATHLETES} atleti per richiesta`)
    .superRefine((ids, ctx) => {
      const seen = new Set<string>();
      ids.forEach((id, i) => {
        if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `atleta ${id} ripetuto nell'elenco` });
        seen.add(id);
      });
    }),
  notBefore: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'data nel formato AAAA-MM-GG')
    .refine(isCalendarDay, 'data inesistente')
    .optional(),
});
const instanceParams = z.object({ key: z.string().regex(ENGINE_ID, 'chiave di istanza non valida') });

/**
 * Sports-medicine visits for the athletes of a sports club (C6): the back office sends the
 * club's list, the flow plans it on the fewest days at one structure and books it after
 * the back office confirms (see SportsGroupRequests).
 */
export function sportsGroupRoutes({ cup, starter, db }: ApiDeps): Router {
  const groups = new SportsGroupRequests(cup, starter, db);
  const r = Router();
  r.post('/', allow('cup:contact'), async (req, res) => {
    const body = parseWith(groupBody, req.body ?? {});
    res.status(201).json(await groups.request(body, actorOf(req).id));
  });
  r.get('/:key', allow('cup:contact', 'cup:manage'), async (req, res) => {
    const { key } = parseWith(instanceParams, req.params);
    res.json(await groups.byInstance(key));
  });
  return r;
}
