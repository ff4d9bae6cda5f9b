import { randomInt, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import {
  AppointmentStateError,
  PatientNotFoundError,
  SlotUnavailableError,
  type AgendaQuery,
  type Appointment,
  type BookingRequest,
  type CancelRequest,
  type Cup,
  type MoveRequest,
  type Patient,
  type RecallQuery,
  type ReminderEntry,
  type SlotDetail,
  type SlotOffer,
  type SlotQuery,
  type ServiceInfo,
  type StructureInfo,
  type UpcomingQuery,
} from './cup.js';
import type { Queryable } from '../../platform/database/query.js';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A booking code an operator can read on the phone: `BAS-XXXX-XXXX`, no 0/O or 1/I. */
export function newBookingCode(): string {
  const pick = () => Array.from({ length: 4 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return `BAS-${pick()}-${pick()}`;
}

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

interface AppointmentRow {
  id: string;
  booking_code: string;
  status: Appointment['status'];
  slot_id: string;
  starts_at: Date;
  ends_at: Date;
  structure_id: string;
  structure_name: string;
  structure_address: string;
  service_code: string;
  service_name: string;
  patient_id: string;
  prescription_nre: string | null;
  cancellation_reason: string | null;
  replaces_id: string | null;
  priority_class: Appointment['priorityClass'];
  beyond_priority_limit: boolean;
}

const APPOINTMENT_SELECT = `
  SELECT a.id, a.booking_code, a.status, a.slot_id::text AS slot_id, s.starts_at, s.ends_at,
         st.id AS structure_id, st.name AS structure_name, st.address AS structure_address,
         a.service_code, sv.name AS service_name, a.patient_id, a.prescription_nre,
         a.cancellation_reason, a.replaces_id, a.priority_class, a.beyond_priority_limit
    FROM cup_appointments a
    JOIN cup_slots s ON s.id = a.slot_id
    JOIN cup_schedules sc ON sc.id = s.schedule_id
    JOIN cup_structures st ON st.id = sc.structure_id
    JOIN cup_services sv ON sv.code = a.service_code`;

function toAppointment(r: AppointmentRow): Appointment {
  return {
    id: r.id,
    bookingCode: r.booking_code,
    status: r.status,
    slotId: r.slot_id,
    start: iso(r.starts_at),
    end: iso(r.ends_at),
    structureId: r.structure_id,
    structureName: r.structure_name,
    structureAddress: r.structure_address,
    serviceCode: r.service_code,
    serviceName: r.service_name,
    patientId: r.patient_id,
    prescriptionNre: r.prescription_nre,
    cancellationReason: r.cancellation_reason,
    replacesId: r.replaces_id,
    priorityClass: r.priority_class,
    beyondPriorityLimit: r.beyond_priority_limit,
  };
}

/** An agenda as the local CUP keeps it, with its structure and service (for its FHIR view). */
export interface LocalSchedule {
  scheduleId: string;
  name: string;
  active: boolean;
  monitored: boolean;
  structureId: string;
  structureName: string;
  serviceCode: string;
  serviceName: string;
  serviceKind: 'visit' | 'exam';
}

/** An identifier a booking was made with (FHIR `Identifier`: a value in a system). */
export interface BookingIdentifier {
  system?: string | undefined;
  value: string;
}

/** A structure as the local CUP keeps it: what a booking confirmation tells the patient. */
export interface LocalStructure {
  id: string;
  name: string;
  organization: string;
  city: string;
  address: string;
  phone: string | null;
}

/**
 * The CUP of the embedded default: agendas, slots and bookings in PostgreSQL. Beyond the
 * `Cup` interface it gives its FHIR stand-in (stand-ins/cup-fhir/) what a CUP server knows
 * of itself: agendas, structures' details, which request keys were used.
 */
export class LocalCup implements Cup {
  constructor(private readonly db: DataSource) {}

  async findEarliestSlots(q: SlotQuery): Promise<SlotOffer[]> {
    const rows: {
      id: string;
      schedule_id: string;
      starts_at: Date;
      ends_at: Date;
      structure_id: string;
      structure_name: string;
      service_code: string;
    }[] = await this.db.query(
      `SELECT s.id::text AS id, s.schedule_id, s.starts_at, s.ends_at, sc.structure_id, st.name AS structure_name, sc.service_code
         FROM cup_slots s
         JOIN cup_schedules sc ON sc.id = s.schedule_id
         JOIN cup_structures st ON st.id = sc.structure_id
        WHERE sc.service_code = $1 AND sc.active AND s.status = 'free' AND s.starts_at > $2
          AND ($3::text IS NULL OR sc.structure_id = $3)
        ORDER BY s.starts_at, s.id
        LIMIT $4`,
      [q.serviceCode, q.after ?? new Date(), q.structureId ?? null, q.limit ?? 5],
    );
    return rows.map((r) => ({
      slotId: r.id,
      scheduleId: r.schedule_id,
      start: iso(r.starts_at),
      end: iso(r.ends_at),
      structureId: r.structure_id,
      structureName: r.structure_name,
      serviceCode: r.service_code,
    }));
  }

  async book(req: BookingRequest): Promise<Appointment> {
    return (await this.bookWithIdentifiers(req, [])).appointment;
  }

  /**
   * {@link book}, keeping the identifiers the booking was made with (its FHIR
   * `Appointment.identifier`, for the stand-in); `created` is false when the request key had
   * booked already and that booking is returned.
   */
  async bookWithIdentifiers(
    req: BookingRequest,
    identifiers: readonly BookingIdentifier[],
  ): Promise<{ appointment: Appointment; created: boolean }> {
    if (!/^\d{1,18}$/.test(req.slotId)) throw new SlotUnavailableError(`slot ${req.slotId} inesistente`);
    let created = false;
    const id = await this.db.transaction(async (tx) => {
      const existing: { id: string }[] = await tx.query('SELECT id FROM cup_appointments WHERE request_key = $1', [
        req.requestKey,
      ]);
      if (existing[0]) return existing[0].id;
      // The conditional update is the lock: of two racing bookings only one finds the slot free.
      const taken = await returning(
        tx,
        `UPDATE cup_slots s SET status = 'busy'
           FROM cup_schedules sc
          WHERE s.id = $1 AND s.status = 'free' AND sc.id = s.schedule_id AND sc.service_code = $2
          RETURNING s.id`,
        [req.slotId, req.serviceCode],
      );
      if (taken.length === 0) return undefined;
      const newId = randomUUID();
      await tx.query(
        `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code, prescription_nre, request_key,
           priority_class, beyond_priority_limit, identifiers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)`,
        [
          newId,
          newBookingCode(),
          req.slotId,
          req.patientId,
          req.serviceCode,
          req.prescriptionNre ?? null,
          req.requestKey,
          req.priorityClass ?? null,
          req.beyondPriorityLimit ?? false,
          JSON.stringify(identifiers.map((i) => (i.system === undefined ? { value: i.value } : i))),
        ],
      );
      created = true;
      return newId;
    });
    if (id === undefined) {
      // A concurrent delivery of the same request may have won the slot for us.
      const same: { id: string }[] = await this.db.query('SELECT id FROM cup_appointments WHERE request_key = $1', [
        req.requestKey,
      ]);
      if (!same[0])
        throw new SlotUnavailableError(`lo slot ${req.slotId} non è libero per la prestazione ${req.serviceCode}`);
      return { appointment: await this.mustGet(same[0].id), created: false };
    }
    return { appointment: await this.mustGet(id), created };
  }

  async getAppointment(id: string): Promise<Appointment | undefined> {
    const rows: AppointmentRow[] = await this.db.query(`${APPOINTMENT_SELECT} WHERE a.id = $1`, [id]);
    return rows[0] ? toAppointment(rows[0]) : undefined;
  }

  async findPatientByFiscalCode(fiscalCode: string): Promise<Patient | undefined> {
    const rows: { id: string }[] = await this.db.query('SELECT id FROM cup_patients WHERE fiscal_code = $1', [
      fiscalCode.trim().toUpperCase(),
    ]);
    return rows[0] ? this.getPatient(rows[0].id) : undefined;
  }

  async findPatientsByPhone(phoneE164: string): Promise<Patient[]> {
    const rows: { id: string }[] = await this.db.query(
      'SELECT id FROM cup_patients WHERE mobile = $1 ORDER BY family_name, given_name LIMIT 5',
      [phoneE164],
    );
    const found = await Promise.all(rows.map((r) => this.getPatient(r.id)));
    return found.filter((p): p is Patient => p !== undefined);
  }

  async updatePatientMobile(patientId: string, mobileE164: string): Promise<Patient> {
    const rows = await returning<{ id: string }>(
      this.db,
      'UPDATE cup_patients SET mobile = $2 WHERE id = $1 RETURNING id',
      [patientId, mobileE164],
    );
    const patient = rows[0] ? await this.getPatient(patientId) : undefined;
    if (!patient) throw new PatientNotFoundError(`paziente ${patientId} inesistente`);
    return patient;
  }

  async getPatient(id: string): Promise<Patient | undefined> {
    const rows: {
      id: string;
      fiscal_code: string;
      given_name: string;
      family_name: string;
      birth_date: string;
      mobile: string | null;
    }[] = await this.db.query(
      `SELECT id, fiscal_code, given_name, family_name, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, mobile
         FROM cup_patients WHERE id = $1`,
      [id],
    );
    const r = rows[0];
    return r
      ? {
          id: r.id,
          fiscalCode: r.fiscal_code,
          givenName: r.given_name,
          familyName: r.family_name,
          birthDate: r.birth_date,
          mobile: r.mobile,
        }
      : undefined;
  }

  async getSlot(id: string): Promise<SlotDetail | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const rows: {
      id: string;
      schedule_id: string;
      starts_at: Date;
      ends_at: Date;
      status: SlotDetail['status'];
      structure_id: string;
      service_code: string;
      kind: SlotDetail['serviceKind'];
      monitored: boolean;
    }[] = await this.db.query(
      `SELECT s.id::text AS id, s.schedule_id, s.starts_at, s.ends_at, s.status, sc.structure_id, sc.service_code,
              sv.kind, sc.monitored
         FROM cup_slots s JOIN cup_schedules sc ON sc.id = s.schedule_id JOIN cup_services sv ON sv.code = sc.service_code
        WHERE s.id = $1`,
      [id],
    );
    const r = rows[0];
    return r
      ? {
          slotId: r.id,
          scheduleId: r.schedule_id,
          start: iso(r.starts_at),
          end: iso(r.ends_at),
          status: r.status,
          structureId: r.structure_id,
          serviceCode: r.service_code,
          serviceKind: r.kind,
          monitored: r.monitored,
        }
      : undefined;
  }

  async cancel(req: CancelRequest): Promise<Appointment> {
    if (req.reason.trim() === '') throw new AppointmentStateError('la disdetta richiede una nota');
    await this.db.transaction(async (tx) => {
      const rows: { status: string; slot_id: string }[] = await tx.query(
        'SELECT status, slot_id::text AS slot_id FROM cup_appointments WHERE id = $1 FOR UPDATE',
        [req.appointmentId],
      );
      const row = rows[0];
      if (!row) throw new AppointmentStateError(`prenotazione ${req.appointmentId} inesistente`);
      if (row.status === 'cancelled') return;
      if (row.status !== 'booked')
        throw new AppointmentStateError(`prenotazione ${req.appointmentId} già ${row.status}`);
      await this.release(tx, req.appointmentId, row.slot_id, req.reason.trim());
    });
    return this.mustGet(req.appointmentId);
  }

  async move(req: MoveRequest): Promise<Appointment> {
    if (!/^\d{1,18}$/.test(req.slotId)) throw new SlotUnavailableError(`slot ${req.slotId} inesistente`);
    const id = await this.db.transaction(async (tx) => {
      const existing: { id: string }[] = await tx.query('SELECT id FROM cup_appointments WHERE request_key = $1', [
        req.requestKey,
      ]);
      if (existing[0]) return existing[0].id;
      const rows: {
        status: string;
        slot_id: string;
        patient_id: string;
        service_code: string;
        prescription_nre: string | null;
        priority_class: Appointment['priorityClass'];
      }[] = await tx.query(
        `SELECT status, slot_id::text AS slot_id, patient_id, service_code, prescription_nre, priority_class
           FROM cup_appointments WHERE id = $1 FOR UPDATE`,
        [req.appointmentId],
      );
      const old = rows[0];
      if (!old) throw new AppointmentStateError(`prenotazione ${req.appointmentId} inesistente`);
      if (old.status !== 'booked')
        throw new AppointmentStateError(`prenotazione ${req.appointmentId} non attiva (${old.status})`);
      const taken = await returning(
        tx,
        `UPDATE cup_slots s SET status = 'busy' FROM cup_schedules sc
          WHERE s.id = $1 AND s.status = 'free' AND sc.id = s.schedule_id AND sc.service_code = $2 RETURNING s.id`,
        [req.slotId, old.service_code],
      );
      if (taken.length === 0) return undefined;
      await this.release(tx, req.appointmentId, old.slot_id, req.reason.trim() || 'spostamento');
      const newId = randomUUID();
      await tx.query(
        `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code, prescription_nre, request_key, replaces_id,
           priority_class)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          newId,
          newBookingCode(),
          req.slotId,
          old.patient_id,
          old.service_code,
          old.prescription_nre,
          req.requestKey,
          req.appointmentId,
          old.priority_class,
        ],
      );
      return newId;
    });
    if (id === undefined) {
      const same: { id: string }[] = await this.db.query('SELECT id FROM cup_appointments WHERE request_key = $1', [
        req.requestKey,
      ]);
      if (!same[0]) throw new SlotUnavailableError(`lo slot ${req.slotId} non è libero`);
      return this.mustGet(same[0].id);
    }
    return this.mustGet(id);
  }

  async recallCandidates(q: RecallQuery): Promise<Appointment[]> {
    const rows: AppointmentRow[] = await this.db.query(
      `${APPOINTMENT_SELECT}
        WHERE sc.id = $1 AND a.status = 'booked'
          AND s.starts_at >= $2::timestamptz + ($3::int * interval '1 day')
          AND NOT (a.id = ANY ($4::text[]))
        ORDER BY s.starts_at, a.id
        LIMIT $5`,
      [q.scheduleId, q.from, q.minDaysAhead, q.excludeAppointmentIds ?? [], q.limit],
    );
    return rows.map(toAppointment);
  }

  async upcoming(q: UpcomingQuery): Promise<ReminderEntry[]> {
    const rows: { id: string; booking_code: string; starts_at: Date; mobile: string | null }[] = await this.db.query(
      `SELECT a.id, a.booking_code, s.starts_at, p.mobile
         FROM cup_appointments a
         JOIN cup_slots s ON s.id = a.slot_id
         JOIN cup_patients p ON p.id = a.patient_id
        WHERE a.status = 'booked' AND s.starts_at >= $1 AND s.starts_at < $2
          AND ($3::timestamptz IS NULL OR (s.starts_at, a.id) > ($3::timestamptz, $4::text))
        ORDER BY s.starts_at, a.id
        LIMIT $5`,
      [q.from, q.to, q.after?.start ?? null, q.after?.appointmentId ?? '', q.limit],
    );
    return rows.map((r) => ({
      appointmentId: r.id,
      bookingCode: r.booking_code,
      start: iso(r.starts_at),
      mobile: r.mobile,
    }));
  }

  async agendaBookings(q: AgendaQuery): Promise<Appointment[]> {
    return this.agendaBookingsPage(q, undefined, null);
  }

  /**
   * {@link agendaBookings} a page at a time (for the stand-in's `_count`): at most `limit`
   * (null: all) after the keyset cursor (start, id).
   */
  async agendaBookingsPage(
    q: AgendaQuery,
    after: { start: string; appointmentId: string } | undefined,
    limit: number | null,
  ): Promise<Appointment[]> {
    const rows: AppointmentRow[] = await this.db.query(
      `${APPOINTMENT_SELECT}
        WHERE s.schedule_id = $1 AND a.status = 'booked' AND s.starts_at >= $2 AND s.starts_at < $3
          AND ($4::timestamptz IS NULL OR (s.starts_at, a.id) > ($4::timestamptz, $5::text))
        ORDER BY s.starts_at, a.id
        LIMIT $6`,
      [q.scheduleId, q.from, q.to, after?.start ?? null, after?.appointmentId ?? '', limit],
    );
    return rows.map(toAppointment);
  }

  /** Cancels an appointment row and frees its slot when the slot is still ahead. */
  private async release(tx: Queryable, appointmentId: string, slotId: string, reason: string): Promise<void> {
    await tx.query(
      `UPDATE cup_appointments SET status = 'cancelled', cancellation_reason = $2, cancelled_at = now() WHERE id = $1`,
      [appointmentId, reason],
    );
    await tx.query(`UPDATE cup_slots SET status = 'free' WHERE id = $1 AND starts_at > now()`, [slotId]);
  }

  private async mustGet(id: string): Promise<Appointment> {
    const a = await this.getAppointment(id);
    if (!a) throw new Error(`appointment ${id} vanished after booking`);
    return a;
  }

  /** The appointments with these ids (in no particular order; unknown ids are left out). */
  async appointmentsByIds(ids: readonly string[]): Promise<Appointment[]> {
    if (ids.length === 0) return [];
    const rows: AppointmentRow[] = await this.db.query(`${APPOINTMENT_SELECT} WHERE a.id = ANY ($1::text[])`, [ids]);
    return rows.map(toAppointment);
  }

  /**
   * The appointments holding an identifier (`system` undefined: in any system), at most
   * `limit`, oldest first.
   */
  async appointmentsByIdentifier(identifier: BookingIdentifier, limit: number): Promise<Appointment[]> {
    const wanted = identifier.system === undefined ? { value: identifier.value } : identifier;
    const rows: AppointmentRow[] = await this.db.query(
      `${APPOINTMENT_SELECT} WHERE a.identifiers @> $1::jsonb ORDER BY a.created_at, a.id LIMIT $2`,
      [JSON.stringify([wanted]), limit],
    );
    return rows.map(toAppointment);
  }

  /** The identifiers each of these appointments was booked with (none for most). */
  async identifiersOf(ids: readonly string[]): Promise<Map<string, BookingIdentifier[]>> {
    if (ids.length === 0) return new Map();
    const rows: { id: string; identifiers: BookingIdentifier[] }[] = await this.db.query(
      `SELECT id, identifiers FROM cup_appointments WHERE id = ANY ($1::text[]) AND identifiers <> '[]'::jsonb`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r.identifiers]));
  }

  /** Whether a booking or a move was already made with this request key. */
  async requestKeyUsed(requestKey: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM cup_appointments WHERE request_key = $1', [requestKey]);
    return rows.length > 0;
  }

  /** Agendas by id, with their structure and service, ordered by id. */
  async schedules(ids: readonly string[]): Promise<LocalSchedule[]> {
    if (ids.length === 0) return [];
    const rows: {
      id: string;
      name: string;
      active: boolean;
      monitored: boolean;
      structure_id: string;
      structure_name: string;
      service_code: string;
      service_name: string;
      kind: 'visit' | 'exam';
    }[] = await this.db.query(
      `SELECT sc.id, sc.name, sc.active, sc.monitored, st.id AS structure_id, st.name AS structure_name,
              sc.service_code, sv.name AS service_name, sv.kind
         FROM cup_schedules sc
         JOIN cup_structures st ON st.id = sc.structure_id
         JOIN cup_services sv ON sv.code = sc.service_code
        WHERE sc.id = ANY ($1::text[])
        ORDER BY sc.id`,
      [ids],
    );
    return rows.map((r) => ({
      scheduleId: r.id,
      name: r.name,
      active: r.active,
      monitored: r.monitored,
      structureId: r.structure_id,
      structureName: r.structure_name,
      serviceCode: r.service_code,
      serviceName: r.service_name,
      serviceKind: r.kind,
    }));
  }

  /** A structure with its organization, address and phone. */
  async structureDetail(id: string): Promise<LocalStructure | undefined> {
    const rows: LocalStructure[] = await this.db.query(
      'SELECT id, name, organization, city, address, phone FROM cup_structures WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  async listServices(): Promise<ServiceInfo[]> {
    return this.db.query(`SELECT code, name, kind FROM cup_services ORDER BY name`);
  }

  async getStructure(id: string): Promise<StructureInfo | undefined> {
    const rows: { id: string; name: string; city: string | null }[] = await this.db.query(
      'SELECT id, name, city FROM cup_structures WHERE id = $1',
      [id],
    );
    const r = rows[0];
    return r ? { id: r.id, name: r.name, city: r.city ?? undefined } : undefined;
  }
}
