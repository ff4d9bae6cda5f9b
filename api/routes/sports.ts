import { Router } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { isCalendarDay } from '../../domain/cup/sports-group.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { newBusinessKey } from '../../domain/processes/process-starter.js';
import { ENGINE_ID } from './instances.js';
import { startOfDayInRome } from '../../domain/time.js';

/** The sports-medicine visit of the demo region's catalogue (C6). */
export const SPORTS_MEDICINE_SERVICE = '89.7B.9';
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

interface GroupRow {
  processInstanceKey: string | null;
  businessKey: string;
  clubName: string;
  serviceCode: string;
  structureId: string;
  athletes: string[];
  notBefore: string | null;
  status: string;
  plan: unknown;
  plannedDays: string[];
  bookings: unknown;
  backOfficeNote: string | null;
  requestedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Sports-medicine visits for the athletes of a sports club (C6): the back office sends the
 * club's list, the flow plans it on the fewest days at one structure and books it after
 * the back office confirms.
 */
export function sportsGroupRoutes({ cup, starter, db }: ApiDeps): Router {
  const r = Router();
  r.post('/', allow('cup:contact'), async (req, res) => {
    const body = parseWith(groupBody, req.body ?? {});
    const actor = actorOf(req);
    const found = await Promise.all(body.athletes.map((id) => cup.getPatient(id)));
    const unknown = body.athletes.flatMap((id, i) =>
      found[i] ? [] : [{ field: `athletes.${i}`, message: `Paziente ${id} non trovato sul CUP.` }],
    );
    if (unknown.length > 0) {
      throw new ValidationError(
        unknown.length === 1
          ? "Un atleta dell'elenco non è un paziente del CUP."
          : `${unknown.length} atleti dell'elenco non sono pazienti del CUP.`,
        unknown,
      );
    }
    // A structure that does not offer the service (or a typo in its id) is refused here
    // rather than ending the flow with no room.
    const from = body.notBefore ? startOfDayInRome(body.notBefore) : new Date();
    const any = await cup.findEarliestSlots({
      serviceCode: body.serviceCode,
      structureId: body.structureId,
      after: new Date(Math.max(from.getTime() - 1, Date.now())),
      limit: 1,
    });
    if (any.length === 0) {
      const message = `La struttura ${body.structureId} non ha slot liberi per la prestazione ${body.serviceCode}.`;
      throw new ValidationError(message, [{ field: 'structureId', message }]);
    }

    const businessKey = newBusinessKey('SPO');
    // The record exists before the instance does, so that its workers always find it.
    await db.query(
      `INSERT INTO cup_sports_groups (business_key, club_name, service_code, structure_id, athletes, not_before, status, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7)`,
      [businessKey, body.clubName, body.serviceCode, body.structureId, body.athletes, body.notBefore ?? null, actor.id],
    );
    let started;
    try {
      started = await starter.start({
        bpmnProcessId: 'cup-sports-group',
        businessKey,
        variables: body,
        startedBy: actor.id,
      });
    } catch (err) {
      await db.query(`DELETE FROM cup_sports_groups WHERE business_key = $1 AND status = 'requested'`, [businessKey]);
      throw err;
    }
    await db.query('UPDATE cup_sports_groups SET process_instance_key = $2 WHERE business_key = $1', [
      businessKey,
      started.processInstanceKey,
    ]);
    res.status(201).json(started);
  });
  r.get('/:key', allow('cup:contact', 'cup:manage'), async (req, res) => {
    const { key } = parseWith(instanceParams, req.params);
    const rows: GroupRow[] = await db.query(
      `SELECT process_instance_key AS "processInstanceKey", business_key AS "businessKey", club_name AS "clubName",
              service_code AS "serviceCode", structure_id AS "structureId", athletes,
              to_char(not_before, 'YYYY-MM-DD') AS "notBefore", status, plan,
              ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(planned_days) AS d ORDER BY d) AS "plannedDays",
              bookings, back_office_note AS "backOfficeNote", requested_by AS "requestedBy",
              created_at AS "createdAt", updated_at AS "updatedAt"
         FROM cup_sports_groups WHERE process_instance_key = $1`,
      [key],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('Richiesta della società sportiva non trovata.');
    res.json(row);
  });
  return r;
}
