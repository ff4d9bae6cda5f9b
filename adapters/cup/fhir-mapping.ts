import { z } from 'zod';
import type {
  Appointment,
  AppointmentStatus,
  BookingRequest,
  MoveRequest,
  Patient,
  ReminderEntry,
  SlotDetail,
  SlotOffer,
} from './cup.js';

/**
 * Mapping between the `Cup` types and FHIR R4 JSON resources, both ways, with no I/O.
 *
 * The profile the project's FHIR endpoints serve and `FhirCup` expects:
 * - Schedule: one agenda; `actor` is `Location/<structure>` (display: its name), `serviceType`
 *   the service code in {@link FHIR_SYSTEMS.service}, `serviceCategory` visit/exam in
 *   {@link FHIR_SYSTEMS.serviceKind}, `monitored` as the extension {@link FHIR_EXTENSIONS.monitored}.
 * - Slot: `schedule`, `status`, `start`, `end`, the same `serviceType`/`serviceCategory`.
 * - Appointment: `identifier` booking code ({@link FHIR_SYSTEMS.bookingCode}), `slot`,
 *   `participant` Patient and Location, `serviceType`, the prescription NRE as `basedOn`
 *   a ServiceRequest identified in {@link FHIR_SYSTEMS.nre}, `cancelationReason.text`, and the
 *   rebooking link as the extension {@link FHIR_EXTENSIONS.replaces} (`valueReference`).
 * - Patient: fiscal code in `http://hl7.it/sid/codiceFiscale`, official name, birth date,
 *   mobile as `telecom` phone/mobile.
 *
 * Ids: the local CUP's ids are not all valid FHIR ids (agenda ids contain `:`), so the server
 * side writes them through {@link toFhirId} and reads them back with {@link fromFhirId}. A
 * client treats the FHIR ids it gets as opaque: they are the `Cup` ids of that server.
 */

export const FHIR_SYSTEMS = {
  fiscalCode: 'http://hl7.it/sid/codiceFiscale',
  nre: 'https://www.sanita.basilicata.it/fhir/nre',
  bookingCode: 'https://regione.basilicata.it/fhir/sid/booking-code',
  /** The caller's idempotency key of a booking (one key, one appointment). */
  requestKey: 'https://regione.basilicata.it/fhir/sid/request-key',
  service: 'https://regione.basilicata.it/fhir/CodeSystem/service-catalogue',
  serviceKind: 'https://regione.basilicata.it/fhir/CodeSystem/service-kind',
  /** Codes in `OperationOutcome.issue.details` telling the CUP's refusals apart. */
  issue: 'https://regione.basilicata.it/fhir/CodeSystem/cup-issue',
} as const;

export const FHIR_EXTENSIONS = {
  replaces: 'https://regione.basilicata.it/fhir/StructureDefinition/appointment-replaces',
  monitored: 'https://regione.basilicata.it/fhir/StructureDefinition/schedule-monitored',
  /** The prescription's priority class (U, B, D, P) as `valueCode`. */
  priorityClass: 'https://regione.basilicata.it/fhir/StructureDefinition/appointment-priority-class',
  /** True when the appointment is later than the priority class allows. */
  beyondPriorityLimit: 'https://regione.basilicata.it/fhir/StructureDefinition/appointment-beyond-priority-limit',
} as const;

/** Marks a resource that carries only some of its elements (FHIR's `_elements`/`_summary` tag). */
export const SUBSETTED_TAG = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** Why the CUP refused a change, in `OperationOutcome.issue.details.coding`. */
export type CupIssueCode = 'slot-unavailable' | 'appointment-state';

