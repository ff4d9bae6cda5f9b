import { randomInt, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { returning } from '../../platform/database/query.js';
import {
  SlotUnavailableError,
  type Appointment,
  type BookingRequest,
  type Cup,
  type Patient,
  type SlotOffer,
  type SlotQuery,
} from './cup.js';

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
}

const APPOINTMENT_SELECT = `
  SELECT a.id, a.booking_code, a.status, a.slot_id::text AS slot_id, s.starts_at, s.ends_at,
         st.id AS structure_id, st.name AS structure_name, st.address AS structure_address,
         a.service_code, sv.name AS service_name, a.patient_id, a.prescription_nre,
         a.cancellation_reason, a.replaces_id
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
  };
}

/** The CUP of the embedded default: agendas, slots and bookings in PostgreSQL. */
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
        `INSERT INTO cup_appointments (id, booking_code, slot_id, patient_id, service_code, prescription_nre, request_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          newId,
          newBookingCode(),
          req.slotId,
          req.patientId,
          req.serviceCode,
          req.prescriptionNre ?? null,
          req.requestKey,
        ],
      );
      return newId;
    });
    if (id === undefined) {
      // A concurrent delivery of the same request may have won the slot for us.
      const same: { id: string }[] = await this.db.query('SELECT id FROM cup_appointments WHERE request_key = $1', [
        req.requestKey,
      ]);
      if (!same[0])
        throw new SlotUnavailableError(`lo slot ${req.slotId} non è libero per la prestazione ${req.serviceCode}`);
      return this.mustGet(same[0].id);
    }
    return this.mustGet(id);
  }

  async getAppointment(id: string): Promise<Appointment | undefined> {
    const rows: AppointmentRow[] = await this.db.query(`${APPOINTMENT_SELECT} WHERE a.id = $1`, [id]);
    return rows[0] ? toAppointment(rows[0]) : undefined;
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

  private async mustGet(id: string): Promise<Appointment> {
    const a = await this.getAppointment(id);
    if (!a) throw new Error(`appointment ${id} vanished after booking`);
    return a;
  }
}
