import type * as fhir4 from 'fhir/r4.js';
import { z } from 'zod';
import type {
  Appointment,
  AppointmentStatus,
  BookingRequest,
  MoveRequest,
  Patient,
  ReminderEntry,
  ServiceInfo,
  SlotDetail,
  SlotOffer,
} from './cup.js';
import {
  FHIR_EXTENSIONS,
  FHIR_ID,
  FHIR_SYSTEMS,
  priorityExtensions,
  priorityFromExtensions,
  referencedId,
  serviceTypeOf,
} from './fhir-profile.js';

/**
 * The client side of the CUP's FHIR R4 profile (adapters/cup/fhir-profile.ts), for `FhirCup`,
 * with no I/O: the requests it sends, and the resources a CUP answers with, checked against
 * the profile and read into the `Cup` types.
 */

/** A structure: the name and address a booking confirmation tells the patient. */
export interface LocationInfo {
  structureId: string;
  name: string;
  address: string;
  city?: string | undefined;
  organization?: string | undefined;
  phone?: string | null | undefined;
}

// ---------------------------------------------------------------------------------------
// Requests a client sends (FhirCup → server).

/** A booking as `POST /Appointment`: the request key travels as an identifier. */
export function bookingToFhir(req: BookingRequest): fhir4.Appointment {
  return {
    resourceType: 'Appointment',
    extension: priorityExtensions(req.priorityClass, req.beyondPriorityLimit),
    identifier: [{ system: FHIR_SYSTEMS.requestKey, value: req.requestKey }],
    status: 'booked',
    serviceType: serviceTypeOf(req.serviceCode),
    slot: [{ reference: `Slot/${req.slotId}` }],
    ...(req.prescriptionNre
      ? { basedOn: [{ type: 'ServiceRequest', identifier: { system: FHIR_SYSTEMS.nre, value: req.prescriptionNre } }] }
      : {}),
    participant: [{ actor: { reference: `Patient/${req.patientId}` }, status: 'accepted' }],
  };
}

/** A cancellation as a JSON Patch of the appointment (`PATCH /Appointment/<id>`). */
export function cancellationPatch(reason: string): { op: 'replace' | 'add'; path: string; value: unknown }[] {
  return [
    { op: 'replace', path: '/status', value: 'cancelled' },
    { op: 'add', path: '/cancelationReason', value: { text: reason } },
  ];
}

/** The input of `POST /Appointment/<id>/$move`. */
export function moveParameters(req: MoveRequest): fhir4.Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'slot', valueReference: { reference: `Slot/${req.slotId}` } },
      { name: 'reason', valueString: req.reason },
      { name: 'requestKey', valueString: req.requestKey },
    ],
  };
}

// ---------------------------------------------------------------------------------------
// FHIR → Cup types (the client side): what a server answers is checked before it is read.

/** A server answered with something that is not the FHIR resource the profile describes. */
export class InvalidFhirResourceError extends Error {
  override name = 'InvalidFhirResourceError';
}

const coding = z.object({ system: z.string().optional(), code: z.string().optional(), display: z.string().optional() });
const codeableConcept = z.object({ coding: z.array(coding).optional(), text: z.string().optional() });
const identifier = z.object({ system: z.string().optional(), value: z.string().optional() });
const reference = z.object({
  reference: z.string().optional(),
  type: z.string().optional(),
  identifier: identifier.optional(),
  display: z.string().optional(),
});
const extension = z.object({
  url: z.string(),
  valueReference: reference.optional(),
  valueBoolean: z.boolean().optional(),
  valueCode: z.string().optional(),
});
const instant = z.iso.datetime({ offset: true });

/** Instants as LocalCup gives them (UTC, milliseconds), whatever offset the server wrote. */
const utc = (instant: string): string => new Date(instant).toISOString();

export const scheduleSchema = z.object({
  resourceType: z.literal('Schedule'),
  id: z.string().regex(FHIR_ID),
  extension: z.array(extension).optional(),
  serviceCategory: z.array(codeableConcept).optional(),
  serviceType: z.array(codeableConcept).optional(),
  actor: z.array(reference).min(1),
});

export const slotSchema = z.object({
  resourceType: z.literal('Slot'),
  id: z.string().regex(FHIR_ID),
  serviceCategory: z.array(codeableConcept).optional(),
  serviceType: z.array(codeableConcept).optional(),
  schedule: reference,
  status: z.enum(['free', 'busy', 'busy-unavailable', 'busy-tentative', 'entered-in-error']),
  start: instant,
  end: instant,
});

