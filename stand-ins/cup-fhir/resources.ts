import type * as fhir4 from 'fhir/r4.js';
import type {
  Appointment,
  Patient,
  ReminderEntry,
  ServiceInfo,
  SlotDetail,
  SlotOffer,
} from '../../adapters/cup/cup.js';
import {
  FHIR_EXTENSIONS,
  FHIR_SYSTEMS,
  SUBSETTED_TAG,
  priorityExtensions,
  serviceTypeOf,
  type CupIssueCode,
} from '../../adapters/cup/fhir-profile.js';
import type { BookingIdentifier, LocalSchedule, LocalStructure } from '../../adapters/cup/local-cup.js';

/**
 * The local CUP's rows as FHIR R4 resources (the server side of the profile in
 * adapters/cup/fhir-profile.ts), with no I/O.
 *
 * Ids: the local CUP's ids are not all valid FHIR ids (agenda ids contain `:`), so they are
 * written through {@link toFhirId} and read back with {@link fromFhirId}.
 */

export const FHIR_JSON = 'application/fhir+json';
export const JSON_PATCH = 'application/json-patch+json';

/** The server's local ids written through a reversible escape; see the module comment. */
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

const ref = (type: string, localId: string, display?: string): fhir4.Reference => ({
  reference: `${type}/${toFhirId(localId)}`,
  ...(display ? { display } : {}),
});

function serviceCategory(kind: 'visit' | 'exam'): fhir4.CodeableConcept[] {
  return [
    {
      coding: [{ system: FHIR_SYSTEMS.serviceKind, code: kind, display: kind === 'visit' ? 'Visita' : 'Esame' }],
    },
  ];
}

export function scheduleToFhir(s: LocalSchedule): fhir4.Schedule {
  return {
    resourceType: 'Schedule',
    id: toFhirId(s.scheduleId),
    extension: [{ url: FHIR_EXTENSIONS.monitored, valueBoolean: s.monitored }],
    active: s.active,
    serviceCategory: serviceCategory(s.serviceKind),
    serviceType: serviceTypeOf(s.serviceCode, s.serviceName),
    actor: [ref('Location', s.structureId, s.structureName)],
    comment: s.name,
  };
}

export function slotToFhir(s: SlotDetail): fhir4.Slot {
  return {
    resourceType: 'Slot',
    id: toFhirId(s.slotId),
    serviceCategory: serviceCategory(s.serviceKind),
    serviceType: serviceTypeOf(s.serviceCode),
    schedule: ref('Schedule', s.scheduleId),
    status: s.status,
    start: s.start,
    end: s.end,
  };
}

/** A free slot found by the earliest-slot search (its agenda comes as an included Schedule). */
export function slotOfferToFhir(o: SlotOffer): fhir4.Slot {
  return {
    resourceType: 'Slot',
    id: toFhirId(o.slotId),
    serviceType: serviceTypeOf(o.serviceCode),
    schedule: ref('Schedule', o.scheduleId),
    status: 'free',
    start: o.start,
    end: o.end,
  };
}

