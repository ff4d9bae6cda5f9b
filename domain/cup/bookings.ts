import type { Cup } from '../../adapters/cup/cup.js';
import type { EngineClient } from '../../platform/engine/operaton.js';
import { variablesOf } from '../../platform/engine/variables.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { fromEngine } from '../processes/engine-call.js';
import { newBusinessKey, type ProcessStarter, type StartedInstance } from '../processes/process-starter.js';
import { checkFiscalCode, normaliseItalianMobile } from './patient.js';
import { checkNre } from './prescription.js';
import type { PriorityClass } from './priority.js';

/** A booking the operator takes on the phone. */
export type NewBooking = {
  prescriptionNre: string;
  serviceCode: string;
  /** The patient, by CUP id or by fiscal code (one of the two). */
  patientId?: string | undefined;
  fiscalCode?: string | undefined;
  structureId?: string | undefined;
  priorityClass: PriorityClass;
  /** The mobile number the patient confirms on the phone; it replaces the one on the CUP. */
  mobile?: string | undefined;
};

/** A cancellation the operator takes on the phone, with a new booking if `rebook`. */
export type NewCancellation = {
  appointmentId: string;
  cancellationNote: string;
  rebook: boolean;
  structureId?: string | undefined;
};

export type BookingState = 'in-corso' | 'prenotata' | 'nuova-scelta' | 'back-office' | 'chiusa';

export interface BookingOutcome {
  state: BookingState;
  businessKey: string | null;
  bookingCode: string | null;
  appointmentStart: string | null;
  structureName: string | null;
  taskKey: string | null;
}

/**
 * The CUP booking line's cases: a booking (`cup-booking`) and a cancellation
 * (`cup-cancellation`), each checked against the CUP before its flow starts, so that a
 * refused request changes nothing; and where a booking stands.
 */
export class CupBookings {
  constructor(
    private readonly cup: Cup,
    private readonly starter: ProcessStarter,
    private readonly engine: EngineClient,
  ) {}

  /**
   * Starts a booking for a known patient, a valid prescription and a service (and structure)
   * of the catalogue; records the mobile number the patient confirmed.
   * @throws ValidationError naming the field that is wrong
   */
  async book(booking: NewBooking, startedBy: string): Promise<StartedInstance> {
    const nreProblem = checkNre(booking.prescriptionNre);
    if (nreProblem) throw new ValidationError(nreProblem, [{ field: 'prescriptionNre', message: nreProblem }]);
    const mobile = booking.mobile === undefined ? undefined : normaliseItalianMobile(booking.mobile);
    if (mobile && 'problem' in mobile) {
      throw new ValidationError(mobile.problem, [{ field: 'mobile', message: mobile.problem }]);
    }
    let patientId = booking.patientId;
    if (booking.fiscalCode !== undefined) {
      const cfProblem = checkFiscalCode(booking.fiscalCode);
      if (cfProblem) throw new ValidationError(cfProblem, [{ field: 'fiscalCode', message: cfProblem }]);
      patientId = (await this.cup.findPatientByFiscalCode(booking.fiscalCode))?.id;
      if (!patientId) {
        const message = 'Nessun paziente con questo codice fiscale sul CUP.';
        throw new ValidationError(message, [{ field: 'fiscalCode', message }]);
      }
    }
    if (!patientId || !(await this.cup.getPatient(patientId))) {
      const message = 'Paziente non trovato sul CUP.';
      throw new ValidationError(message, [{ field: 'patientId', message }]);
    }
    await this.assertInCatalogue(booking.serviceCode, booking.structureId);
    // Written only once everything else is valid, so a refused request changes nothing.
    if (mobile) await this.cup.updatePatientMobile(patientId, mobile.e164);
    // Only ids travel in the process: fiscal code and phone stay on the CUP.
    const { fiscalCode: _cf, mobile: _mobile, ...rest } = booking;
    return this.starter.start({
      bpmnProcessId: 'cup-booking',
      businessKey: newBusinessKey('PRE'),
      variables: { ...rest, patientId },
      startedBy,
    });
  }

