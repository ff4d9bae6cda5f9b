import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { readBpmn, type BpmnElementInfo } from '../../platform/engine/bpmn-model.js';
import { Templates } from '../../domain/templates.js';
import { WORKERS } from '../../workers/registry.js';
import { BPMN_ERRORS } from '../../workers/framework/bpmn-errors.js';
import { INSTANCE_END_JOB_TYPE } from '../../domain/processes/instances.js';

const processesDir = path.join(PROJECT_ROOT, 'processes');
const bpmnFiles = readdirSync(processesDir).filter((f) => f.endsWith('.bpmn'));
const formIds = readdirSync(processesDir)
  .filter((f) => f.endsWith('.form'))
  .map((f) => (JSON.parse(readFileSync(path.join(processesDir, f), 'utf8')) as { id: string }).id);

async function allElements(): Promise<(BpmnElementInfo & { file: string })[]> {
  const out: (BpmnElementInfo & { file: string })[] = [];
  for (const file of bpmnFiles) {
    for (const p of await readBpmn(readFileSync(path.join(processesDir, file), 'utf8'))) {
      out.push(...p.elements.map((e) => ({ ...e, file })));
    }
  }
  return out;
}

describe('contract between processes/, workers/ and templates/', () => {
  it('names every process file after its process id', async () => {
    for (const file of bpmnFiles) {
      const processes = await readBpmn(readFileSync(path.join(processesDir, file), 'utf8'));
      expect(processes.map((p) => `${p.id}.bpmn`)).toContain(file);
    }
  });

  it('records the end of every process instance with the end listener', async () => {
    for (const file of bpmnFiles) {
      for (const p of await readBpmn(readFileSync(path.join(processesDir, file), 'utf8'))) {
        expect(p.listeners, `${file} has no end listener`).toContainEqual({
          eventType: 'end',
          type: INSTANCE_END_JOB_TYPE,
        });
      }
    }
  });

  it('has a worker for every task type in the models, and every worker is used', async () => {
    const types = new Set((await allElements()).map((e) => e.taskType).filter((t): t is string => Boolean(t)));
    types.add(INSTANCE_END_JOB_TYPE);
    const registered = new Set(WORKERS.map((w) => w.taskType));
    for (const t of types) expect(registered, `no worker for task type ${t}`).toContain(t);
    for (const w of registered) expect(types, `worker ${w} is used by no model`).toContain(w);
    expect(WORKERS.length).toBe(registered.size);
  });

  it('finds every template a task references', async () => {
    const templates = new Templates(path.join(PROJECT_ROOT, 'templates'));
    const referenced = (await allElements()).filter((e) => e.headers['template']);
    expect(referenced.length).toBeGreaterThan(0);
    for (const e of referenced) {
      expect(
        templates.has('sms', e.headers['template'] ?? ''),
        `${e.file}#${e.id}: template ${e.headers['template']}`,
      ).toBe(true);
    }
  });

  it('gives every user task a deployed form and a candidate group, as a job-worker user task', async () => {
    const userTasks = (await allElements()).filter((e) => e.type === 'UserTask');
    expect(userTasks.length).toBeGreaterThan(0);
    for (const t of userTasks) {
      expect(formIds, `${t.file}#${t.id} form`).toContain(t.formId);
      expect(t.candidateGroups, `${t.file}#${t.id} candidate group`).toBeTruthy();
      expect(t.zeebeUserTask, `${t.file}#${t.id} must not be a zeebe:userTask`).toBe(false);
    }
  });

  it('catches every BPMN error code a worker may throw, and documents each service task with its worker', async () => {
    const elements = await allElements();
    const caught = new Set(elements.map((e) => e.caughtErrorCode).filter(Boolean));
    for (const code of Object.keys(BPMN_ERRORS)) expect(caught, `error ${code} is caught nowhere`).toContain(code);
    for (const e of elements.filter((x) => x.taskType)) {
      expect(e.documentation ?? '', `${e.file}#${e.id} documentation`).toContain(`Worker: ${e.taskType}`);
    }
  });
});