/** An appointment, with the identifiers it was booked with besides its booking code. */
export function appointmentToFhir(a: Appointment, identifiers: readonly BookingIdentifier[] = []): fhir4.Appointment {
  return {
    resourceType: 'Appointment',
    id: toFhirId(a.id),
    extension: [
      ...(a.replacesId ? [{ url: FHIR_EXTENSIONS.replaces, valueReference: ref('Appointment', a.replacesId) }] : []),
      ...priorityExtensions(a.priorityClass ?? undefined, a.beyondPriorityLimit),
    ],
    identifier: [{ system: FHIR_SYSTEMS.bookingCode, value: a.bookingCode }, ...identifiers],
    status: a.status,
    ...(a.cancellationReason !== null ? { cancelationReason: { text: a.cancellationReason } } : {}),
    serviceType: serviceTypeOf(a.serviceCode, a.serviceName),
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

export function patientToFhir(p: Patient): fhir4.Patient {
  return {
    resourceType: 'Patient',
    id: toFhirId(p.id),
    identifier: [{ system: FHIR_SYSTEMS.fiscalCode, value: p.fiscalCode }],
    name: [{ use: 'official', family: p.familyName, given: [p.givenName] }],
    telecom: p.mobile ? [{ system: 'phone', value: p.mobile, use: 'mobile' }] : [],
    birthDate: p.birthDate,
  };
}

export function locationToFhir(l: LocalStructure): fhir4.Location {
  return {
    resourceType: 'Location',
    id: toFhirId(l.id),
    status: 'active',
    name: l.name,
    ...(l.phone ? { telecom: [{ system: 'phone', value: l.phone }] } : {}),
    address: { text: l.address, city: l.city, country: 'IT' },
    managingOrganization: { display: l.organization },
  };
}

/** A service of the catalogue as a FHIR HealthcareService (its code in `type`, its kind in `category`). */
export function healthcareServiceToFhir(s: ServiceInfo): fhir4.HealthcareService {
  return {
    resourceType: 'HealthcareService',
    id: toFhirId(s.code),
    active: true,
    name: s.name,
    type: [{ coding: [{ system: FHIR_SYSTEMS.service, code: s.code, display: s.name }] }],
    category: [{ coding: [{ system: FHIR_SYSTEMS.serviceKind, code: s.kind }] }],
  };
}

/**
 * One line of the reminder extract: the appointment reduced to booking code, times and
 * patient reference (tagged SUBSETTED), so the extract carries no more than a reminder needs.
 */
export function reminderAppointmentToFhir(e: ReminderEntry & { end: string; patientId: string }): fhir4.Appointment {
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
export function reminderPatientToFhir(patientId: string, mobile: string | null): fhir4.Patient {
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
  matches: readonly fhir4.FhirResource[],
  includes: readonly fhir4.FhirResource[] = [],
  nextUrl?: string,
): fhir4.Bundle {
  const entry = (resource: fhir4.FhirResource, mode: 'match' | 'include'): fhir4.BundleEntry => ({
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

export function operationOutcome(issues: fhir4.OperationOutcomeIssue[]): fhir4.OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The issue of a refusal, with the CUP's own code so a client can tell the cases apart. */
export function cupIssue(
  code: 'conflict' | 'business-rule',
  cupCode: CupIssueCode,
  diagnostics: string,
): fhir4.OperationOutcomeIssue {
  return {
    severity: 'error',
    code,
    details: { coding: [{ system: FHIR_SYSTEMS.issue, code: cupCode }] },
    diagnostics,
  };
}

/** What this server serves (`GET /metadata`). */
export function capabilityStatement(baseUrl: string): fhir4.CapabilityStatement {
  const read = { code: 'read' } as const;
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-23',
    publisher: 'Regione Basilicata',
    kind: 'instance',
    software: { name: 'basilicata-contact-center' },
    implementation: { description: 'CUP locale del contact center della Regione Basilicata', url: baseUrl },
    fhirVersion: '4.0.1',
    format: [FHIR_JSON],
    patchFormat: [JSON_PATCH],
    rest: [
      {
        mode: 'server',
        resource: [
          {
            type: 'Slot',
            interaction: [read, { code: 'search-type' as const }],
            searchInclude: ['Slot:schedule'],
            searchParam: [
              { name: 'service-type', type: 'token', documentation: 'Codice della prestazione (obbligatorio).' },
              { name: 'status', type: 'token', documentation: 'Solo free.' },
              { name: 'start', type: 'date', documentation: 'Prefissi gt o ge.' },
              { name: 'schedule.actor', type: 'reference', documentation: 'Location/<struttura>.' },
              { name: '_count', type: 'number' },
              { name: '_sort', type: 'string', documentation: 'Solo start.' },
            ],
          },
          { type: 'Schedule', interaction: [read] },
          { type: 'Location', interaction: [read] },
          { type: 'Patient', interaction: [read] },
          {
            type: 'Appointment',
            interaction: [
              read,
              { code: 'create' as const },
              { code: 'patch' as const },
              { code: 'search-type' as const },
            ],
            conditionalCreate: true,
            searchParam: [
              { name: 'identifier', type: 'token', documentation: 'Identificativo: [system|]valore.' },
              { name: 'slot.schedule', type: 'reference', documentation: 'Schedule/<agenda> (con date e status).' },
              { name: 'status', type: 'token', documentation: 'slot.schedule: solo booked.' },
              { name: 'date', type: 'date', documentation: 'slot.schedule: inizio (ge/gt) e fine (lt/le).' },
              { name: '_query', type: 'string', documentation: 'recall-candidates oppure reminder-extract.' },
              { name: 'schedule', type: 'reference', documentation: 'recall-candidates: agenda.' },
              { name: 'from', type: 'date', documentation: 'recall-candidates, reminder-extract.' },
              { name: 'min-days-ahead', type: 'number', documentation: 'recall-candidates.' },
              { name: 'exclude', type: 'token', documentation: 'recall-candidates: id da escludere.' },
              { name: 'to', type: 'date', documentation: 'reminder-extract: fine (esclusa).' },
              { name: 'after-start', type: 'date', documentation: 'reminder-extract: cursore.' },
              { name: 'after-id', type: 'token', documentation: 'reminder-extract: cursore.' },
              { name: '_count', type: 'number' },
            ],
            operation: [
              {
                name: 'move',
                definition: 'https://regione.basilicata.it/fhir/OperationDefinition/Appointment-move',
                documentation: 'Sposta la prenotazione su un altro slot libero (parametri slot, reason, requestKey).',
              },
            ],
          },
        ],
      },
    ],
  };
}
