import { z } from 'zod';
import { CupUnavailableError, SlotUnavailableError, type Appointment } from '../adapters/cup/cup.js';
import { BpmnError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';
import { sportsGroupPlanSchema } from './plan-sports-group.js';

const COMPENSATION_REASON =
  'Piano del gruppo sportivo annullato: uno degli slot non era più libero, le visite vengono ripianificate.';

/**
 * Books every athlete of the confirmed plan on the CUP. All or nothing: when a slot of the
 * plan was taken meanwhile, the bookings of this plan are cancelled and the group goes
 * back to planning (and to the back office for a new confirmation).
 */
export const bookSportsGroup = defineWorker({
  taskType: 'book-sports-group',
  permission: 'cup:contact',
  description:
    'Prenota sul CUP la visita di medicina dello sport di ogni atleta del piano confermato; se uno slot non è più libero annulla le prenotazioni del piano e ripianifica.',
  variables: z.object({
    businessKey: z.string().min(1),
    serviceCode: z.string().min(1),
    plan: sportsGroupPlanSchema,
    backOfficeNote: z.string().max(1000).nullish(),
  }),
  headers: z.object({}),
  // Up to 200 bookings in one job.
  async handler({ variables: v, job, deps }) {
    const booked: Appointment[] = [];
    // A cancelled booking under this plan's keys means an earlier delivery already gave the
    // plan up; the remaining bookings of the plan are cancelled too.
    let conflict = false;
    try {
      for (const a of v.plan.assignments) {
        let appointment: Appointment;
        try {
          // One key per plan and athlete: a re-delivery books nobody twice, a new plan books afresh.
          appointment = await deps.cup.book({
            slotId: a.slotId,
            patientId: a.patientId,
            serviceCode: v.serviceCode,
            requestKey: `sports:${job.processInstanceKey}:${v.plan.planId}:${a.patientId}`,
          });
        } catch (err) {
          if (!(err instanceof SlotUnavailableError)) throw err;
          conflict = true;
          break;
        }
        booked.push(appointment);
        if (appointment.status !== 'booked') conflict = true;
      }
      if (conflict) {
        for (const a of booked) {
          if (a.status === 'booked') await deps.cup.cancel({ appointmentId: a.id, reason: COMPENSATION_REASON });
        }
      }
    } catch (err) {
      // Retrying is safe: the same keys give back the same bookings, cancelling is idempotent.
      if (err instanceof CupUnavailableError) throw new TransientError(err.message);
      throw err;
    }
    if (conflict) throw new BpmnError('SPORTS_GROUP_SLOT_TAKEN', BPMN_ERRORS.SPORTS_GROUP_SLOT_TAKEN);

    const bookings = booked.map((a) => ({
      patientId: a.patientId,
      appointmentId: a.id,
      bookingCode: a.bookingCode,
      slotId: a.slotId,
      start: a.start,
    }));
    const days = v.plan.days.map((d) => d.day);
    await deps.db.query(
      `UPDATE cup_sports_groups
          SET status = 'booked', plan = $2::jsonb, planned_days = $3::date[], bookings = $4::jsonb,
              back_office_note = $5, process_instance_key = $6, updated_at = now()
        WHERE business_key = $1`,
      [
        v.businessKey,
        JSON.stringify(v.plan),
        days,
        JSON.stringify(bookings),
        v.backOfficeNote ?? null,
        job.processInstanceKey,
      ],
    );
    return { bookings, bookedCount: bookings.length };
  },
});