export const appointmentSchema = z.object({
  resourceType: z.literal('Appointment'),
  id: z.string().regex(FHIR_ID),
  extension: z.array(extension).optional(),
  identifier: z.array(identifier).optional(),
  status: z.string(),
  cancelationReason: codeableConcept.optional(),
  serviceType: z.array(codeableConcept).optional(),
  start: instant,
  end: instant,
  slot: z.array(reference).min(1),
  basedOn: z.array(reference).optional(),
  participant: z.array(z.object({ actor: reference.optional() })).min(1),
});

export const patientSchema = z.object({
  resourceType: z.literal('Patient'),
  id: z.string().regex(FHIR_ID),
  identifier: z.array(identifier).optional(),
  name: z
    .array(
      z.object({ use: z.string().optional(), family: z.string().optional(), given: z.array(z.string()).optional() }),
    )
    .optional(),
  telecom: z
    .array(z.object({ system: z.string().optional(), value: z.string().optional(), use: z.string().optional() }))
    .optional(),
  birthDate: z.string().optional(),
});

export const locationSchema = z.object({
  resourceType: z.literal('Location'),
  id: z.string().regex(FHIR_ID),
  name: z.string(),
  address: z
    .object({ text: z.string().optional(), line: z.array(z.string()).optional(), city: z.string().optional() })
    .optional(),
  managingOrganization: reference.optional(),
  telecom: z.array(z.object({ system: z.string().optional(), value: z.string().optional() })).optional(),
});

export const bundleSchema = z.object({
  resourceType: z.literal('Bundle'),
  type: z.literal('searchset'),
  link: z.array(z.object({ relation: z.string(), url: z.string() })).optional(),
  entry: z
    .array(
      z.object({
        resource: z.looseObject({ resourceType: z.string(), id: z.string().optional() }),
        search: z.object({ mode: z.enum(['match', 'include', 'outcome']).optional() }).optional(),
      }),
    )
    .optional(),
});

export const operationOutcomeSchema = z.object({
  resourceType: z.literal('OperationOutcome'),
  issue: z
    .array(
      z.object({
        code: z.string(),
        diagnostics: z.string().optional(),
        details: codeableConcept.optional(),
      }),
    )
    .min(1),
});

export type ParsedSchedule = z.infer<typeof scheduleSchema>;
export type ParsedSlot = z.infer<typeof slotSchema>;
export type ParsedAppointment = z.infer<typeof appointmentSchema>;
export type ParsedPatient = z.infer<typeof patientSchema>;
export type ParsedLocation = z.infer<typeof locationSchema>;
export type ParsedBundle = z.infer<typeof bundleSchema>;

/** Checks a server's answer against a schema; a mismatch names the first offending element. */
export function parseFhir<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new InvalidFhirResourceError(
      `risposta FHIR non valida (${what}): ${first ? `${first.path.join('.') || 'risorsa'}: ${first.message}` : 'formato inatteso'}`,
    );
  }
  return r.data;
}

/** The resources of a searchset: the matches, and the included ones by `Type/id`. */
export function bundleResources(bundle: ParsedBundle, matchType: string) {
  const matches: unknown[] = [];
  const included = new Map<string, unknown>();
  for (const e of bundle.entry ?? []) {
    const mode = e.search?.mode ?? (e.resource.resourceType === matchType ? 'match' : 'include');
    if (mode === 'match' && e.resource.resourceType === matchType) matches.push(e.resource);
    else if (mode !== 'outcome' && e.resource.id)
      included.set(`${e.resource.resourceType}/${e.resource.id}`, e.resource);
  }
  return { matches, included };
}

type ParsedConcept = z.infer<typeof codeableConcept>;

/** The coding in `system` among concepts; else one without a system, else the first one. */
function codeIn(concepts: ParsedConcept[] | undefined, system: string) {
  const codings = (concepts ?? []).flatMap((c) => c.coding ?? []).filter((c) => c.code);
  return codings.find((c) => c.system === system) ?? codings.find((c) => c.system === undefined) ?? codings[0];
}

function must<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new InvalidFhirResourceError(`risposta FHIR non valida: ${message}`);
  return value;
}

