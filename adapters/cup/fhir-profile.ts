import type * as fhir4 from 'fhir/r4.js';

/**
 * The FHIR R4 profile of the CUP, shared by the client (`FhirCup`, which reads a CUP's
 * resources: fhir-cup-mapping.ts) and the local CUP's FHIR stand-in (which writes them:
 * stand-ins/cup-fhir/). Resource types are `@types/fhir`'s `fhir4`.
 *
 * - Schedule: one agenda; `actor` is `Location/<structure>` (display: its name), `serviceType`
 *   the service code in {@link FHIR_SYSTEMS.service}, `serviceCategory` visit/exam in
 *   {@link FHIR_SYSTEMS.serviceKind}, `monitored` as the extension {@link FHIR_EXTENSIONS.monitored}.
 * - Slot: `schedule`, `status`, `start`, `end`, the same `serviceType`/`serviceCategory`.
 * - Appointment: `identifier` booking code ({@link FHIR_SYSTEMS.bookingCode}) and the caller's
 *   request key ({@link FHIR_SYSTEMS.requestKey}: what a booking's conditional create,
 *   `If-None-Exist`, matches), `slot`, `participant` Patient and Location,
 *   `serviceType`, the prescription NRE as `basedOn` a ServiceRequest identified in
 *   {@link FHIR_SYSTEMS.nre}, `cancelationReason.text`, the rebooking link as the extension
 *   {@link FHIR_EXTENSIONS.replaces} (`valueReference`), the priority class and its limit flag
 *   as extensions.
 * - Patient: fiscal code in `http://hl7.it/sid/codiceFiscale`, official name, birth date,
 *   mobile as `telecom` phone/mobile.
 * - HealthcareService: a service of the catalogue, its code in `type`, its kind in `category`.
 *
 * A client treats the FHIR ids it gets as opaque: they are the `Cup` ids of that server.
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

/** The id in a reference to `type`: relative (`Slot/1`), absolute, or versioned. */
export function referencedId(reference: string | undefined, type: string): string | undefined {
  if (!reference) return undefined;
  const m = new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/]+)?$`).exec(reference);
  return m?.[1];
}

/** A service code as `serviceType` (Slot, Schedule, Appointment). */
export function serviceTypeOf(code: string, display?: string): fhir4.CodeableConcept[] {
  return [{ coding: [{ system: FHIR_SYSTEMS.service, code, ...(display ? { display } : {}) }] }];
}

/** The priority class and its limit flag as Appointment extensions. */
export function priorityExtensions(priorityClass: string | undefined, beyond: boolean | undefined): fhir4.Extension[] {
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
