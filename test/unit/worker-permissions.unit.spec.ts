import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { READS_ONLY, WORKERS } from '../../workers/registry.js';
import { BpmnError } from '../../workers/framework/errors.js';
import type { WorkerDeps, WorkerDefinition } from '../../workers/framework/define.js';
import type { Appointment, Cup, Patient, SlotDetail, SlotOffer } from '../../adapters/cup/cup.js';
import { PERMISSION_LABELS, PERMISSIONS, permissionsOf } from '../../domain/access/roles.js';
import { readBpmn } from '../../platform/engine/bpmn-model.js';
import type { IdentityRegistry } from '../../adapters/identity/identity-registry.js';
import { missingPermissions, modelNeeds, needReasons } from '../../domain/processes/model-permissions.js';

/** Every permission some worker's effect needs: what a model needs when its topic or called process is unknown. */
const EVERY = [...new Set(WORKERS.flatMap((w) => (w.permission ? [w.permission] : [])))].sort();

const processesDir = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'processes');

/** A timer-started process with one external task. */
function timerModel(id: string, topic: string, headers: Record<string, string> = {}): string {
  const props = Object.entries(headers)
    .map(([k, v]) => `<camunda:property name="${k}" value="${v}" />`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="${id}" isExecutable="true" camunda:historyTimeToLive="30">
    <bpmn:startEvent id="start"><bpmn:timerEventDefinition id="t1"><bpmn:timeCycle>R/PT1M</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:serviceTask id="work" name="Lavoro notturno" camunda:type="external" camunda:topic="${topic}">
      <bpmn:extensionElements><camunda:properties>${props}</camunda:properties></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:callActivity id="call" name="Chiama" calledElement="\${target}" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
}

const noCalls = () => Promise.resolve(undefined);

/** A person's data as the fake CUP below holds it: a read worker that returns any of it needs personal:read. */
const SECRETS = {
  patientId: 'PAZ-RISERVATO',
  bookingCode: 'COD-RISERVATO',
  fiscalCode: 'RSSMRA80A01G942X',
  givenName: 'Maria-Riservata',
  familyName: 'Rossi-Riservata',
  birthDate: '1980-01-01',
  mobile: '+393330000000',
  prescriptionNre: '170AB0000000000',
} as const;

const SOON = '2027-01-10T08:00:00.000Z';
const LATER = '2027-03-10T08:00:00.000Z';
const slot: SlotDetail = {
  slotId: 'slot-1',
  scheduleId: 'agenda-1',
  start: SOON,
  end: SOON,
  status: 'free',
  structureId: 'str-1',
  serviceCode: 'srv-1',
  serviceKind: 'visit',
  monitored: false,
};
const offer: SlotOffer = {
  slotId: 'slot-1',
  scheduleId: 'agenda-1',
  start: SOON,
  end: SOON,
  structureId: 'str-1',
  structureName: 'Ospedale San Carlo',
  serviceCode: 'srv-1',
};
const appointment: Appointment = {
  id: 'app-1',
  bookingCode: SECRETS.bookingCode,
  status: 'booked',
  slotId: 'slot-2',
  start: LATER,
  end: LATER,
  structureId: 'str-1',
  structureName: 'Ospedale San Carlo',
  structureAddress: 'Via Potito Petrone',
  serviceCode: 'srv-1',
  serviceName: 'Visita',
  patientId: SECRETS.patientId,
  prescriptionNre: SECRETS.prescriptionNre,
  cancellationReason: null,
  replacesId: null,
  priorityClass: 'P',
  beyondPriorityLimit: false,
};
const patient: Patient = {
  id: SECRETS.patientId,
  fiscalCode: SECRETS.fiscalCode,
  givenName: SECRETS.givenName,
  familyName: SECRETS.familyName,
  birthDate: SECRETS.birthDate,
  mobile: SECRETS.mobile,
};
/** Reads answer with the data above; anything that would change the CUP fails the test. */
const fakeCup = {
  findEarliestSlots: () => Promise.resolve([offer]),
  getSlot: () => Promise.resolve(slot),
  getAppointment: () => Promise.resolve(appointment),
  getPatient: () => Promise.resolve(patient),
  findPatientByFiscalCode: () => Promise.resolve(patient),
  recallCandidates: () => Promise.resolve([appointment]),
  agendaBookings: () => Promise.resolve([appointment]),
  upcoming: () => Promise.resolve([]),
  listServices: () => Promise.resolve([]),
  getStructure: () => Promise.resolve(undefined),
} as Partial<Cup> as Cup;

/** The identity registry finds the person with every contact: what check-identity would return. */
const fakeIdentity: IdentityRegistry = {
  provider: 'local',
  lookup: () =>
    Promise.resolve({
      fiscalCode: SECRETS.fiscalCode,
      givenName: SECRETS.givenName,
      familyName: SECRETS.familyName,
      birthDate: SECRETS.birthDate,
      registration: { state: 'registered' },
      contacts: { mobile: SECRETS.mobile, mobileVerified: true, emailVerified: false },
      pin: { state: 'issued' },
    }),
};

/**
 * Variables a model passes to each read worker: none of them a person's data (what is passed
 * in is in the model's variables already, what comes back is what the worker adds).
 */
const READS_SAMPLE: Record<string, Record<string, unknown>> = {
  'check-prescription': { prescriptionNre: '170AB1234567890', patientId: 'paziente-in', priorityClass: 'P' },
  'find-recall-candidate': { freedSlotId: 'slot-1' },
  'load-cleanup-contact': { appointmentId: 'app-1' },
  'plan-cleanup-packages': { scheduleId: 'agenda-1', from: '2027-01-01T00:00:00Z', to: '2027-06-01T00:00:00Z' },
  'propose-slots': { serviceCode: 'srv-1', priorityClass: 'P' },
  'check-identity': { holderFiscalCode: 'RSSMRA80A01G942K' },
  'plan-deadlines': {},
  'read-ticket-outcome': { ticketId: '7', ticketUpdatedAt: '2027-01-01T08:00:00Z' },
  'load-campaign-contact': { contactId: '1' },
  'plan-campaign-packages': { campaignId: '00000000-0000-4000-8000-000000000001' },
};

/** A list campaign's contact as the database holds it: what load-campaign-contact reads. */
const campaignContact = {
  id: '1',
  package_no: 1,
  name: `${SECRETS.givenName} ${SECRETS.familyName}`,
  phone: SECRETS.mobile,
  email: null,
  fiscal_code: SECRETS.fiscalCode,
  extra: {},
  campaign_id: '00000000-0000-4000-8000-000000000001',
  kind: 'information',
  campaign_name: 'Campagna informativa',
  script: null,
};

/** What a read worker adds to the instance, with a fake CUP and a database that finds nothing but a campaign contact. */
async function runRead(w: WorkerDefinition, variables: Record<string, unknown>): Promise<unknown> {
  const deps = {
    cup: fakeCup,
    identity: fakeIdentity,
    // A department's answer about the person: their name in it.
    tickets: {
      lastMessage: () =>
        Promise.resolve({ content: `Pratica di ${SECRETS.givenName} accolta.`, created: '', creator: 'ufficio' }),
    },
    db: { query: (sql: string) => Promise.resolve(/WHERE k\.id = \$1/.test(sql) ? [campaignContact] : []) },
    now: () => new Date('2027-01-01T08:00:00Z'),
  } as unknown as WorkerDeps;
  try {
    return await w.handler({
      variables: w.variables.parse(variables),
      headers: w.headers.parse({}),
      job: { key: 'j', type: w.taskType, processInstanceKey: 'pi', bpmnProcessId: 'p', elementId: 'e', retries: 3 },
      deps,
      once: (_key, effect) => effect(),
    });
  } catch (err) {
    // A BPMN error's variables reach the instance too.
    if (err instanceof BpmnError) return err.variables;
    throw err;
  }
}

describe('the permission each worker’s effect needs', () => {
  /*
   * The rule: a worker that changes something (not in the registry's READS_ONLY) declares
   * the permission of its effect, never personal:read alone (reading is not the right to
   * act). A worker that only reads declares personal:read when what it returns is a
   * person's data: a model could copy it into a variable whose name is not masked, and an
   * analyst reads the instance's variables. Otherwise it declares nothing, or the
   * permission of the batch it reads for (plan-cleanup-packages: cup:manage), never
   * personal:read for nothing.
   */
  it('is declared by every worker that changes something, and is not personal:read', () => {
    for (const w of WORKERS.filter((x) => !READS_ONLY.includes(x.taskType))) {
      expect(w.permission, `${w.taskType} must declare the permission its effect needs`).toBeDefined();
      expect(w.permission, `${w.taskType}: personal:read is no permission to act`).not.toBe('personal:read');
    }
    // The read-only list names only workers that exist.
    for (const t of READS_ONLY) expect(WORKERS.map((w) => w.taskType)).toContain(t);
  });

  it('is personal:read for a worker that only reads when it returns a person’s data, and only then', async () => {
    for (const t of READS_ONLY) {
      const w = WORKERS.find((x) => x.taskType === t);
      expect(READS_SAMPLE[t], `${t}: add its sample variables to READS_SAMPLE`).toBeDefined();
      if (!w || !READS_SAMPLE[t]) continue;
      const returned = JSON.stringify(await runRead(w, READS_SAMPLE[t]));
      const personal = Object.entries(SECRETS).filter(([, v]) => returned.includes(v));
      if (personal.length > 0) {
        expect(w.permission, `${t} returns ${personal.map(([k]) => k).join(', ')}`).toBe('personal:read');
      } else {
        expect(w.permission, `${t} returns no personal data`).not.toBe('personal:read');
      }
    }
  });

  it('is cup:contact for the sports-group plan, which records the plan (it is no read)', () => {
    expect(READS_ONLY).not.toContain('plan-sports-group');
    expect(WORKERS.find((w) => w.taskType === 'plan-sports-group')?.permission).toBe('cup:contact');
  });

  it('asks citizens’ contacts of the CUP workers, back-office batches of the reminder run, and retention of its worker', () => {
    const of = (t: string) => WORKERS.find((w) => w.taskType === t)?.permission;
    expect(of('cancel-appointment')).toBe('cup:contact');
    expect(of('book-slot')).toBe('cup:contact');
    expect(of('send-sms')).toBe('cup:contact');
    expect(of('send-reminder-batch')).toBe('cup:manage');
    expect(of('apply-retention')).toBe('retention:manage');
    expect(of('find-recall-candidate')).toBe('personal:read');
    expect(of('load-cleanup-contact')).toBe('personal:read');
    expect(permissionsOf(['admin'])).toContain('retention:manage');
    expect(permissionsOf(['analyst'])).not.toContain('cup:contact');
    for (const p of PERMISSIONS) expect(PERMISSION_LABELS[p], p).toBeTruthy();
  });
});

describe('what a model makes workers do', () => {
  it('names the tasks of a timer model that cancel appointments or change the retention', async () => {
    const cancel = await modelNeeds(await readBpmn(timerModel('x', 'cancel-appointment')), WORKERS, noCalls);
    // The call activity's process is computed at run time: it could be any, so it needs everything.
    expect(Object.keys(cancel)).toEqual(EVERY);
    expect(EVERY).toEqual(expect.arrayContaining(['cup:contact', 'cup:manage', 'personal:read', 'retention:manage']));
    expect(cancel['cup:contact']?.map((e) => e.elementId)).toEqual(['work', 'call']);
    expect(missingPermissions(cancel, permissionsOf(['analyst']))).toEqual(EVERY);
    expect(needReasons(cancel).find((r) => r.permission === 'cup:contact')?.message).toMatch(
      /«Lavoro notturno» \(work\), attività «cancel-appointment»/,
    );
  });

  it('needs nothing for read-only workers or unknown topics, everything for a topic computed at run time', async () => {
    const plain = (xml: string) => xml.replace(/<bpmn:callActivity[^>]*\/>/, '');
    const read = await modelNeeds(await readBpmn(plain(timerModel('x', 'propose-slots'))), WORKERS, noCalls);
    expect(read).toEqual({});
    const unknown = await modelNeeds(await readBpmn(plain(timerModel('x', 'nessuno'))), WORKERS, noCalls);
    expect(unknown).toEqual({});
    const retention = await modelNeeds(
      await readBpmn(plain(timerModel('x', 'apply-retention', { personalDataDays: '1', auditDays: '30' }))),
      WORKERS,
      noCalls,
    );
    expect(Object.keys(retention)).toEqual(['retention:manage']);
    expect(missingPermissions(retention, permissionsOf(['supervisor']))).toEqual(['retention:manage']);
    expect(missingPermissions(retention, permissionsOf(['admin']))).toEqual([]);
    const computed = await modelNeeds(await readBpmn(plain(timerModel('x', '${topic}'))), WORKERS, noCalls);
    expect(Object.keys(computed)).toEqual(EVERY);
  });

  it('needs personal:read for a read worker that returns a patient, which an analyst lacks', async () => {
    const plain = (xml: string) => xml.replace(/<bpmn:callActivity[^>]*\/>/, '');
    const candidate = await modelNeeds(
      await readBpmn(plain(timerModel('x', 'find-recall-candidate'))),
      WORKERS,
      noCalls,
    );
    expect(Object.keys(candidate)).toEqual(['personal:read']);
    expect(missingPermissions(candidate, permissionsOf(['analyst']))).toEqual(['personal:read']);
    expect(missingPermissions(candidate, permissionsOf(['supervisor']))).toEqual([]);
    expect(missingPermissions(candidate, permissionsOf(['admin']))).toEqual(['personal:read']);
  });

  it('counts what a called process’s own tasks need (cup-booking books and sends SMS)', async () => {
    const caller = timerModel('x', 'propose-slots').replace('${target}', 'cup-booking');
    const booking = await readBpmn(readFileSync(path.join(processesDir, 'cup-booking.bpmn'), 'utf8'));
    const needs = await modelNeeds(await readBpmn(caller), WORKERS, (id) =>
      Promise.resolve(id === 'cup-booking' ? booking : undefined),
    );
    expect(Object.keys(needs)).toEqual(['cup:contact']);
    expect(needs['cup:contact']?.[0]).toMatchObject({ elementId: 'call', calledProcess: 'cup-booking' });
    expect(needReasons(needs)[0]?.message).toMatch(/avvia il processo «cup-booking»/);
    // Pinned to another version than the newest (refused from the modeler): anything.
    const pinned = caller.replace(
      'calledElement="cup-booking"',
      'calledElement="cup-booking" camunda:calledElementBinding="version" camunda:calledElementVersion="1"',
    );
    const pinnedNeeds = await modelNeeds(await readBpmn(pinned), WORKERS, () => Promise.resolve(undefined));
    expect(Object.keys(pinnedNeeds)).toEqual(EVERY);
  });
});