/** The structure (Location) an agenda belongs to. */
export function scheduleLocation(s: ParsedSchedule): { structureId: string; display: string | undefined } {
  const actor = s.actor.find((a) => referencedId(a.reference, 'Location'));
  return {
    structureId: must(referencedId(actor?.reference, 'Location'), `l'agenda ${s.id} non indica la struttura`),
    display: actor?.display,
  };
}

export function locationFromFhir(l: ParsedLocation): LocationInfo {
  const address = l.address?.text ?? [...(l.address?.line ?? []), l.address?.city].filter(Boolean).join(', ');
  return {
    structureId: l.id,
    name: l.name,
    address,
    city: l.address?.city,
    organization: l.managingOrganization?.display,
    phone: l.telecom?.find((t) => t.system === 'phone')?.value ?? null,
  };
}

const STATUS_OF: Record<string, AppointmentStatus | undefined> = {
  booked: 'booked',
  // Still an active booking: the patient is at the desk.
  arrived: 'booked',
  'checked-in': 'booked',
  fulfilled: 'fulfilled',
  noshow: 'noshow',
  cancelled: 'cancelled',
  'entered-in-error': 'cancelled',
};

/** The structure of an appointment, from its Location participant. */
export function appointmentLocationId(a: ParsedAppointment): string {
  const id = a.participant.map((p) => referencedId(p.actor?.reference, 'Location')).find(Boolean);
  return must(id, `la prenotazione ${a.id} non indica la struttura`);
}

export function appointmentFromFhir(a: ParsedAppointment, location: LocationInfo): Appointment {
  const service = codeIn(a.serviceType, FHIR_SYSTEMS.service);
  const replaces = a.extension?.find((e) => e.url === FHIR_EXTENSIONS.replaces);
  const nre = a.basedOn?.map((b) => b.identifier).find((i) => i?.system === FHIR_SYSTEMS.nre)?.value;
  const bookingCode =
    a.identifier?.find((i) => i.system === FHIR_SYSTEMS.bookingCode)?.value ??
    a.identifier?.find((i) => i.system !== FHIR_SYSTEMS.requestKey)?.value;
  return {
    id: a.id,
    bookingCode: must(bookingCode, `la prenotazione ${a.id} non ha codice`),
    status: must(STATUS_OF[a.status], `stato ${a.status} della prenotazione ${a.id} non gestito`),
    slotId: must(
      a.slot.map((s) => referencedId(s.reference, 'Slot')).find(Boolean),
      `la prenotazione ${a.id} non indica lo slot`,
    ),
    start: utc(a.start),
    end: utc(a.end),
    structureId: location.structureId,
    structureName: location.name,
    structureAddress: location.address,
    serviceCode: must(service?.code, `la prenotazione ${a.id} non indica la prestazione`),
    serviceName: service?.display ?? service?.code ?? '',
    patientId: must(
      a.participant.map((p) => referencedId(p.actor?.reference, 'Patient')).find(Boolean),
      `la prenotazione ${a.id} non indica il paziente`,
    ),
    prescriptionNre: nre ?? null,
    cancellationReason: a.cancelationReason?.text ?? a.cancelationReason?.coding?.[0]?.display ?? null,
    replacesId: replaces
      ? must(referencedId(replaces.valueReference?.reference, 'Appointment'), 'estensione replaces senza riferimento')
      : null,
    ...priorityFromExtensions(a.extension),
  };
}

function mobileOf(p: ParsedPatient): string | null {
  const phones = (p.telecom ?? []).filter((t) => (t.system === 'phone' || t.system === 'sms') && t.value);
  return (phones.find((t) => t.use === 'mobile') ?? phones.find((t) => t.system === 'sms'))?.value ?? null;
}

export function patientFromFhir(p: ParsedPatient): Patient {
  const name = p.name?.find((n) => n.use === 'official') ?? p.name?.[0];
  return {
    id: p.id,
    fiscalCode: must(
      p.identifier?.find((i) => i.system === FHIR_SYSTEMS.fiscalCode)?.value,
      `il paziente ${p.id} non ha codice fiscale`,
    ),
    givenName: (name?.given ?? []).join(' '),
    familyName: name?.family ?? '',
    birthDate: must(p.birthDate, `il paziente ${p.id} non ha data di nascita`),
    mobile: mobileOf(p),
  };
}

