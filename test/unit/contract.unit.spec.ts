import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readBpmn, type BpmnElementInfo, type BpmnProcessInfo } from '../../platform/engine/bpmn-model.js';
import { Templates } from '../../domain/templates.js';
import { KNOWN_GROUPS } from '../../domain/access/roles.js';
import { WORKERS } from '../../workers/registry.js';
import { BPMN_ERRORS } from '../../workers/framework/bpmn-errors.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const processesDir = path.join(PROJECT_ROOT, 'processes');
const bpmnFiles = readdirSync(processesDir).filter((f) => f.endsWith('.bpmn'));
const formIds = readdirSync(processesDir)
  .filter((f) => f.endsWith('.form'))
  .map((f) => (JSON.parse(readFileSync(path.join(processesDir, f), 'utf8')) as { id: string }).id);

async function allProcesses(): Promise<(BpmnProcessInfo & { file: string })[]> {
  const out: (BpmnProcessInfo & { file: string })[] = [];
  for (const file of bpmnFiles) {
    out.push(...(await readBpmn(readFileSync(path.join(processesDir, file), 'utf8'))).map((p) => ({ ...p, file })));
  }
  return out;
}

async function allElements(): Promise<(BpmnElementInfo & { file: string })[]> {
  return (await allProcesses()).flatMap((p) => p.elements.map((e) => ({ ...e, file: p.file })));
}

const SERVICE_TASKS = new Set(['ServiceTask', 'SendTask', 'BusinessRuleTask']);

describe('contract between processes/, workers/ and templates/', () => {
  it('names every process file after its process id', async () => {
    for (const file of bpmnFiles) {
      const processes = await readBpmn(readFileSync(path.join(processesDir, file), 'utf8'));
      expect(processes.map((p) => `${p.id}.bpmn`)).toContain(file);
    }
  });

  it('gives every process a history time to live (the engine refuses one without it)', async () => {
    for (const p of await allProcesses()) {
      expect(p.historyTimeToLive, `${p.file}#${p.id} camunda:historyTimeToLive`).toMatch(/^(\d+|P\w+)$/);
    }
  });

  it('runs every service, send and business-rule task as an external task with a topic', async () => {
    const tasks = (await allElements()).filter((e) => SERVICE_TASKS.has(e.type));
    expect(tasks.length).toBeGreaterThan(0);
    for (const t of tasks) {
      expect(t.implementation, `${t.file}#${t.id} implementation`).toBe('external');
      expect(t.taskType, `${t.file}#${t.id} camunda:topic`).toBeTruthy();
    }
  });

  it('has a worker for every topic in the models, and every worker is used', async () => {
    const types = new Set((await allElements()).map((e) => e.taskType).filter((t): t is string => Boolean(t)));
    const registered = new Set(WORKERS.map((w) => w.taskType));
    for (const t of types) expect(registered, `no worker for topic ${t}`).toContain(t);
    for (const w of registered) expect(types, `worker ${w} is used by no model`).toContain(w);
    expect(WORKERS.length).toBe(registered.size);
  });

  it('finds every template a task references', async () => {
    const templates = new Templates(path.join(PROJECT_ROOT, 'templates'));
    const referenced = (await allElements()).filter((e) => e.headers['template']);
    expect(referenced.length).toBeGreaterThan(0);
    for (const e of referenced) {
      expect(
        // send-mail renders templates/email, the SMS workers templates/sms.
        templates.has(e.taskType === 'send-mail' ? 'email' : 'sms', e.headers['template'] ?? ''),
        `${e.file}#${e.id}: template ${e.headers['template']}`,
      ).toBe(true);
    }
  });

  it('gives every user task a form of processes/ and candidate groups some role works', async () => {
    const userTasks = (await allElements()).filter((e) => e.type === 'UserTask');
    expect(userTasks.length).toBeGreaterThan(0);
    for (const t of userTasks) {
      expect(formIds, `${t.file}#${t.id} camunda:formRef`).toContain(t.formId);
      const groups = (t.candidateGroups ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean);
      expect(groups.length, `${t.file}#${t.id} camunda:candidateGroups`).toBeGreaterThan(0);
      for (const g of groups) expect(KNOWN_GROUPS, `${t.file}#${t.id} candidate group ${g}`).toContain(g);
    }
  });

  it('catches every BPMN error code a worker may throw, and documents each external task with its worker', async () => {
    const elements = await allElements();
    const caught = new Set(elements.map((e) => e.caughtErrorCode).filter(Boolean));
    for (const code of Object.keys(BPMN_ERRORS)) expect(caught, `error ${code} is caught nowhere`).toContain(code);
    for (const e of elements.filter((x) => x.taskType)) {
      expect(e.documentation ?? '', `${e.file}#${e.id} documentation`).toContain(`Worker: ${e.taskType}`);
    }
  });
});
