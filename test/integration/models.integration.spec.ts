import { KNOWN_GROUPS } from '../../domain/access/roles.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, type RunningApp } from '../../app.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';

/** A one-step process for these tests, under a process id of its own. */
function model(id: string, userTask: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="d" targetNamespace="t" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.23.0">
  <bpmn:process id="${id}" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    ${userTask}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
}
const BARE_TASK = `<bpmn:userTask id="work" name="Lavoro" />`;
const GOOD_TASK = `<bpmn:userTask id="work" name="Lavoro" camunda:formRef="cup-escalation" camunda:formRefBinding="latest" camunda:candidateGroups="cup-back-office" />`;

describe('deploying models and forms through the API', () => {
  let app: RunningApp;
  let analyst: ApiClient;
  beforeAll(async () => {
    app = await startTestApp();
    analyst = apiAs(app, 'analista.api', ['analyst']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses a model that breaks the platform’s rules, naming the element and the rule', async () => {
    const res = await analyst.post<{ errors: { field: string; message: string }[] }>('/api/models/deploy', {
      name: 'it-models-rules.bpmn',
      content: model('it-models-rules', BARE_TASK),
      comment: 'prova',
    });
    expect(res.status).toBe(400);
    const messages = res.body.errors.filter((e) => e.field === 'work').map((e) => e.message);
    expect(messages.join('\n')).toMatch(/non ha un modulo/);
    expect(messages.join('\n')).toMatch(/non ha un gruppo candidato/);
    const rows: unknown[] = await app.db.query(
      `SELECT 1 FROM resource_deployments WHERE resource_name = 'it-models-rules.bpmn'`,
    );
    expect(rows).toEqual([]);
  });

  it('refuses, even with the override, a model that would make the engine run code', async () => {
    for (const [name, task] of [
      [
        'it-models-code',
        `<bpmn:userTask id="work" name="Lavoro" camunda:formRef="cup-escalation" camunda:candidateGroups="cup-back-office" camunda:assignee="\${&quot;&quot;.getClass().forName(&quot;java.lang.Runtime&quot;)}" />`,
      ],
      [
        'it-models-script',
        `<bpmn:scriptTask id="work" name="Lavoro" scriptFormat="javascript"><bpmn:script>1</bpmn:script></bpmn:scriptTask>`,
      ],
    ] as const) {
      const res = await analyst.post<{ errors: { message: string }[] }>('/api/models/deploy', {
        name: `${name}.bpmn`,
        content: model(name, task),
        comment: 'prova di sicurezza',
        override: true,
      });
      expect(res.status, name).toBe(400);
      expect(res.body.errors.map((e) => e.message).join(' '), name).toMatch(/non (è|sono) ammess/);
      expect(await app.engine.latestDefinition(name), name).toBeUndefined();
    }
  });

  it('deploys it anyway when the analyst confirms the override, and says so in the history and the audit log', async () => {
    const res = await analyst.post<{ deployed: { version: number }; warnings: unknown[] }>('/api/models/deploy', {
      name: 'it-models-rules.bpmn',
      content: model('it-models-rules', BARE_TASK),
      comment: 'bozza per la demo',
      override: true,
    });
    expect(res.status).toBe(201);
    expect(res.body.warnings.length).toBeGreaterThan(0);
    const versions = await analyst.get<{ items: { comment: string; deployedBy: string; source: string }[] }>(
      '/api/models/it-models-rules/versions',
    );
    expect(versions.body.items[0]).toMatchObject({
      comment: 'bozza per la demo [distribuito con avvisi]',
      deployedBy: 'analista.api',
      source: 'modeler',
    });
    const audit: { detail: { override: boolean } }[] = await app.db.query(
      `SELECT detail FROM audit_events WHERE actor = 'analista.api' AND action = 'model.deployed' AND subject_id = 'it-models-rules'`,
    );
    expect(audit[0]?.detail.override).toBe(true);
  });

  it('deploys a clean model as a new version; a rollback redeploys an earlier one as the newest', async () => {
    const first = await analyst.post<{ deployed: { version: number } }>('/api/models/deploy', {
      name: 'it-models-rules.bpmn',
      content: model('it-models-rules', GOOD_TASK),
      comment: 'modulo e gruppo aggiunti',
    });
    expect(first.status).toBe(201);
    const versions = await analyst.get<{ items: { id: string; version: number }[] }>(
      '/api/models/it-models-rules/versions',
    );
    const older = versions.body.items.find((v) => v.version === first.body.deployed.version - 1);
    const rolled = await analyst.post<{ deployed: { version: number } }>(
      `/api/models/deployments/${older?.id}/rollback`,
      {
        comment: 'torna alla bozza',
      },
    );
    expect(rolled.status).toBe(201);
    expect(rolled.body.deployed.version).toBe(first.body.deployed.version + 1);
    // The engine starts new instances on the rolled-back version.
    expect((await app.engine.latestDefinition('it-models-rules'))?.version).toBe(rolled.body.deployed.version);
    const newest = await analyst.get<{ content: string }>(
      `/api/models/deployments/${(await analyst.get<{ items: { id: string }[] }>('/api/models/it-models-rules/versions')).body.items[0]?.id}`,
    );
    expect(newest.body.content).toBe(model('it-models-rules', BARE_TASK));
  });

  it('rolls back to what the modeler deployed even after a newer version came from the repository', async () => {
    const b = await analyst.post<{ deployed: { version: number } }>('/api/models/deploy', {
      name: 'it-models-mixed.bpmn',
      content: model('it-models-mixed', GOOD_TASK),
      comment: 'versione del modellatore',
    });
    expect(b.status).toBe(201);
    // A restart deploys a newer file of the repository (what `deployRepository` does).
    const c = await app.deployer.deploy({
      name: 'it-models-mixed.bpmn',
      content: model('it-models-mixed', GOOD_TASK.replace('name="Lavoro"', 'name="Lavoro nuovo"')),
      source: 'repository',
    });
    expect(c.deployed?.version).toBe(b.body.deployed.version + 1);
    const versions = await analyst.get<{ items: { id: string; version: number }[] }>(
      '/api/models/it-models-mixed/versions',
    );
    const fromModeler = versions.body.items.find((v) => v.version === b.body.deployed.version);
    const rolled = await analyst.post<{ deployed: { version: number } }>(
      `/api/models/deployments/${fromModeler?.id}/rollback`,
      { comment: 'torna alla versione del modellatore' },
    );
    expect(rolled.status).toBe(201);
    expect(rolled.body.deployed.version).toBe(b.body.deployed.version + 2);
    const latest = await app.engine.latestDefinition('it-models-mixed');
    expect(latest?.version).toBe(rolled.body.deployed.version);
    expect(await app.engine.definitionXml(latest?.id ?? '')).toContain('name="Lavoro"');
  });

  it('checks names and forms: the file must be named after the process, a form must be its id and have components', async () => {
    const misnamed = await analyst.post('/api/models/deploy', {
      name: 'altro-nome.bpmn',
      content: model('it-models-rules', GOOD_TASK),
      comment: 'nome sbagliato',
    });
    expect(misnamed.status).toBe(400);
    const notJson = await analyst.post('/api/models/deploy', { name: 'it-form.form', content: '{', comment: 'rotto' });
    expect(notJson.status).toBe(400);
    const wrongId = await analyst.post('/api/models/deploy', {
      name: 'it-form.form',
      content: JSON.stringify({ id: 'altro', type: 'default', components: [] }),
      comment: 'id sbagliato',
    });
    expect(wrongId.status).toBe(400);
    const form = await analyst.post<{ deployed: { resourceId: string } }>('/api/models/deploy', {
      name: 'it-form.form',
      content: JSON.stringify({ id: 'it-form', type: 'default', schemaVersion: 16, components: [] }),
      comment: 'nuovo modulo',
    });
    expect(form.status).toBe(201);
    expect(form.body.deployed.resourceId).toBe('it-form');
    const ctx = await analyst.get<{ formIds: string[]; taskTypes: string[]; groups: string[] }>(
      '/api/models/lint-context',
    );
    expect(ctx.body.formIds).toContain('it-form');
    expect(ctx.body.taskTypes).toContain('book-slot');
    expect(ctx.body.groups).toEqual(KNOWN_GROUPS);
    expect(ctx.body.groups).toEqual(
      expect.arrayContaining(['cup-back-office', 'cup-operators', 'helpdesk-back-office']),
    );
  });

  it('serves the repository’s files to open in the modeler, and nothing outside processes/', async () => {
    const files = await analyst.get<{ items: string[] }>('/api/models/files');
    expect(files.body.items).toContain('cup-booking.bpmn');
    const file = await analyst.get<{ content: string }>('/api/models/files/cup-booking.bpmn');
    expect(file.body.content).toBe(await readFile(path.join(PROJECT_ROOT, 'processes', 'cup-booking.bpmn'), 'utf8'));
    expect((await analyst.get('/api/models/files/..%2Fpackage.json')).status).toBe(400);
  });
});
