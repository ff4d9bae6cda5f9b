import {
  AppointmentStateError,
  PatientNotFoundError,
  CupUnavailableError,
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
import { FHIR_ID, FHIR_SYSTEMS, referencedId, type CupIssueCode } from './fhir-profile.js';
import {
  InvalidFhirResourceError,
  appointmentFromFhir,
  appointmentLocationId,
  appointmentSchema,
  bookingToFhir,
  bundleResources,
  bundleSchema,
  cancellationPatch,
  healthcareServiceSchema,
  locationFromFhir,
  locationSchema,
  moveParameters,
  operationOutcomeSchema,
  parseFhir,
  patientFromFhir,
  patientSchema,
  reminderEntriesFromBundle,
  scheduleLocation,
  scheduleSchema,
  serviceFromFhir,
  slotDetailFromFhir,
  slotOfferFromFhir,
  slotSchema,
  type LocationInfo,
  type ParsedAppointment,
} from './fhir-cup-mapping.js';

export interface FhirCupOptions {
  /** The FHIR R4 base, e.g. `https://cup.example.it/fhir` (no trailing slash needed). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  bearerToken?: string | undefined;
  /** Per request, connection and body included. */
  timeoutMs?: number | undefined;
  /** How long a structure's name and address are reused before being read again. */
  locationTtlMs?: number | undefined;
  /** `_count` of searches that page (an agenda's bookings): entries per page. */
  pageSize?: number | undefined;
}

/** A FHIR server refused a request the profile allows, or answered a status it should not. */
export class FhirRequestError extends Error {
  override name = 'FhirRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface FhirAnswer {
  status: number;
  body: unknown;
  location: string | null;
  diagnostics: string | undefined;
  cupCode: CupIssueCode | undefined;
}

const FHIR_JSON = 'application/fhir+json';

/** Pages of one search followed at most (a loop of `next` links ends there). */
const MAX_PAGES = 1000;

/** A token search value with FHIR's escapes: `\`, `|`, `,` and `$` in a value are preceded by `\`. */
const escapeToken = (value: string) => value.replace(/[\\|,$]/g, (c) => `\\${c}`);

/** `identifier=<request-key system>|<key>`: the search that finds the booking a request key made. */
/** Whether an Appointment carries this request key among its identifiers (whether we made it). */
const madeBy = (
  a: { identifier?: { system?: string | undefined; value?: string | undefined }[] | undefined },
  key: string,
) => a.identifier?.some((i) => i.system === FHIR_SYSTEMS.requestKey && i.value === key) === true;

const requestKeySearch = (requestKey: string) =>
  new URLSearchParams({ identifier: `${FHIR_SYSTEMS.requestKey}|${escapeToken(requestKey)}` });

/**
 * The CUP reached over FHIR R4, in the profile of fhir-profile.ts (which the local CUP's
 * stand-in, stand-ins/cup-fhir/, serves); fhir-cup-mapping.ts reads and writes the resources. Network failures, timeouts, 5xx, 408 and 429 are
 * `CupUnavailableError` (worth retrying); a taken slot is `SlotUnavailableError`; a booking that
 * does not exist or cannot change is `AppointmentStateError`; an answer that is not the
 * expected resource is `InvalidFhirResourceError`; any other refusal `FhirRequestError`.
 *
 * Appointments name their structure by reference only, so its address is read from
 * `Location/<id>` and kept for `locationTtlMs`: there are a handful of structures and they
 * rarely move.
 */
export class FhirCup implements Cup {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly locationTtlMs: number;
  private readonly pageSize: number;
  private readonly locations = new Map<string, { at: number; value: Promise<LocationInfo> }>();

  constructor(private readonly options: FhirCupOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.locationTtlMs = options.locationTtlMs ?? 10 * 60_000;
    this.pageSize = options.pageSize ?? 100;
  }

  async findEarliestSlots(q: SlotQuery): Promise<SlotOffer[]> {
    const params = new URLSearchParams({
      'service-type': `${FHIR_SYSTEMS.service}|${q.serviceCode}`,
      status: 'free',
      _sort: 'start',
      _include: 'Slot:schedule',
    });
    // The Cup searches strictly after the time, hence gt.
    if (q.after) params.set('start', `gt${q.after.toISOString()}`);
    if (q.structureId) params.set('schedule.actor', `Location/${q.structureId}`);
    if (q.limit !== undefined) params.set('_count', String(q.limit));
    const bundle = parseFhir(bundleSchema, await this.searchOk('Slot', params), 'Bundle di Slot');
    const { matches, included } = bundleResources(bundle, 'Slot');
    const pairs = matches.map((m) => {
      const slot = parseFhir(slotSchema, m, 'Slot');
      const scheduleRef = `Schedule/${referencedId(slot.schedule.reference, 'Schedule') ?? ''}`;
      const schedule = included.get(scheduleRef);
      if (!schedule) throw new InvalidFhirResourceError(`risposta FHIR non valida: ${scheduleRef} non incluso`);
      return { slot, schedule: parseFhir(scheduleSchema, schedule, 'Schedule') };
    });
    return Promise.all(
      pairs.map(async ({ slot, schedule }) => {
        const { structureId, display } = scheduleLocation(schedule);
        return slotOfferFromFhir(slot, schedule, display ?? (await this.location(structureId)).name);
      }),
    );
  }

  /**
   * A conditional create (`If-None-Exist` on the request key's identifier): an earlier attempt
   * that reached the CUP but whose answer was lost is found and answered (200, the same
   * booking), not booked again. A slot taken by this same request (two deliveries at once, or
   * a server without conditional create) is that booking too.
   */
  async book(req: BookingRequest): Promise<Appointment> {
    const res = await this.send('POST', 'Appointment', bookingToFhir(req), FHIR_JSON, {
      'if-none-exist': requestKeySearch(req.requestKey).toString(),
    });
    if (res.status === 201) return this.created(res);
    if (res.status === 200) {
      // The booking the condition matched: it must carry our request key, or it is not ours.
      const found = res.body === undefined ? undefined : parseFhir(appointmentSchema, res.body, 'Appointment');
      if (found && !madeBy(found, req.requestKey)) {
        throw new InvalidFhirResourceError(
          `risposta FHIR non valida: il CUP ha restituito una prenotazione di un'altra richiesta (${found.id ?? '?'})`,
        );
      }
      return this.created(res);
    }
    if (res.status === 409) {
      const ours = await this.bookedBy(req.requestKey);
      if (ours) return ours;
      throw new SlotUnavailableError(res.diagnostics ?? `lo slot ${req.slotId} non è libero`);
    }
    if (res.status === 412) {
      throw new FhirRequestError(
        `il CUP ha più prenotazioni con la chiave di richiesta ${req.requestKey}: nessuna nuova prenotazione`,
        412,
      );
    }
    throw this.refused('prenotazione', res);
  }

  /** The booking a request key made, found by its identifier; undefined when there is none. */
  private async bookedBy(requestKey: string): Promise<Appointment | undefined> {
    const params = requestKeySearch(requestKey);
    params.set('_count', '10');
    const bundle = parseFhir(bundleSchema, await this.searchOk('Appointment', params), 'Bundle di Appointment');
    // A server that ignores a search parameter answers with anything (FHIR's lenient handling):
    // only a booking carrying this request key is ours.
    const ours = bundleResources(bundle, 'Appointment')
      .matches.map((m) => parseFhir(appointmentSchema, m, 'Appointment'))
      .find((a) => madeBy(a, requestKey));
    return ours === undefined ? undefined : this.appointment(ours);
  }

  async getAppointment(id: string): Promise<Appointment | undefined> {
    const body = await this.read('Appointment', id);
    return body === undefined ? undefined : this.appointment(parseFhir(appointmentSchema, body, 'Appointment'));
  }

  async getPatient(id: string): Promise<Patient | undefined> {
    const body = await this.read('Patient', id);
    return body === undefined ? undefined : patientFromFhir(parseFhir(patientSchema, body, 'Patient'));
  }

  async findPatientByFiscalCode(fiscalCode: string): Promise<Patient | undefined> {
    const params = new URLSearchParams({ identifier: `${FHIR_SYSTEMS.fiscalCode}|${fiscalCode.trim().toUpperCase()}` });
    const bundle = parseFhir(bundleSchema, await this.searchOk('Patient', params), 'Bundle di Patient');
    const [first] = bundleResources(bundle, 'Patient').matches;
    return first === undefined ? undefined : patientFromFhir(parseFhir(patientSchema, first, 'Patient'));
  }

  /** `GET Patient?phone=<E.164>` (FHIR R4's `phone` search parameter over `telecom`). */
  async findPatientsByPhone(phoneE164: string): Promise<Patient[]> {
    const bundle = parseFhir(
      bundleSchema,
      await this.searchOk('Patient', new URLSearchParams({ phone: phoneE164 })),
      'Bundle di Patient',
    );
    return bundleResources(bundle, 'Patient')
      .matches.slice(0, 5)
      .map((p) => patientFromFhir(parseFhir(patientSchema, p, 'Patient')));
  }

  async updatePatientMobile(patientId: string, mobileE164: string): Promise<Patient> {
    if (!FHIR_ID.test(patientId)) throw new PatientNotFoundError(`paziente ${patientId} inesistente`);
    const res = await this.send(
      'PATCH',
      `Patient/${patientId}`,
      [{ op: 'replace', path: '/telecom', value: [{ system: 'phone', value: mobileE164, use: 'mobile' }] }],
      'application/json-patch+json',
    );
    if (res.status === 200) return patientFromFhir(parseFhir(patientSchema, res.body, 'Patient'));
    if (res.status === 404 || res.status === 410) throw new PatientNotFoundError(`paziente ${patientId} inesistente`);
    throw this.refused('modifica del paziente', res);
  }

  async getSlot(id: string): Promise<SlotDetail | undefined> {
    const body = await this.read('Slot', id);
    if (body === undefined) return undefined;
    const slot = parseFhir(slotSchema, body, 'Slot');
    const scheduleId = referencedId(slot.schedule.reference, 'Schedule');
    const schedule = scheduleId === undefined ? undefined : await this.read('Schedule', scheduleId);
    if (schedule === undefined) {
      throw new InvalidFhirResourceError(`risposta FHIR non valida: l'agenda dello slot ${slot.id} non esiste`);
    }
    return slotDetailFromFhir(slot, parseFhir(scheduleSchema, schedule, 'Schedule'));
  }

  async cancel(req: CancelRequest): Promise<Appointment> {
    // As the local CUP: the note is required, and nothing is sent without it.
    if (req.reason.trim() === '') throw new AppointmentStateError('la disdetta richiede una nota');
    if (!FHIR_ID.test(req.appointmentId))
      throw new AppointmentStateError(`prenotazione ${req.appointmentId} inesistente`);
    const res = await this.send(
      'PATCH',
      `Appointment/${req.appointmentId}`,
      cancellationPatch(req.reason.trim()),
      'application/json-patch+json',
    );
    if (res.status === 200) return this.appointment(parseFhir(appointmentSchema, res.body, 'Appointment'));
    if (res.status === 404 || res.status === 410) {
      throw new AppointmentStateError(`prenotazione ${req.appointmentId} inesistente`);
    }
    if (res.status === 409 || res.status === 422) {
      throw new AppointmentStateError(res.diagnostics ?? `prenotazione ${req.appointmentId} non disdicibile`);
    }
    throw this.refused('disdetta', res);
  }

  async move(req: MoveRequest): Promise<Appointment> {
    if (!FHIR_ID.test(req.appointmentId))
      throw new AppointmentStateError(`prenotazione ${req.appointmentId} inesistente`);
    const res = await this.send('POST', `Appointment/${req.appointmentId}/$move`, moveParameters(req));
    if (res.status === 200 || res.status === 201) return this.created(res);
    if (res.status === 404 || res.status === 410) {
      throw new AppointmentStateError(`prenotazione ${req.appointmentId} inesistente`);
    }
    if (res.status === 409 && res.cupCode !== 'appointment-state') {
      throw new SlotUnavailableError(res.diagnostics ?? `lo slot ${req.slotId} non è libero`);
    }
    if (res.status === 409 || res.status === 422) {
      throw new AppointmentStateError(res.diagnostics ?? `prenotazione ${req.appointmentId} non spostabile`);
    }
    throw this.refused('spostamento', res);
  }

  async recallCandidates(q: RecallQuery): Promise<Appointment[]> {
    const params = new URLSearchParams({
      _query: 'recall-candidates',
      schedule: `Schedule/${q.scheduleId}`,
      from: q.from.toISOString(),
      'min-days-ahead': String(q.minDaysAhead),
      _count: String(q.limit),
    });
    if (q.excludeAppointmentIds?.length) params.set('exclude', q.excludeAppointmentIds.join(','));
    const bundle = parseFhir(bundleSchema, await this.searchOk('Appointment', params), 'Bundle di Appointment');
    const { matches } = bundleResources(bundle, 'Appointment');
    return Promise.all(matches.map((m) => this.appointment(parseFhir(appointmentSchema, m, 'Appointment'))));
  }

  async upcoming(q: UpcomingQuery): Promise<ReminderEntry[]> {
    const params = new URLSearchParams({
      _query: 'reminder-extract',
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      _count: String(q.limit),
    });
    if (q.after) {
      params.set('after-start', q.after.start);
      params.set('after-id', q.after.appointmentId);
    }
    return reminderEntriesFromBundle(
      parseFhir(bundleSchema, await this.searchOk('Appointment', params), 'Bundle di Appointment'),
    );
  }

  /**
   * A standard search: `slot.schedule` (Appointment → Slot → Schedule, chained), `status`,
   * `date` bounds on the start, sorted by date, `_count` a page, the server's `next` links
   * followed to the end.
   */
  async agendaBookings(q: AgendaQuery): Promise<Appointment[]> {
    if (!FHIR_ID.test(q.scheduleId)) return [];
    const params = new URLSearchParams({ 'slot.schedule': `Schedule/${q.scheduleId}`, status: 'booked' });
    params.append('date', `ge${q.from.toISOString()}`);
    params.append('date', `lt${q.to.toISOString()}`);
    params.set('_sort', 'date');
    params.set('_count', String(this.pageSize));
    const found: Appointment[] = [];
    let path: string | undefined = `Appointment?${params.toString()}`;
    for (let page = 0; path !== undefined; page++) {
      if (page >= MAX_PAGES) {
        throw new InvalidFhirResourceError(`risposta FHIR non valida: più di ${MAX_PAGES} pagine di prenotazioni`);
      }
      const res = await this.send('GET', path);
      if (res.status !== 200) throw this.refused('ricerca di Appointment', res);
      const bundle = parseFhir(bundleSchema, res.body, 'Bundle di Appointment');
      const { matches } = bundleResources(bundle, 'Appointment');
      found.push(
        ...(await Promise.all(matches.map((m) => this.appointment(parseFhir(appointmentSchema, m, 'Appointment'))))),
      );
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      path = next === undefined || matches.length === 0 ? undefined : this.pathOf(next);
    }
    return found;
  }

  /** A link of the server's (`next`) as a path under the base; the token goes nowhere else. */
  private pathOf(url: string): string {
    const prefix = `${this.baseUrl}/`;
    if (!url.startsWith(prefix)) {
      throw new InvalidFhirResourceError(`risposta FHIR non valida: il link ${url} non è sotto ${this.baseUrl}`);
    }
    return url.slice(prefix.length);
  }

  /** The booking a create or an operation answered with; read back when the server sent no body. */
  private async created(res: FhirAnswer): Promise<Appointment> {
    if (res.body !== undefined) return this.appointment(parseFhir(appointmentSchema, res.body, 'Appointment'));
    const id = referencedId(res.location ?? undefined, 'Appointment');
    const read = id === undefined ? undefined : await this.getAppointment(id);
    if (!read) throw new InvalidFhirResourceError('risposta FHIR non valida: prenotazione creata ma non restituita');
    return read;
  }

  async listServices(): Promise<ServiceInfo[]> {
    const bundle = parseFhir(
      bundleSchema,
      await this.searchOk('HealthcareService', new URLSearchParams({ _count: '500' })),
      'Bundle',
    );
    return (bundle.entry ?? [])
      .filter((e) => e.resource.resourceType === 'HealthcareService')
      .map((e) => serviceFromFhir(parseFhir(healthcareServiceSchema, e.resource, 'HealthcareService')));
  }

  async getStructure(id: string): Promise<StructureInfo | undefined> {
    const body = await this.read('Location', id);
    if (body === undefined) return undefined;
    const l = locationFromFhir(parseFhir(locationSchema, body, 'Location'));
    return { id: l.structureId, name: l.name, city: l.city };
  }

  private async appointment(a: ParsedAppointment): Promise<Appointment> {
    return appointmentFromFhir(a, await this.location(appointmentLocationId(a)));
  }

  /** A structure's name and address, kept for a while; a failed read is not kept. */
  private location(structureId: string): Promise<LocationInfo> {
    const cached = this.locations.get(structureId);
    if (cached && Date.now() - cached.at < this.locationTtlMs) return cached.value;
    const value = this.read('Location', structureId).then((body) => {
      if (body === undefined) {
        throw new InvalidFhirResourceError(`risposta FHIR non valida: la struttura ${structureId} non esiste`);
      }
      return locationFromFhir(parseFhir(locationSchema, body, 'Location'));
    });
    this.locations.set(structureId, { at: Date.now(), value });
    void value.catch(() => this.locations.delete(structureId));
    return value;
  }

  /** A read by id: the resource, or undefined when the server has none by that id. */
  private async read(type: string, id: string): Promise<unknown> {
    if (!FHIR_ID.test(id)) return undefined;
    const res = await this.send('GET', `${type}/${id}`);
    if (res.status === 404 || res.status === 410) return undefined;
    if (res.status === 200) return res.body;
    throw this.refused(`lettura di ${type}`, res);
  }

  private async searchOk(type: string, params: URLSearchParams): Promise<unknown> {
    const res = await this.send('GET', `${type}?${params.toString()}`);
    if (res.status === 200) return res.body;
    throw this.refused(`ricerca di ${type}`, res);
  }

  private refused(what: string, res: FhirAnswer): FhirRequestError {
    return new FhirRequestError(
      `il CUP (FHIR) ha rifiutato la ${what} con ${res.status}${res.diagnostics ? `: ${res.diagnostics}` : ''}`,
      res.status,
    );
  }

  /** One HTTP exchange; failures that are worth retrying become `CupUnavailableError` here. */
  private async send(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    contentType = FHIR_JSON,
    extraHeaders: Record<string, string> = {},
  ): Promise<FhirAnswer> {
    const headers: Record<string, string> = { accept: FHIR_JSON, ...extraHeaders };
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers.prefer = 'return=representation';
    }
    if (this.options.bearerToken) headers.authorization = `Bearer ${this.options.bearerToken}`;
    let status: number;
    let text: string;
    let location: string | null;
    try {
      const res = await fetch(`${this.baseUrl}/${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      location = res.headers.get('location');
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new CupUnavailableError(`il CUP (FHIR) non ha risposto entro ${this.timeoutMs / 1000} s`);
      }
      throw new CupUnavailableError(`il CUP (FHIR) non è raggiungibile (${e.cause?.code ?? e.message})`);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      if (status >= 500) throw new CupUnavailableError(`il CUP (FHIR) ha risposto ${status}`);
      throw new InvalidFhirResourceError(`risposta FHIR non valida (${status}): non è JSON`);
    }
    const outcome = operationOutcomeSchema.safeParse(parsed);
    const issue = outcome.success ? outcome.data.issue[0] : undefined;
    const diagnostics = issue?.diagnostics ?? issue?.details?.text;
    const cupCode = issue?.details?.coding?.find((c) => c.system === FHIR_SYSTEMS.issue)?.code as
      CupIssueCode | undefined;
    if (status >= 500 || status === 408 || status === 429) {
      throw new CupUnavailableError(`il CUP (FHIR) ha risposto ${status}${diagnostics ? `: ${diagnostics}` : ''}`);
    }
    return { status, body: parsed, location, diagnostics, cupCode };
  }
}
