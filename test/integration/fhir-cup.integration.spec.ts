import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import {
  AppointmentStateError,
  CupUnavailableError,
  SlotUnavailableError,
  type Appointment,
  type SlotOffer,
  type SlotQuery,
} from '../../adapters/cup/cup.js';
import { FhirCup } from '../../adapters/cup/fhir-cup.js';
import { FHIR_EXTENSIONS, FHIR_SYSTEMS } from '../../adapters/cup/fhir-profile.js';
import { LocalCup } from '../../adapters/cup/local-cup.js';
import { toFhirId } from '../../stand-ins/cup-fhir/resources.js';
import { freePorts } from '../support/ports.js';
import { startTestApp } from './support/test-app.js';

const DAY = 86_400_000;
const FHIR_TOKEN = 'test-fhir-token-0123456789abcdef';
const FHIR_READ_TOKEN = 'test-fhir-read-token-0123456789abcdef';
const SERVICE = '89.7A.3';
const NRE = '170A10123456789';
/** A structure and dates far enough ahead that the booking tests leave the earliest slots to the others. */
const STRUCTURE = 'asm-policoro';
const AHEAD_DAYS = 50;

interface OperationOutcome {
  resourceType: string;
  issue: { severity: string; code: string; diagnostics: string; expression?: string[]; details?: unknown }[];
}