  /**
   * Starts the cancellation of an active booking (and its rebooking at `structureId`, which
   * must offer the booking's service).
   * @throws ValidationError when the CUP has no such booking, or it is not active
   */
  async cancel(cancellation: NewCancellation, startedBy: string): Promise<StartedInstance> {
    const appointment = await this.cup.getAppointment(cancellation.appointmentId);
    if (!appointment) {
      throw new ValidationError('Prenotazione non trovata sul CUP.', [
        { field: 'appointmentId', message: 'Prenotazione non trovata.' },
      ]);
    }
    if (appointment.status !== 'booked') {
      throw new ValidationError('La prenotazione non è attiva.', [
        { field: 'appointmentId', message: `Stato: ${appointment.status}.` },
      ]);
    }
    if (cancellation.structureId !== undefined) {
      await this.assertInCatalogue(appointment.serviceCode, cancellation.structureId);
    }
    return this.starter.start({
      bpmnProcessId: 'cup-cancellation',
      businessKey: newBusinessKey('DIS'),
      variables: { ...cancellation, serviceCode: appointment.serviceCode },
      startedBy,
    });
  }

  /**
   * Where a booking stands, for the operator still on the phone: booked (code, date and time,
   * structure, to read to the patient), a new choice to make (the slot was taken meanwhile),
   * passed to the back office, closed, or still running. From the engine's history and the
   * instance's open tasks.
   * @throws NotFoundError when `processInstanceKey` is no cup-booking instance
   */
  async outcome(processInstanceKey: string): Promise<BookingOutcome> {
    const h = await fromEngine(() => this.engine.historicProcessInstance(processInstanceKey));
    if (h?.processDefinitionKey !== 'cup-booking') throw new NotFoundError('Prenotazione in corso non trovata.');
    const [vars, open] = await Promise.all([
      fromEngine(() =>
        this.engine.historicVariables({
          processInstanceId: processInstanceKey,
          variableNameIn: ['bookingCode', 'appointmentStart', 'appointmentId', 'businessKey'],
        }),
      ),
      fromEngine(() => this.engine.tasks({ processInstanceId: processInstanceKey })),
    ]);
    const v = variablesOf(vars);
    const task = open[0];
    let state: BookingState = 'in-corso';
    if (typeof v['bookingCode'] === 'string') state = 'prenotata';
    else if (task?.taskDefinitionKey === 'choose-slot') state = 'nuova-scelta';
    else if (task?.taskDefinitionKey === 'handle-escalation') state = 'back-office';
    else if (h.endTime) state = 'chiusa';
    const appointment =
      state === 'prenotata' && typeof v['appointmentId'] === 'string'
        ? await this.cup.getAppointment(v['appointmentId'])
        : undefined;
    return {
      state,
      businessKey: h.businessKey,
      bookingCode: typeof v['bookingCode'] === 'string' ? v['bookingCode'] : null,
      appointmentStart: typeof v['appointmentStart'] === 'string' ? v['appointmentStart'] : null,
      structureName: appointment?.structureName ?? null,
      taskKey: task?.id ?? null,
    };
  }

  /**
   * A booking names a service of the catalogue and, if any, a structure of the region, as the
   * CUP knows them: anything else is refused here rather than ending as "no availability".
   */
  private async assertInCatalogue(serviceCode: string, structureId: string | undefined): Promise<void> {
    if (!(await this.cup.listServices()).some((s) => s.code === serviceCode)) {
      const message = `La prestazione «${serviceCode.slice(0, 40)}» non è nel catalogo del CUP.`;
      throw new ValidationError(message, [{ field: 'serviceCode', label: 'Prestazione', message }]);
    }
    if (structureId !== undefined && !(await this.cup.getStructure(structureId))) {
      const message = `La struttura «${structureId.slice(0, 40)}» non esiste sul CUP.`;
      throw new ValidationError(message, [{ field: 'structureId', label: 'Struttura', message }]);
    }
  }
}
