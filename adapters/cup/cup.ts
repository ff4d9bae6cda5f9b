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
  /** The patient registered on the CUP under a fiscal code (upper case, 16 characters). */
  findPatientByFiscalCode(fiscalCode: string): Promise<Patient | undefined>;
  /** The patients registered with this phone number (E.164): who is calling, when the CUP knows. */
  findPatientsByPhone(phoneE164: string): Promise<Patient[]>;
  /** Records the mobile number the patient confirmed to the operator (E.164). */
  updatePatientMobile(patientId: string, mobileE164: string): Promise<Patient>;
  getSlot(id: string): Promise<SlotDetail | undefined>;
  /**
   * Cancels a booking with a mandatory note and frees its slot. Cancelling a cancelled
   * booking returns it unchanged.
   */
  cancel(request: CancelRequest): Promise<Appointment>;
  /**
   * Moves a booking to another free slot (same service, any structure): a new appointment
   * that `replaces` the old one, the old one cancelled and its slot freed, atomically.
   * Idempotent by `requestKey`.
   */
  move(request: MoveRequest): Promise<Appointment>;
  /**
   * Bookings of an agenda starting at least `minDaysAhead` days after `from`, earliest
   * first: the patients to call when an earlier slot frees up (day 31 / day 61).
   */
  recallCandidates(query: RecallQuery): Promise<Appointment[]>;
  /** The CUP extract for reminders: booked appointments starting in [from, to), by start. */
  upcoming(query: UpcomingQuery): Promise<ReminderEntry[]>;
  /**
   * Every booked appointment of an agenda starting in [from, to), by start then id: the
   * patients a "pulitura agende" campaign calls.
   */
  agendaBookings(query: AgendaQuery): Promise<Appointment[]>;
  /** The catalogue of services one can book (FHIR HealthcareService). */
  listServices(): Promise<ServiceInfo[]>;
  /** A structure of the region by id (FHIR Location), or undefined when the CUP has none. */
  getStructure(id: string): Promise<StructureInfo | undefined>;
}

/** A bookable service of the catalogue: its code (`89.7A.3`), name and kind (visit, exam…). */
export interface ServiceInfo {
  code: string;
  name: string;
  kind: string;
}

export interface StructureInfo {
  id: string;
  name: string;
  city: string | undefined;
}

export interface SlotDetail {
  slotId: string;
  scheduleId: string;
  start: string;
  end: string;
  status: 'free' | 'busy' | 'busy-unavailable';
  structureId: string;
  serviceCode: string;
  serviceKind: 'visit' | 'exam';
  monitored: boolean;
}

export interface CancelRequest {
  appointmentId: string;
  /** Why the booking is cancelled; required. */
  reason: string;
}

export interface MoveRequest {
  appointmentId: string;
  slotId: string;
  reason: string;
  requestKey: string;
}

export interface RecallQuery {
  scheduleId: string;
  from: Date;
  minDaysAhead: number;
  excludeAppointmentIds?: string[] | undefined;
  limit: number;
}

export interface AgendaQuery {
  scheduleId: string;
  from: Date;
  to: Date;
}

export interface UpcomingQuery {
  from: Date;
  to: Date;
  /** Keyset pagination: entries after this (start, id). */
  after?: { start: string; appointmentId: string } | undefined;
  limit: number;
}

/** One line of the CUP extract: mobile, booking code, date/time. */
export interface ReminderEntry {
  appointmentId: string;
  bookingCode: string;
  start: string;
  mobile: string | null;
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
  /** The prescription's priority class (U, B, D, P). */
  priorityClass?: 'U' | 'B' | 'D' | 'P' | undefined;
  /** The slot is later than the class allows (booked anyway, by the back office). */
  beyondPriorityLimit?: boolean | undefined;
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
  priorityClass: 'U' | 'B' | 'D' | 'P' | null;
  beyondPriorityLimit: boolean;
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

/** The booking does not exist or cannot change (already cancelled, in the past). */
export class AppointmentStateError extends Error {
  override name = 'AppointmentStateError';
}

/** The patient is not on the CUP. */
export class PatientNotFoundError extends Error {
  override name = 'PatientNotFoundError';
}

/** The CUP could not be reached or answered with a server error; worth retrying. */
export class CupUnavailableError extends Error {
  override name = 'CupUnavailableError';
}