describe('FhirCup against the app’s own FHIR R4 endpoints', () => {
  let app: RunningApp;
  let base: string;
  let fhir: FhirCup;
  let local: LocalCup;
  /** Bookings this file made, cancelled at the end so they hold no slot for later tests. */
  const mine: string[] = [];

  const key = (what: string) => `fhir-it:${what}:${randomUUID()}`;
  const ahead = (days: number) => new Date(Date.now() + days * DAY);

  /** A free slot of `SERVICE` after some days, found through FHIR. */
  async function freeSlot(structureId = STRUCTURE, days = AHEAD_DAYS): Promise<SlotOffer> {
    const [slot] = await fhir.findEarliestSlots({ serviceCode: SERVICE, structureId, after: ahead(days), limit: 1 });
    if (!slot) throw new Error(`no free slot at ${structureId}`);
    return slot;
  }

  async function book(patientId: string, slot?: SlotOffer): Promise<Appointment> {
    const s = slot ?? (await freeSlot());
    const a = await fhir.book({
      slotId: s.slotId,
      patientId,
      serviceCode: SERVICE,
      prescriptionNre: NRE,
      requestKey: key('book'),
    });
    mine.push(a.id);
    return a;
  }

  async function call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/fhir+json',
    headers: Record<string, string> = {},
  ) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/fhir+json',
        authorization: `Bearer ${FHIR_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      location: res.headers.get('location'),
      body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & OperationOutcome,
    };
  }

  it('refuses callers without a session or the configured token', async () => {
    expect((await fetch(`${base}/Patient/pat-0001`)).status).toBe(401);
    const wrong = await fetch(`${base}/Patient/pat-0001`, { headers: { authorization: 'Bearer wrong' } });
    expect(wrong.status).toBe(401);
  });

  it('reads the service catalogue and the structures through FHIR, as the local CUP gives them', async () => {
    const viaFhir = await fhir.listServices();
    expect(viaFhir).toEqual(await local.listServices().then((l) => [...l].sort((a, b) => (a.code < b.code ? -1 : 1))));
    expect(viaFhir.map((s) => s.code)).toContain('89.7A.3');
    const known = (await local.findEarliestSlots({ serviceCode: '89.7A.3', limit: 1 }))[0]?.structureId ?? '';
    expect(await fhir.getStructure(known)).toEqual(await local.getStructure(known));
    expect(await fhir.getStructure('nope')).toBeUndefined();
  });

  it('lets the read token read but not book, and audits every use of a token', async () => {
    const read = { authorization: `Bearer ${FHIR_READ_TOKEN}` };
    expect((await fetch(`${base}/Patient/pat-0001`, { headers: read })).status).toBe(200);
    const booking = await fetch(`${base}/Appointment`, {
      method: 'POST',
      headers: { ...read, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Appointment', status: 'booked' }),
    });
    expect(booking.status).toBe(403);
    const trail: { actor: string; action: string }[] = await app.db.query(
      `SELECT actor, action FROM audit_events WHERE actor LIKE 'token:fhir-%' AND subject_id = '/Patient/pat-0001'`,
    );
    expect(trail).toContainEqual({ actor: 'token:fhir-read', action: 'personal-data.read' });
  });

  beforeAll(async () => {
    app = await startTestApp({ FHIR_API_TOKEN: FHIR_READ_TOKEN, FHIR_WRITE_TOKEN: FHIR_TOKEN });
    base = `${app.url}/fhir`;
    fhir = new FhirCup({ baseUrl: base, bearerToken: FHIR_TOKEN });
    local = new LocalCup(app.db);
  });

  afterAll(async () => {
    if (app) {
      for (const id of mine) {
        const a = await local.getAppointment(id);
        if (a?.status === 'booked') await local.cancel({ appointmentId: id, reason: 'fine del test FHIR' });
      }
    }
    await app?.stop();
  });

  it('serves a CapabilityStatement for FHIR 4.0.1 as application/fhir+json', async () => {
    const res = await call('GET', '/metadata');
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance' });
  });

  it('finds the same earliest free slots as the local CUP, agendas under FHIR ids', async () => {
    const queries: SlotQuery[] = [
      { serviceCode: SERVICE, limit: 10 },
      { serviceCode: SERVICE, structureId: STRUCTURE, after: ahead(20), limit: 5 },
      { serviceCode: '95.02', after: ahead(3) },
      { serviceCode: '87.37.1', structureId: 'asm-matera', after: ahead(30), limit: 3 },
    ];
    for (const q of queries) {
      const viaFhir = await fhir.findEarliestSlots(q);
      const direct = await local.findEarliestSlots(q);
      expect(direct.length).toBeGreaterThan(0);
      expect(viaFhir).toEqual(direct.map((o) => ({ ...o, scheduleId: toFhirId(o.scheduleId) })));
    }
    // The local agenda ids contain ':', which a FHIR id may not.
    const [first] = await fhir.findEarliestSlots({ serviceCode: SERVICE, structureId: STRUCTURE, limit: 1 });
    expect(first?.scheduleId).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(await fhir.findEarliestSlots({ serviceCode: SERVICE, structureId: 'no-such-structure' })).toEqual([]);
  });

  it('books a slot; another request for it is refused, the same request key gives the same booking', async () => {
    const slot = await freeSlot();
    const requestKey = key('book-twice');
    const request = {
      slotId: slot.slotId,
      patientId: 'pat-0005',
      serviceCode: SERVICE,
      prescriptionNre: NRE,
      requestKey,
    };
    const booked = await fhir.book(request);
    mine.push(booked.id);
    expect(booked).toMatchObject({
      status: 'booked',
      slotId: slot.slotId,
      start: slot.start,
      end: slot.end,
      patientId: 'pat-0005',
      serviceCode: SERVICE,
      serviceName: 'Prima visita cardiologica',
      structureId: STRUCTURE,
      prescriptionNre: NRE,
      cancellationReason: null,
      replacesId: null,
    });
    expect(booked.bookingCode).toMatch(/^BAS-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    // Every field, structure address included, as the local CUP has it.
    expect(booked).toEqual(await local.getAppointment(booked.id));

    await expect(
      fhir.book({ ...request, patientId: 'pat-0006', requestKey: key('other-request') }),
    ).rejects.toBeInstanceOf(SlotUnavailableError);
    expect(await fhir.book(request)).toEqual(booked);
    // One booking holds the request key (kept as the Appointment's identifier).
    const rows: { n: string }[] = await app.db.query(
      'SELECT count(*) AS n FROM cup_appointments WHERE identifiers @> $1::jsonb',
      [JSON.stringify([{ system: FHIR_SYSTEMS.requestKey, value: requestKey }])],
    );
    expect(Number(rows[0]?.n)).toBe(1);
    expect((await fhir.getSlot(slot.slotId))?.status).toBe('busy');
  });

  it('cancels with a note and frees the slot, which shows up as free again', async () => {
    const slot = await freeSlot(STRUCTURE, AHEAD_DAYS + 3);
    const booked = await book('pat-0006', slot);
    expect(
      (
        await fhir.findEarliestSlots({
          serviceCode: SERVICE,
          structureId: STRUCTURE,
          after: new Date(Date.parse(slot.start) - 1),
          limit: 1,
        })
      )[0]?.slotId,
    ).not.toBe(slot.slotId);

    const cancelled = await fhir.cancel({ appointmentId: booked.id, reason: 'Disdetta telefonica del paziente' });
    expect(cancelled).toEqual({
      ...booked,
      status: 'cancelled',
      cancellationReason: 'Disdetta telefonica del paziente',
    });
    expect((await fhir.getSlot(slot.slotId))?.status).toBe('free');
    const again = await fhir.findEarliestSlots({
      serviceCode: SERVICE,
      structureId: STRUCTURE,
      after: new Date(Date.parse(slot.start) - 1),
      limit: 1,
    });
    expect(again[0]?.slotId).toBe(slot.slotId);

    // A cancelled booking stays as it is; a note is required; an unknown booking cannot change.
    expect(await fhir.cancel({ appointmentId: booked.id, reason: 'di nuovo' })).toEqual(cancelled);
    await expect(fhir.cancel({ appointmentId: booked.id, reason: '  ' })).rejects.toBeInstanceOf(AppointmentStateError);
    await expect(fhir.cancel({ appointmentId: randomUUID(), reason: 'nota' })).rejects.toBeInstanceOf(
      AppointmentStateError,
    );
  });

  it('moves a booking to a slot elsewhere: the new appointment replaces the old one, which is cancelled', async () => {
    const from = await freeSlot(STRUCTURE, AHEAD_DAYS + 6);
    const to = await freeSlot('asm-matera', AHEAD_DAYS + 6);
    const old = await book('pat-0007', from);
    const requestKey = key('move');
    const moved = await fhir.move({ appointmentId: old.id, slotId: to.slotId, reason: 'Sede più comoda', requestKey });
    mine.push(moved.id);
    expect(moved).toMatchObject({
      status: 'booked',
      slotId: to.slotId,
      structureId: 'asm-matera',
      structureName: 'Ospedale Madonna delle Grazie',
      patientId: 'pat-0007',
      prescriptionNre: NRE,
      replacesId: old.id,
    });
    expect(moved).toEqual(await local.getAppointment(moved.id));
    expect(await fhir.getAppointment(old.id)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'Sede più comoda',
    });
    expect((await fhir.getSlot(from.slotId))?.status).toBe('free');

    // The link travels as the replaces extension.
    const raw = await call('GET', `/Appointment/${moved.id}`);
    expect(raw.body.extension).toEqual([
      { url: FHIR_EXTENSIONS.replaces, valueReference: { reference: `Appointment/${old.id}` } },
    ]);

    expect(
      await fhir.move({ appointmentId: old.id, slotId: to.slotId, reason: 'Sede più comoda', requestKey }),
    ).toEqual(moved);
    const another = await freeSlot('asm-matera', AHEAD_DAYS + 8);
    await expect(
      fhir.move({ appointmentId: old.id, slotId: another.slotId, reason: 'ancora', requestKey: key('move-cancelled') }),
    ).rejects.toBeInstanceOf(AppointmentStateError);
    await expect(
      fhir.move({ appointmentId: moved.id, slotId: to.slotId, reason: 'stesso slot', requestKey: key('move-taken') }),
    ).rejects.toBeInstanceOf(SlotUnavailableError);
    await expect(
      fhir.move({ appointmentId: randomUUID(), slotId: another.slotId, reason: 'x', requestKey: key('move-unknown') }),
    ).rejects.toBeInstanceOf(AppointmentStateError);
  });

  it('reads patients, slots and appointments as the local CUP does', async () => {
    for (const id of ['pat-0001', 'pat-0004', 'pat-0008']) {
      expect(await fhir.getPatient(id)).toEqual(await local.getPatient(id));
    }
    expect((await fhir.getPatient('pat-0008'))?.mobile).toBeNull();
    expect(await fhir.getPatient('pat-none')).toBeUndefined();

    const slot = await freeSlot();
    const detail = await local.getSlot(slot.slotId);
    expect(detail).toMatchObject({ monitored: true, serviceKind: 'visit', status: 'free' });
    expect(await fhir.getSlot(slot.slotId)).toEqual({ ...detail, scheduleId: toFhirId(detail?.scheduleId ?? '') });
    const [exam] = await local.findEarliestSlots({ serviceCode: '89.52', structureId: 'asp-lauria' });
    expect(exam).toBeDefined();
    expect(await fhir.getSlot(exam?.slotId ?? '')).toMatchObject({ serviceKind: 'exam', monitored: false });
    expect(await fhir.getSlot('999999999999')).toBeUndefined();
    expect(await fhir.getSlot('not-a-slot')).toBeUndefined();
    expect(await fhir.getAppointment(randomUUID())).toBeUndefined();

    const raw = await call('GET', `/Patient/pat-0001`);
    expect(raw.body).toMatchObject({
      resourceType: 'Patient',
      identifier: [{ system: FHIR_SYSTEMS.fiscalCode, value: 'RSSMRA80A01G942K' }],
      telecom: [{ system: 'phone', value: '+393330000001', use: 'mobile' }],
    });
  });

  it('serves the recall candidates and the reminder extract as the local CUP does', async () => {
    const first = await book('pat-0007', await freeSlot(STRUCTURE, AHEAD_DAYS + 10));
    const second = await book('pat-0008', await freeSlot(STRUCTURE, AHEAD_DAYS + 12));
    const localSchedule = (await local.getSlot(first.slotId))?.scheduleId ?? '';
    const fhirSchedule = (await fhir.getSlot(first.slotId))?.scheduleId ?? '';
    expect(fhirSchedule).toBe(toFhirId(localSchedule));

    const recall = { from: new Date(), minDaysAhead: AHEAD_DAYS - 5, limit: 200 };
    const candidates = await fhir.recallCandidates({ ...recall, scheduleId: fhirSchedule });
    expect(candidates).toEqual(await local.recallCandidates({ ...recall, scheduleId: localSchedule }));
    expect(candidates.map((a) => a.id)).toEqual(expect.arrayContaining([first.id, second.id]));
    const excluded = await fhir.recallCandidates({
      ...recall,
      scheduleId: fhirSchedule,
      excludeAppointmentIds: [first.id],
    });
    expect(excluded).toEqual(
      await local.recallCandidates({ ...recall, scheduleId: localSchedule, excludeAppointmentIds: [first.id] }),
    );
    expect(excluded.map((a) => a.id)).not.toContain(first.id);
    expect(excluded.map((a) => a.id)).toContain(second.id);

    const window = { from: new Date(Date.parse(first.start) - DAY), to: new Date(Date.parse(second.start) + DAY) };
    const extract = await fhir.upcoming({ ...window, limit: 1000 });
    expect(extract).toEqual(await local.upcoming({ ...window, limit: 1000 }));
    expect(extract).toContainEqual({
      appointmentId: first.id,
      bookingCode: first.bookingCode,
      start: first.start,
      mobile: '+393330000007',
    });
    expect(extract).toContainEqual({
      appointmentId: second.id,
      bookingCode: second.bookingCode,
      start: second.start,
      mobile: null,
    });
    // Keyset pages of two, through the cursor, give the same lines.
    const paged = [];
    let after: { start: string; appointmentId: string } | undefined;
    for (;;) {
      const page = await fhir.upcoming({ ...window, after, limit: 2 });
      paged.push(...page);
      const last = page.at(-1);
      if (!last || page.length < 2) break;
      after = { start: last.start, appointmentId: last.appointmentId };
    }
    expect(paged).toEqual(extract);

    // The extract carries no more than a reminder needs.
    const params = new URLSearchParams({
      _query: 'reminder-extract',
      from: window.from.toISOString(),
      to: window.to.toISOString(),
      _count: '1',
    });
    const raw = await call('GET', `/Appointment?${params.toString()}`);
    const entries = raw.body.entry as { resource: Record<string, unknown>; search: { mode: string } }[];
    expect(entries.map((e) => [e.resource.resourceType, e.search.mode])).toEqual([
      ['Appointment', 'match'],
      ['Patient', 'include'],
    ]);
    expect(Object.keys(entries[1]?.resource ?? {}).sort()).toEqual(['id', 'meta', 'resourceType', 'telecom']);
    expect((raw.body.link as { relation: string }[]).map((l) => l.relation)).toEqual(['self', 'next']);
  });

  it('lists the booked appointments of an agenda in a period as the local CUP does, page after page', async () => {
    // One agenda per structure and service: `asm-policoro:89.7A.3`.
    const scheduleId = `${STRUCTURE}:${SERVICE}`;
    const first = await book('pat-0001', await freeSlot(STRUCTURE, AHEAD_DAYS + 26));
    const second = await book('pat-0002', await freeSlot(STRUCTURE, AHEAD_DAYS + 26));
    const third = await book('pat-0003', await freeSlot(STRUCTURE, AHEAD_DAYS + 27));
    await fhir.cancel({ appointmentId: second.id, reason: 'non più necessaria' });
    const period = { from: new Date(Date.parse(first.start) - DAY), to: new Date(Date.parse(third.start) + DAY) };

    const direct = await local.agendaBookings({ ...period, scheduleId });
    expect(direct.map((a) => a.id)).toEqual(expect.arrayContaining([first.id, third.id]));
    expect(direct.map((a) => a.id)).not.toContain(second.id);
    // Pages of two through the server's next links give the same bookings, in the same order.
    const paged = new FhirCup({ baseUrl: base, bearerToken: FHIR_TOKEN, pageSize: 2 });
    expect(await paged.agendaBookings({ ...period, scheduleId: toFhirId(scheduleId) })).toEqual(direct);
    expect(await fhir.agendaBookings({ ...period, scheduleId: 'no-such-agenda' })).toEqual([]);

    const search = new URLSearchParams({ 'slot.schedule': `Schedule/${toFhirId(scheduleId)}`, status: 'booked' });
    search.append('date', `ge${period.from.toISOString()}`);
    search.append('date', `lt${period.to.toISOString()}`);
    search.set('_count', '1');
    const raw = await call('GET', `/Appointment?${search.toString()}`);
    expect(raw.status).toBe(200);
    expect((raw.body.link as { relation: string }[]).map((l) => l.relation)).toEqual(['self', 'next']);
    const noPeriod = await call('GET', `/Appointment?slot.schedule=Schedule/${toFhirId(scheduleId)}`);
    expect(noPeriod.status).toBe(400);
    expect(noPeriod.body.issue[0]?.diagnostics).toMatch(/date/);
  });

  /** `If-None-Exist` on a request identifier, as FhirCup sends it. */
  const ifNoneExist = (requestKey: string) => ({
    'if-none-exist': new URLSearchParams({ identifier: `${FHIR_SYSTEMS.requestKey}|${requestKey}` }).toString(),
  });
  const bookingOf = (slotId: string, patientId: string, requestKey: string) => ({
    resourceType: 'Appointment',
    status: 'booked',
    identifier: [{ system: FHIR_SYSTEMS.requestKey, value: requestKey }],
    slot: [{ reference: `Slot/${slotId}` }],
    participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }],
  });

  it('honours a conditional create as a FHIR server does: 201 for a new booking, 200 with the same one for a repeat, 412 for two', async () => {
    const slot = await freeSlot(STRUCTURE, AHEAD_DAYS + 18);
    const requestKey = key('conditional');
    const first = await call('POST', '/Appointment', bookingOf(slot.slotId, 'pat-0002', requestKey), undefined, {
      ...ifNoneExist(requestKey),
    });
    expect(first.status).toBe(201);
    mine.push(String(first.body.id));
    // The identifier is kept with the appointment, and found by a search as on any FHIR server.
    expect(first.body.identifier).toContainEqual({ system: FHIR_SYSTEMS.requestKey, value: requestKey });
    const search = await call('GET', `/Appointment?${ifNoneExist(requestKey)['if-none-exist']}`);
    expect(search.status).toBe(200);
    expect((search.body.entry as { resource: { id: string } }[]).map((e) => e.resource.id)).toEqual([first.body.id]);

    // The repeat matches the condition: nothing is created, whatever the body says (another slot here).
    const other = await freeSlot(STRUCTURE, AHEAD_DAYS + 19);
    const repeat = await call('POST', '/Appointment', bookingOf(other.slotId, 'pat-0002', requestKey), undefined, {
      ...ifNoneExist(requestKey),
    });
    expect(repeat.status).toBe(200);
    expect(repeat.body).toEqual(first.body);
    expect(repeat.location).toBe(first.location);
    expect((await fhir.getSlot(other.slotId))?.status).toBe('free');

    // Without the condition a create is a plain create, as on a real server: the identifier
    // alone makes no booking the same as another, so the slot is simply taken.
    const plain = await call('POST', '/Appointment', bookingOf(slot.slotId, 'pat-0002', requestKey));
    expect(plain.status).toBe(409);

    // Two bookings holding one identifier (plain creates may make them): a conditional create refuses.
    const twin = key('twin');
    for (const s of [other, await freeSlot(STRUCTURE, AHEAD_DAYS + 20)]) {
      const made = await call('POST', '/Appointment', bookingOf(s.slotId, 'pat-0002', twin));
      expect(made.status).toBe(201);
      mine.push(String(made.body.id));
    }
    const third = await freeSlot(STRUCTURE, AHEAD_DAYS + 20);
    const ambiguous = await call('POST', '/Appointment', bookingOf(third.slotId, 'pat-0002', twin), undefined, {
      ...ifNoneExist(twin),
    });
    expect(ambiguous.status).toBe(412);
    expect(ambiguous.body.issue[0]).toMatchObject({ code: 'multiple-matches' });
    expect((await fhir.getSlot(third.slotId))?.status).toBe('free');

    const unsupported = await call('POST', '/Appointment', bookingOf(third.slotId, 'pat-0002', twin), undefined, {
      'if-none-exist': 'patient=Patient/pat-0002',
    });
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.issue[0]?.diagnostics).toMatch(/If-None-Exist/);
  });

  it('books once when a booking arrived but its answer was lost: the retry with the same key gets that booking', async () => {
    const since = new Date();
    const slot = await freeSlot(STRUCTURE, AHEAD_DAYS + 22);
    const request = { slotId: slot.slotId, patientId: 'pat-0004', serviceCode: SERVICE, requestKey: key('lost') };
    // The first attempt reached the CUP, which booked; its answer never came back.
    const arrived = await call(
      'POST',
      '/Appointment',
      bookingOf(slot.slotId, 'pat-0004', request.requestKey),
      undefined,
      {
        ...ifNoneExist(request.requestKey),
      },
    );
    expect(arrived.status).toBe(201);
    mine.push(String(arrived.body.id));

    const retried = await fhir.book(request);
    expect(retried).toMatchObject({ id: arrived.body.id, slotId: slot.slotId, status: 'booked' });
    const made: { n: string }[] = await app.db.query(
      `SELECT count(*) AS n FROM cup_appointments WHERE patient_id = 'pat-0004' AND created_at >= $1`,
      [since],
    );
    expect(Number(made[0]?.n)).toBe(1);

    // A key with the characters a token search escapes still names its one booking.
    const odd = {
      ...request,
      slotId: (await freeSlot(STRUCTURE, AHEAD_DAYS + 23)).slotId,
      requestKey: `${key('odd')}|a,b$c\\d`,
    };
    const booked = await fhir.book(odd);
    mine.push(booked.id);
    expect(await fhir.book(odd)).toEqual(booked);
  });

  /**
   * A FHIR server in front of the stand-in that drops the condition and, given a `decoy`,
   * answers an identifier search with the decoy's booking (a server that ignores the parameter
   * answers with whatever it holds).
   */
  async function obliviousServer(decoy?: string): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(
            (e): e is [string, string] => typeof e[1] === 'string' && !['if-none-exist', 'host'].includes(e[0]),
          ),
        );
        const url = new URL(req.url ?? '/', 'http://x');
        if (decoy && url.searchParams.has('identifier')) {
          url.searchParams.set('identifier', `${FHIR_SYSTEMS.requestKey}|${decoy}`);
        }
        void fetch(`${base}${url.pathname}${url.search}`, {
          method: req.method ?? 'GET',
          headers,
          ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
        }).then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
          res.end(Buffer.from(await answer.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  it('takes a slot held by its own request as its booking, also from a server that ignores If-None-Exist', async () => {
    const server = await obliviousServer();
    try {
      const oblivious = new FhirCup({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bearerToken: FHIR_TOKEN,
      });
      const slot = await freeSlot(STRUCTURE, AHEAD_DAYS + 24);
      const request = {
        slotId: slot.slotId,
        patientId: 'pat-0005',
        serviceCode: SERVICE,
        requestKey: key('oblivious'),
      };
      const first = await oblivious.book(request);
      mine.push(first.id);
      // The retry's create finds the slot taken, by this same request: that is its booking.
      expect(await oblivious.book(request)).toEqual(first);
      await expect(oblivious.book({ ...request, requestKey: key('oblivious-other') })).rejects.toBeInstanceOf(
        SlotUnavailableError,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('never takes another request’s booking for its own, even from a server that ignores the identifier search', async () => {
    const server = await obliviousServer(key('lenient-first'));
    try {
      const lenient = new FhirCup({
        baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bearerToken: FHIR_TOKEN,
      });
      const slot = await freeSlot(STRUCTURE, AHEAD_DAYS + 25);
      const first = await fhir.book({
        slotId: slot.slotId,
        patientId: 'pat-0004',
        serviceCode: SERVICE,
        requestKey: key('lenient-first'),
      });
      mine.push(first.id);
      // Another request for the same slot: the server's search answers with whatever it holds,
      // which is not this request's booking.
      await expect(
        lenient.book({
          slotId: slot.slotId,
          patientId: 'pat-0005',
          serviceCode: SERVICE,
          requestKey: key('lenient-other'),
        }),
      ).rejects.toBeInstanceOf(SlotUnavailableError);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers malformed and refused requests with an OperationOutcome in Italian and the right status', async () => {
    const noSlot = await call('POST', '/Appointment', {
      resourceType: 'Appointment',
      status: 'booked',
      identifier: [{ system: FHIR_SYSTEMS.requestKey, value: key('bad') }],
      participant: [{ actor: { reference: 'Patient/pat-0001' }, status: 'accepted' }],
    });
    expect(noSlot.status).toBe(400);
    expect(noSlot.type).toMatch(/^application\/fhir\+json/);
    expect(noSlot.body.resourceType).toBe('OperationOutcome');
    expect(noSlot.body.issue).toContainEqual(
      expect.objectContaining({ severity: 'error', code: 'invalid', expression: ['Appointment.slot'] }),
    );
    expect(noSlot.body.issue[0]?.diagnostics).toMatch(/atteso/);

    const notJson = await call('POST', '/Appointment', '{"resourceType": "Appointment",');
    expect(notJson.status).toBe(400);
    expect(notJson.body.issue[0]).toMatchObject({
      code: 'structure',
      diagnostics: 'Il corpo della richiesta non è JSON valido.',
    });

    const badCount = await call('GET', `/Slot?service-type=${SERVICE}&_count=0`);
    expect(badCount.status).toBe(400);
    expect(badCount.body.issue[0]?.diagnostics).toMatch(/^Parametro _count:/);
    const noService = await call('GET', '/Slot?status=free');
    expect(noService.status).toBe(400);
    expect(noService.body.issue[0]?.diagnostics).toMatch(/service-type.*obbligatorio/);
    const badStart = await call('GET', `/Slot?service-type=${SERVICE}&start=lt2030-01-01T00:00:00Z`);
    expect(badStart.status).toBe(400);

    const slot = await freeSlot(STRUCTURE, AHEAD_DAYS + 15);
    const booking = {
      resourceType: 'Appointment',
      status: 'booked',
      slot: [{ reference: `Slot/${slot.slotId}` }],
      participant: [{ actor: { reference: 'Patient/pat-0003' }, status: 'accepted' }],
    };
    const badNre = await call('POST', '/Appointment', {
      ...booking,
      identifier: [{ system: FHIR_SYSTEMS.requestKey, value: key('bad-nre') }],
      basedOn: [{ identifier: { system: FHIR_SYSTEMS.nre, value: '120A10123456789' } }],
    });
    expect(badNre.status).toBe(400);
    expect(badNre.body.issue[0]?.diagnostics).toMatch(/170/);
    const unknownPatient = await call('POST', '/Appointment', {
      ...booking,
      identifier: [{ system: FHIR_SYSTEMS.requestKey, value: key('no-patient') }],
      participant: [{ actor: { reference: 'Patient/pat-none' }, status: 'accepted' }],
    });
    expect(unknownPatient.status).toBe(422);

    // Booking through the header key, without a serviceType (the slot's is used): 201, then 200 on a repeat.
    const headerKey = key('header');
    const created = await fetch(`${base}/Appointment`, {
      method: 'POST',
      headers: {
        'content-type': 'application/fhir+json',
        'idempotency-key': headerKey,
        authorization: `Bearer ${FHIR_TOKEN}`,
      },
      body: JSON.stringify(booking),
    });
    expect(created.status).toBe(201);
    const createdBody = (await created.json()) as { id: string; status: string };
    mine.push(createdBody.id);
    expect(created.headers.get('location')).toBe(`${base}/Appointment/${createdBody.id}`);
    expect(createdBody.status).toBe('booked');
    const repeated = await fetch(`${base}/Appointment`, {
      method: 'POST',
      headers: {
        'content-type': 'application/fhir+json',
        'idempotency-key': headerKey,
        authorization: `Bearer ${FHIR_TOKEN}`,
      },
      body: JSON.stringify(booking),
    });
    expect(repeated.status).toBe(200);
    expect(((await repeated.json()) as { id: string }).id).toBe(createdBody.id);

    const taken = await call('POST', '/Appointment', {
      ...booking,
      identifier: [{ system: FHIR_SYSTEMS.requestKey, value: key('taken') }],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.issue[0]).toMatchObject({
      code: 'conflict',
      details: { coding: [{ system: FHIR_SYSTEMS.issue, code: 'slot-unavailable' }] },
    });

    const otherChange = await call(
      'PATCH',
      `/Appointment/${createdBody.id}`,
      [{ op: 'replace', path: '/start', value: '2030-01-01T08:00:00Z' }],
      'application/json-patch+json',
    );
    expect(otherChange.status).toBe(422);
    const noNote = await call(
      'PATCH',
      `/Appointment/${createdBody.id}`,
      [
        { op: 'replace', path: '/status', value: 'cancelled' },
        { op: 'add', path: '/cancelationReason', value: { text: ' ' } },
      ],
      'application/json-patch+json',
    );
    expect(noNote.status).toBe(400);
    expect(noNote.body.issue[0]).toMatchObject({
      code: 'required',
      expression: ['Appointment.cancelationReason.text'],
    });
    const wrongType = await call('PATCH', `/Appointment/${createdBody.id}`, { status: 'cancelled' });
    expect(wrongType.status).toBe(415);
    expect((await call('GET', '/Appointment/no-such-booking')).status).toBe(404);
    expect((await call('GET', '/Appointment?status=booked')).status).toBe(400);
    const unknown = await call('GET', '/Encounter/1');
    expect(unknown.status).toBe(404);
    expect(unknown.body.resourceType).toBe('OperationOutcome');
  });

  it('reports a CUP it cannot reach as CupUnavailableError', async () => {
    const [port] = await freePorts(1);
    const unreachable = new FhirCup({ baseUrl: `http://127.0.0.1:${port}/fhir`, timeoutMs: 2000 });
    await expect(unreachable.getPatient('pat-0001')).rejects.toBeInstanceOf(CupUnavailableError);
    await expect(
      unreachable.book({ slotId: '1', patientId: 'pat-0001', serviceCode: SERVICE, requestKey: key('down') }),
    ).rejects.toBeInstanceOf(CupUnavailableError);
  });
});