export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The server's local ids read and written through a reversible escape; see the module comment. */
export function toFhirId(localId: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(localId)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9-]/.test(c) ? c : `.${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The local id behind a FHIR id written by {@link toFhirId}; undefined when it is not one. */
export function fromFhirId(fhirId: string): string | undefined {
  if (fhirId === '' || !/^(?:[A-Za-z0-9-]|\.[0-9A-F]{2})*$/.test(fhirId)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < fhirId.length; i++) {
    if (fhirId[i] === '.') {
      bytes.push(parseInt(fhirId.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(fhirId.charCodeAt(i));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    return undefined;
  }
}

/** The id in a reference to `type`: relative (`Slot/1`), absolute, or versioned. */
export function referencedId(reference: string | undefined, type: string): string | undefined {
  if (!reference) return undefined;
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(reference);
  return m?.[1];
}

// ---------------------------------------------------------------------------------------
// FHIR resources as this module writes them.

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  type?: string;
  identifier?: Identifier;
  display?: string;
}
export interface Identifier {
  system?: string;
  value?: string;
}
export interface Extension {
  url: string;
  valueReference?: Reference;
  valueBoolean?: boolean;
  valueString?: string;
  valueCode?: string;
}
interface Meta {
  tag?: Coding[];
}

export interface FhirSchedule {
  resourceType: 'Schedule';
  id: string;
  extension?: Extension[];
  active: boolean;
  serviceCategory: CodeableConcept[];
  serviceType: CodeableConcept[];
  actor: Reference[];
  comment?: string;
}

export interface FhirSlot {
  resourceType: 'Slot';
  id: string;
  meta?: Meta;
  serviceCategory?: CodeableConcept[];
  serviceType: CodeableConcept[];
  schedule: Reference;
  status: 'free' | 'busy' | 'busy-unavailable' | 'busy-tentative' | 'entered-in-error';
  start: string;
  end: string;
}

export interface FhirAppointment {
  resourceType: 'Appointment';
  id?: string;
  meta?: Meta;
  extension?: Extension[];
  identifier?: Identifier[];
  status: string;
  cancelationReason?: CodeableConcept;
  serviceType?: CodeableConcept[];
  start?: string;
  end?: string;
  slot?: Reference[];
  basedOn?: Reference[];
  participant: { actor?: Reference; status: 'accepted' | 'declined' | 'tentative' | 'needs-action' }[];
}

export interface FhirPatient {
  resourceType: 'Patient';
  id: string;
  meta?: Meta;
  identifier?: Identifier[];
  name?: { use?: string; family?: string; given?: string[] }[];
  telecom: { system: string; value: string; use?: string }[];
  birthDate?: string;
}

export interface FhirLocation {
  resourceType: 'Location';
  id: string;
  status: 'active';
  name: string;
  telecom?: { system: string; value: string }[];
  address: { text: string; city: string; country: string };
  managingOrganization: { display: string };
}

export interface OperationOutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  details?: CodeableConcept;
  diagnostics: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: OperationOutcomeIssue[];
}

export interface FhirParameters {
  resourceType: 'Parameters';
  parameter: { name: string; valueReference?: Reference; valueString?: string }[];
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'searchset';
  link: { relation: string; url: string }[];
  entry: { fullUrl: string; resource: { resourceType: string; id?: string }; search: { mode: 'match' | 'include' } }[];
}

/** What the server knows of an agenda, beyond the `Cup` types (read with SQL). */
export interface ScheduleInfo {
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
// Cup types → FHIR (the server side: local ids go through toFhirId).

const ref = (type: string, localId: string, display?: string): Reference => ({
  reference: `${type}/${toFhirId(localId)}`,
  ...(display ? { display } : {}),
});

function serviceType(code: string, display?: string): CodeableConcept[] {
  return [{ coding: [{ system: FHIR_SYSTEMS.service, code, ...(display ? { display } : {}) }] }];
}

function serviceCategory(kind: 'visit' | 'exam'): CodeableConcept[] {
  return [
    {
      coding: [{ system: FHIR_SYSTEMS.serviceKind, code: kind, display: kind === 'visit' ? 'Visita' : 'Esame' }],
    },
  ];
}

export function scheduleToFhir(s: ScheduleInfo): FhirSchedule {
  return {
    resourceType: 'Schedule',
    id: toFhirId(s.scheduleId),
    extension: [{ url: FHIR_EXTENSIONS.monitored, valueBoolean: s.monitored }],
    active: s.active,
    serviceCategory: serviceCategory(s.serviceKind),
    serviceType: serviceType(s.serviceCode, s.serviceName),
    actor: [ref('Location', s.structureId, s.structureName)],
    comment: s.name,
  };
}

export function slotToFhir(s: SlotDetail): FhirSlot {
  return {
    resourceType: 'Slot',
    id: toFhirId(s.slotId),
    serviceCategory: serviceCategory(s.serviceKind),
    serviceType: serviceType(s.serviceCode),
    schedule: ref('Schedule', s.scheduleId),
    status: s.status,
    start: s.start,
    end: s.end,
  };
}

/** A free slot found by the earliest-slot search (its agenda comes as an included Schedule). */
export function slotOfferToFhir(o: SlotOffer): FhirSlot {
  return {
    resourceType: 'Slot',
    id: toFhirId(o.slotId),
    serviceType: serviceType(o.serviceCode),
    schedule: ref('Schedule', o.scheduleId),
    status: 'free',
    start: o.start,
    end: o.end,
  };
}

export function appointmentToFhir(a: Appointment): FhirAppointment {
  return {
    resourceType: 'Appointment',
    id: toFhirId(a.id),
    extension: [
      ...(a.replacesId ? [{ url: FHIR_EXTENSIONS.replaces, valueReference: ref('Appointment', a.replacesId) }] : []),
      ...priorityExtensions(a.priorityClass ?? undefined, a.beyondPriorityLimit),
    ],
    identifier: [{ system: FHIR_SYSTEMS.bookingCode, value: a.bookingCode }],
    status: a.status,
    ...(a.cancellationReason !== null ? { cancelationReason: { text: a.cancellationReason } } : {}),
    serviceType: serviceType(a.serviceCode, a.serviceName),
    start: a.start,
    end: a.end,
    slot: [ref('Slot', a.slotId)],
    ...(a.prescriptionNre !== null
      ? { basedOn: [{ type: 'ServiceRequest', identifier: { system: FHIR_SYSTEMS.nre, value: a.prescriptionNre } }] }
      : {}),
    participant: [
      { actor: ref('Patient', a.patientId), status: 'accepted' },
      { actor: ref('Location', a.structureId, a.structureName), status: 'accepted' },
    ],
  };
}

export function patientToFhir(p: Patient): FhirPatient {
  return {
    resourceType: 'Patient',
    id: toFhirId(p.id),
    identifier: [{ system: FHIR_SYSTEMS.fiscalCode, value: p.fiscalCode }],
    name: [{ use: 'official', family: p.familyName, given: [p.givenName] }],
    telecom: p.mobile ? [{ system: 'phone', value: p.mobile, use: 'mobile' }] : [],
    birthDate: p.birthDate,
  };
}

export function locationToFhir(l: LocationInfo): FhirLocation {
  return {
    resourceType: 'Location',
    id: toFhirId(l.structureId),
    status: 'active',
    name: l.name,
    ...(l.phone ? { telecom: [{ system: 'phone', value: l.phone }] } : {}),
    address: { text: l.address, city: l.city ?? '', country: 'IT' },
    managingOrganization: { display: l.organization ?? '' },
  };
}

/**
 * One line of the reminder extract: the appointment reduced to booking code, times and
 * patient reference (tagged SUBSETTED), so the extract carries no more than a reminder needs.
 */
export function reminderAppointmentToFhir(e: ReminderEntry & { end: string; patientId: string }): FhirAppointment {
  return {
    resourceType: 'Appointment',
    id: toFhirId(e.appointmentId),
    meta: { tag: [SUBSETTED_TAG] },
    identifier: [{ system: FHIR_SYSTEMS.bookingCode, value: e.bookingCode }],
    status: 'booked',
    start: e.start,
    end: e.end,
    participant: [{ actor: ref('Patient', e.patientId), status: 'accepted' }],
  };
}

/** The patient of a reminder line, reduced to the mobile number (tagged SUBSETTED). */
export function reminderPatientToFhir(patientId: string, mobile: string | null): FhirPatient {
  return {
    resourceType: 'Patient',
    id: toFhirId(patientId),
    meta: { tag: [SUBSETTED_TAG] },
    telecom: mobile ? [{ system: 'phone', value: mobile, use: 'mobile' }] : [],
  };
}

export function searchsetBundle(
  baseUrl: string,
  selfUrl: string,
  matches: readonly { resourceType: string; id?: string }[],
  includes: readonly { resourceType: string; id?: string }[] = [],
  nextUrl?: string,
): FhirBundle {
  const entry = (resource: { resourceType: string; id?: string }, mode: 'match' | 'include') => ({
    fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id ?? ''}`,
    resource,
    search: { mode },
  });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'self', url: selfUrl }, ...(nextUrl ? [{ relation: 'next', url: nextUrl }] : [])],
    entry: [...matches.map((r) => entry(r, 'match')), ...includes.map((r) => entry(r, 'include'))],
  };
}

