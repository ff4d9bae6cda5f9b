/**
 * The CUP (regional booking system) as the platform sees it, shaped on FHIR R4:
 * a Schedule is an agenda of one service at one structure, a Slot a bookable time in it,
 * an Appointment a booking of a Slot for a Patient.
 */
export interface Cup {
  /** Earliest free slots for a service, across the region or at one structure, after a time. */
  findEarliestSlots(query: SlotQuery): Promise<SlotOffer[]>;
  /**
   * Books a free slot. Safe under concurrency (one of two racing bookings wins, the other
   * gets `SlotUnavailableError`) and idempotent by `requestKey`.
   */
  book(request: BookingRequest): Promise<Appointment>;
  getAppointment(id: string): Promise<Appointment | undefined>;
  getPatient(id: string): Promise<Patient | undefined>;
}

export interface SlotQuery {
  serviceCode: string;
  structureId?: string | undefined;
  after?: Date | undefined;
  limit?: number | undefined;
}

export interface SlotOffer {
  slotId: string;
  scheduleId: string;
  start: string;
  end: string;
  structureId: string;
  structureName: string;
  serviceCode: string;
}

export interface BookingRequest {
  slotId: string;
  patientId: string;
  serviceCode: string;
  prescriptionNre?: string | undefined;
  /** The same key always yields the same appointment. */
  requestKey: string;
}

export type AppointmentStatus = 'booked' | 'cancelled' | 'fulfilled' | 'noshow';

export interface Appointment {
  id: string;
  bookingCode: string;
  status: AppointmentStatus;
  slotId: string;
  start: string;
  end: string;
  structureId: string;
  structureName: string;
  structureAddress: string;
  serviceCode: string;
  serviceName: string;
  patientId: string;
  prescriptionNre: string | null;
  cancellationReason: string | null;
  replacesId: string | null;
}

export interface Patient {
  id: string;
  fiscalCode: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  mobile: string | null;
}

/** The slot is not free any more (or does not exist for that service). */
export class SlotUnavailableError extends Error {
  override name = 'SlotUnavailableError';
}

/** The CUP could not be reached or answered with a server error; worth retrying. */
export class CupUnavailableError extends Error {
  override name = 'CupUnavailableError';
}
