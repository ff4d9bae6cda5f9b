import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WORKERS } from '../../workers/registry.js';
import { PERMISSION_LABELS, PERMISSIONS, permissionsOf } from '../../domain/access/roles.js';
import { readBpmn } from '../../platform/engine/bpmn-model.js';
import { missingPermissions, modelNeeds, needReasons } from '../../domain/processes/model-permissions.js';

const processesDir = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'processes');

/**
 * Workers that only read (the CUP's agenda, a prescription, a contact's data) and change
 * nothing: a model may call them without anyone's approval. A worker not listed here must
 * declare the permission its effect needs, so a new worker cannot be forgotten.
 */
const READ_ONLY = [
  'check-prescription',
  'find-recall-candidate',
  'load-cleanup-contact',
  'plan-sports-group',
  'propose-slots',
];

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

describe('the permission each worker’s effect needs', () => {
  it('is declared by every worker of the registry, unless it only reads', () => {
    for (const w of WORKERS) {
      if (READ_ONLY.includes(w.taskType)) expect(w.permission, w.taskType).toBeUndefined();
      else expect(w.permission, `${w.taskType} must declare the permission its effect needs`).toBeDefined();
    }
    // The read-only list names only workers that exist.
    for (const t of READ_ONLY) expect(WORKERS.map((w) => w.taskType)).toContain(t);
  });

  it('asks citizens’ contacts of the CUP workers, back-office batches of the reminder run, and retention of its worker', () => {
    const of = (t: string) => WORKERS.find((w) => w.taskType === t)?.permission;
    expect(of('cancel-appointment')).toBe('cup:contact');
    expect(of('book-slot')).toBe('cup:contact');
    expect(of('send-sms')).toBe('cup:contact');
    expect(of('send-reminder-batch')).toBe('cup:manage');
    expect(of('apply-retention')).toBe('retention:manage');
    expect(permissionsOf(['admin'])).toContain('retention:manage');
    expect(permissionsOf(['analyst'])).not.toContain('cup:contact');
    for (const p of PERMISSIONS) expect(PERMISSION_LABELS[p], p).toBeTruthy();
  });
});

describe('what a model makes workers do', () => {
  it('names the tasks of a timer model that cancel appointments or change the retention', async () => {
    const cancel = await modelNeeds(await readBpmn(timerModel('x', 'cancel-appointment')), WORKERS, noCalls);
    // The call activity's process is computed at run time: it could be any, so it needs everything.
    expect(Object.keys(cancel)).toEqual(['cup:contact', 'cup:manage', 'retention:manage']);
    expect(cancel['cup:contact']?.map((e) => e.elementId)).toEqual(['work', 'call']);
    expect(missingPermissions(cancel, permissionsOf(['analyst']))).toEqual([
      'cup:contact',
      'cup:manage',
      'retention:manage',
    ]);
    expect(needReasons(cancel)[0]?.message).toMatch(/«Lavoro notturno» \(work\), attività «cancel-appointment»/);
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
    expect(Object.keys(computed)).toEqual(['cup:contact', 'cup:manage', 'retention:manage']);
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
  });
});
