import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, type RunningApp } from '../../app.js';
import { versionOf } from '../../platform/engine/operaton.js';
import { startTestApp } from './support/test-app.js';

const probe = (documentation: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="deploy-probe-definitions" targetNamespace="https://regione.basilicata.it/contact-center">
  <bpmn:process id="deploy-probe" name="Sonda di distribuzione" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:documentation>${documentation}</bpmn:documentation>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

const broken = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="broken-definitions" targetNamespace="https://regione.basilicata.it/contact-center">
  <bpmn:process id="deploy-broken" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task-without-type" />
    <bpmn:serviceTask id="task-without-type" name="Senza tipo" />
    <bpmn:sequenceFlow id="f2" sourceRef="task-without-type" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;

describe('deploying processes/ on start', () => {
  let dir: string;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cc-deploy-'));
    await cp(path.join(PROJECT_ROOT, 'processes'), dir, { recursive: true });
    await writeFile(path.join(dir, 'deploy-probe.bpmn'), probe('prima versione'));
    await writeFile(path.join(dir, 'deploy-broken.bpmn'), broken);
  });
  afterAll(async () => {
    await app?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const restart = async () => {
    await app?.stop();
    app = await startTestApp({}, { processesDir: dir });
    return app;
  };

  it('reports a model the engine rejects with file, element and reason, and starts with the rest', async () => {
    const a = await restart();
    expect(a.deployReport.problems.map((p) => [p.file, p.element])).toEqual([
      ['deploy-broken.bpmn', 'task-without-type'],
    ]);
    // The engine's own parse error: a service task needs an implementation (an external topic).
    expect(a.deployReport.problems[0]?.reason).toMatch(/'type'.*mandatory on serviceTask/);
    expect(a.deployReport.deployed.map((d) => d.file)).toContain('deploy-probe.bpmn');
    expect((await fetch(`${a.url}/readyz`)).status).toBe(200);
    const rejected: { problem: string }[] = await a.db.query(
      `SELECT problem FROM resource_deployments WHERE resource_name = 'deploy-broken.bpmn' AND status = 'rejected'`,
    );
    expect(rejected.length).toBeGreaterThan(0);
  });

  it('redeploys a file only when it changed since it was last deployed from the repository', async () => {
    const a = await restart();
    expect(a.deployReport.unchanged).toEqual(
      expect.arrayContaining(['cup-booking.bpmn', 'cup-choose-slot.form', 'deploy-probe.bpmn']),
    );
    expect(a.deployReport.deployed.map((d) => d.file)).not.toContain('deploy-probe.bpmn');

    await writeFile(path.join(dir, 'deploy-probe.bpmn'), probe('seconda versione'));
    const b = await restart();
    const redeployed = b.deployReport.deployed.find((d) => d.file === 'deploy-probe.bpmn');
    expect(redeployed?.version).toBeGreaterThanOrEqual(2);
  });

  it("keeps a newer version an analyst deployed when the app restarts with the repository's older file", async () => {
    const a = await restart();
    const repoXml = await readFile(path.join(dir, 'deploy-probe.bpmn'), 'utf8');
    const analyst = await a.deployer.deploy({
      name: 'deploy-probe.bpmn',
      content: repoXml.replace('seconda versione', "versione dell'analista"),
      source: 'modeler',
      deployedBy: 'analista.uno',
      comment: 'testo della documentazione',
    });
    const analystVersion = analyst.deployed?.version ?? 0;
    expect(analystVersion).toBeGreaterThan(0);

    const b = await restart();
    expect(b.deployReport.unchanged).toContain('deploy-probe.bpmn');
    const started = await b.engine.startProcess('deploy-probe', { variables: {} });
    expect(versionOf(started.definitionId)).toBe(analystVersion);
  });
});