const SLOT_STATUS_OF: Record<ParsedSlot['status'], SlotDetail['status']> = {
  free: 'free',
  busy: 'busy',
  'busy-tentative': 'busy',
  'busy-unavailable': 'busy-unavailable',
  'entered-in-error': 'busy-unavailable',
};

export function slotDetailFromFhir(slot: ParsedSlot, schedule: ParsedSchedule): SlotDetail {
  const kind = (slot.serviceCategory ?? schedule.serviceCategory ?? [])
    .flatMap((c) => c.coding ?? [])
    .find((c) => c.system === FHIR_SYSTEMS.serviceKind)?.code;
  const service = codeIn(slot.serviceType ?? schedule.serviceType, FHIR_SYSTEMS.service);
  return {
    slotId: slot.id,
    scheduleId: schedule.id,
    start: utc(slot.start),
    end: utc(slot.end),
    status: SLOT_STATUS_OF[slot.status],
    structureId: scheduleLocation(schedule).structureId,
    serviceCode: must(service?.code, `lo slot ${slot.id} non indica la prestazione`),
    serviceKind: must(
      kind === 'visit' || kind === 'exam' ? kind : undefined,
      `lo slot ${slot.id} non indica se visita o esame`,
    ),
    monitored: schedule.extension?.find((e) => e.url === FHIR_EXTENSIONS.monitored)?.valueBoolean ?? false,
  };
}

/** A free slot of a search, with its included agenda and the structure's name. */
export function slotOfferFromFhir(slot: ParsedSlot, schedule: ParsedSchedule, structureName: string): SlotOffer {
  const service = codeIn(slot.serviceType ?? schedule.serviceType, FHIR_SYSTEMS.service);
  return {
    slotId: slot.id,
    scheduleId: schedule.id,
    start: utc(slot.start),
    end: utc(slot.end),
    structureId: scheduleLocation(schedule).structureId,
    structureName,
    serviceCode: must(service?.code, `lo slot ${slot.id} non indica la prestazione`),
  };
}

/** A line of the reminder extract carries only these elements (SUBSETTED). */
const reminderAppointmentSchema = appointmentSchema.pick({
  resourceType: true,
  id: true,
  identifier: true,
  start: true,
  participant: true,
});

/** The reminder extract: each matched appointment with the mobile of its included patient. */
export function reminderEntriesFromBundle(bundle: ParsedBundle): ReminderEntry[] {
  const { matches, included } = bundleResources(bundle, 'Appointment');
  return matches.map((m) => {
    const a = parseFhir(reminderAppointmentSchema, m, 'Appointment');
    const patientRef = a.participant.map((p) => referencedId(p.actor?.reference, 'Patient')).find(Boolean);
    const patient = included.get(`Patient/${must(patientRef, `la prenotazione ${a.id} non indica il paziente`)}`);
    return {
      appointmentId: a.id,
      bookingCode: must(
        a.identifier?.find((i) => i.system === FHIR_SYSTEMS.bookingCode)?.value,
        `la prenotazione ${a.id} non ha codice`,
      ),
      start: utc(a.start),
      mobile: mobileOf(
        parseFhir(patientSchema, must(patient, `paziente della prenotazione ${a.id} non incluso`), 'Patient'),
      ),
    };
  });
}

/** A service of the catalogue as a HealthcareService: its code in `type`, its kind in `category`. */
export const healthcareServiceSchema = z.object({
  resourceType: z.literal('HealthcareService'),
  id: z.string().regex(FHIR_ID),
  name: z.string().optional(),
  type: z
    .array(
      z.object({
        coding: z.array(z.object({ system: z.string().optional(), code: z.string(), display: z.string().optional() })),
      }),
    )
    .min(1),
  category: z
    .array(z.object({ coding: z.array(z.object({ system: z.string().optional(), code: z.string() })) }))
    .optional(),
});

/** The catalogue entry of a HealthcareService: the coding of the platform's catalogue system. */
export function serviceFromFhir(h: z.infer<typeof healthcareServiceSchema>): ServiceInfo {
  const coding = h.type.flatMap((t) => t.coding).find((c) => c.system === FHIR_SYSTEMS.service) ?? h.type[0]?.coding[0];
  const code = must(coding?.code, `il servizio ${h.id} non indica il codice di prestazione`);
  const kind =
    h.category?.flatMap((c) => c.coding).find((c) => c.system === FHIR_SYSTEMS.serviceKind)?.code ?? 'visita';
  return { code, name: h.name ?? coding?.display ?? code, kind };
}