export function operationOutcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The issue of a refusal, with the CUP's own code so a client can tell the cases apart. */
export function cupIssue(code: 'conflict' | 'business-rule', cupCode: CupIssueCode, diagnostics: string) {
  return {
    severity: 'error',
    code,
    details: { coding: [{ system: FHIR_SYSTEMS.issue, code: cupCode }] },
    diagnostics,
  } satisfies OperationOutcomeIssue;
}

// ---------------------------------------------------------------------------------------
// Requests a client sends (FhirCup → server).

/** A booking as `POST /Appointment`: the request key travels as an identifier. */
/** The priority class and its limit flag as Appointment extensions. */
function priorityExtensions(priorityClass: string | undefined, beyond: boolean | undefined): Extension[] {
  return [
    ...(priorityClass ? [{ url: FHIR_EXTENSIONS.priorityClass, valueCode: priorityClass }] : []),
    ...(beyond ? [{ url: FHIR_EXTENSIONS.beyondPriorityLimit, valueBoolean: true }] : []),
  ];
}

/** Reads the priority extensions back (see {@link priorityExtensions}). */
export function priorityFromExtensions(
  ext: readonly { url: string; valueCode?: string | undefined; valueBoolean?: boolean | undefined }[] = [],
): { priorityClass: 'U' | 'B' | 'D' | 'P' | null; beyondPriorityLimit: boolean } {
  const code = ext.find((e) => e.url === FHIR_EXTENSIONS.priorityClass)?.valueCode;
  return {
    priorityClass: code === 'U' || code === 'B' || code === 'D' || code === 'P' ? code : null,
    beyondPriorityLimit: ext.find((e) => e.url === FHIR_EXTENSIONS.beyondPriorityLimit)?.valueBoolean === true,
  };
}

