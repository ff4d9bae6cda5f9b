import type { DataSource } from 'typeorm';
import type { Cup } from '../../adapters/cup/cup.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { newBusinessKey, type ProcessStarter, type StartedInstance } from '../processes/process-starter.js';
import { startOfDayInRome } from '../time.js';

/** The sports-medicine visit of the demo region's catalogue (C6). */
export const SPORTS_MEDICINE_SERVICE = '89.7B.9';

/** What a sports club asks for: visits for its athletes at one structure. */
export type SportsGroupRequest = {
  clubName: string;
  serviceCode: string;
  structureId: string;
  /** CUP patient ids, each once. */
  athletes: string[];
  /** `AAAA-MM-GG`: no visit before that day. */
  notBefore?: string | undefined;
};

/** A club's request as the platform records it (`cup_sports_groups`), with its plan and bookings. */
export interface SportsGroupRecord {
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
 * club's list, the flow (`cup-sports-group`) plans it on the fewest days at one structure and
 * books it after the back office confirms. Its record lives in `cup_sports_groups`.
 */
export class SportsGroupRequests {
  constructor(
    private readonly cup: Cup,
    private readonly starter: ProcessStarter,
    private readonly db: DataSource,
  ) {}

  /**
   * Checks the athletes and the structure on the CUP, records the request and starts its flow.
   * @throws ValidationError for an athlete who is not a CUP patient, or a structure with no room
   */
  async request(request: SportsGroupRequest, requestedBy: string): Promise<StartedInstance> {
    const found = await Promise.all(request.athletes.map((id) => this.cup.getPatient(id)));
    const unknown = request.athletes.flatMap((id, i) =>
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
    const from = request.notBefore ? startOfDayInRome(request.notBefore) : new Date();
    const any = await this.cup.findEarliestSlots({
      serviceCode: request.serviceCode,
      structureId: request.structureId,
      after: new Date(Math.max(from.getTime() - 1, Date.now())),
      limit: 1,
    });
    if (any.length === 0) {
      const message = `La struttura ${request.structureId} non ha slot liberi per la prestazione ${request.serviceCode}.`;
      throw new ValidationError(message, [{ field: 'structureId', message }]);
    }

    const businessKey = newBusinessKey('SPO');
    // The record exists before the instance does, so that its workers always find it.
    await this.db.query(
      `INSERT INTO cup_sports_groups (business_key, club_name, service_code, structure_id, athletes, not_before, status, requested_by)
       VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7)`,
      [
        businessKey,
        request.clubName,
        request.serviceCode,
        request.structureId,
        request.athletes,
        request.notBefore ?? null,
        requestedBy,
      ],
    );
    let started;
    try {
      started = await this.starter.start({
        bpmnProcessId: 'cup-sports-group',
        businessKey,
        variables: request,
        startedBy: requestedBy,
      });
    } catch (err) {
      await this.db.query(`DELETE FROM cup_sports_groups WHERE business_key = $1 AND status = 'requested'`, [
        businessKey,
      ]);
      throw err;
    }
    await this.db.query('UPDATE cup_sports_groups SET process_instance_key = $2 WHERE business_key = $1', [
      businessKey,
      started.processInstanceKey,
    ]);
    return started;
  }

  /** The request of the flow instance `processInstanceKey`. */
  async byInstance(processInstanceKey: string): Promise<SportsGroupRecord> {
    const rows: SportsGroupRecord[] = await this.db.query(
      `SELECT process_instance_key AS "processInstanceKey", business_key AS "businessKey", club_name AS "clubName",
              service_code AS "serviceCode", structure_id AS "structureId", athletes,
              to_char(not_before, 'YYYY-MM-DD') AS "notBefore", status, plan,
              ARRAY(SELECT to_char(d, 'YYYY-MM-DD') FROM unnest(planned_days) AS d ORDER BY d) AS "plannedDays",
              bookings, back_office_note AS "backOfficeNote", requested_by AS "requestedBy",
              created_at AS "createdAt", updated_at AS "updatedAt"
         FROM cup_sports_groups WHERE process_instance_key = $1`,
      [processInstanceKey],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('Richiesta della società sportiva non trovata.');
    return row;
  }
}