export function bookingToFhir(req: BookingRequest): FhirAppointment {
  return {
    resourceType: 'Appointment',
    extension: priorityExtensions(req.priorityClass, req.beyondPriorityLimit),
    identifier: [{ system: FHIR_SYSTEMS.requestKey, value: req.requestKey }],
    status: 'booked',
    serviceType: serviceType(req.serviceCode),
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
export function moveParameters(req: MoveRequest): FhirParameters {
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

/** A service of the catalogue as a FHIR HealthcareService (its code in `type`, its kind in `category`). */
export function healthcareServiceToFhir(s: { code: string; name: string; kind: string }) {
  return {
    resourceType: 'HealthcareService' as const,
    id: toFhirId(s.code),
    active: true,
    name: s.name,
    type: [{ coding: [{ system: FHIR_SYSTEMS.service, code: s.code, display: s.name }] }],
    category: [{ coding: [{ system: FHIR_SYSTEMS.serviceKind, code: s.kind }] }],
  };
}

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
export function serviceFromFhir(h: z.infer<typeof healthcareServiceSchema>): {
  code: string;
  name: string;
  kind: string;
} {
  const coding = h.type.flatMap((t) => t.coding).find((c) => c.system === FHIR_SYSTEMS.service) ?? h.type[0]?.coding[0];
  const code = must(coding?.code, `il servizio ${h.id} non indica il codice di prestazione`);
  const kind =
    h.category?.flatMap((c) => c.coding).find((c) => c.system === FHIR_SYSTEMS.serviceKind)?.code ?? 'visita';
  return { code, name: h.name ?? coding?.display ?? code, kind };
}
