import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { findJava } from '../../platform/engine/java.js';
import { buildEngine, LocalEngine } from '../../platform/engine/local-engine.js';
import { EngineSetupError } from '../../platform/engine/process-util.js';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../platform/engine/operaton.js';
import { testEngine } from './support/clock.js';

const JSON_FORMAT = 'application/json';

/** The engine the platform builds (engine/): what it guarantees beyond the stock REST API. */
describe('the embedded Operaton engine', () => {
  it('answers no REST call without its credentials, nor with wrong ones', async () => {
    const url = `${inject('engineUrl')}/process-instance`;
    expect((await fetch(url)).status).toBe(401);
    const wrong = Buffer.from(`${inject('engineUser')}:not-the-password`).toString('base64');
    expect((await fetch(url, { headers: { authorization: `Basic ${wrong}` } })).status).toBe(401);
    const start = await fetch(`${inject('engineUrl')}/process-definition/key/cup-booking/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(start.status).toBe(401);
    expect(await testEngine().reachable()).toBe(true);
  });

  it('keeps objects and lists as JSON maps and lists that JUEL can read, and never builds other Java types', async () => {
    const engine = testEngine();
    await engine.deploy({
      name: 'engine-json-probe.bpmn',
      source: 'test',
      resources: [
        {
          name: 'engine-json-probe.bpmn',
          content: `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="engine-json-probe" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <bpmn:exclusiveGateway id="g" default="f3" />
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="yes"><bpmn:conditionExpression>\${plan.days.size() == 2 &amp;&amp; plan.club == "ASD Potenza"}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="no" />
    <bpmn:endEvent id="yes" /><bpmn:endEvent id="no" />
  </bpmn:process>
</bpmn:definitions>`,
        },
      ],
    });
    const started = await engine.startProcess('engine-json-probe', {
      variables: { plan: { club: 'ASD Potenza', days: ['2027-01-11', '2027-01-12'] } },
    });
    const path = (await engine.historicActivities(started.id)).map((a) => a.activityId);
    expect(path).toContain('yes');
    expect(path).not.toContain('no');

    const refused = await engine
      .request('POST', '/process-definition/key/engine-json-probe/start', {
        body: {
          variables: {
            plan: {
              type: 'Object',
              value: '{}',
              valueInfo: { objectTypeName: 'java.lang.ProcessBuilder', serializationDataFormat: JSON_FORMAT },
            },
          },
        },
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // Stored as text, but never turned into that class: reading it fails with our refusal.
    expect(refused).toBeInstanceOf(EngineError);
    expect((refused as EngineError).message).toMatch(/maps or lists/);
  });

  it('lets expressions see process variables, never the application behind the engine', async () => {
    const engine = testEngine();
    const probe = (condition: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="engine-bean-probe" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />
    <bpmn:exclusiveGateway id="g" default="f3" />
    <bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="yes"><bpmn:conditionExpression>\${${condition}}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="g" targetRef="no" />
    <bpmn:endEvent id="yes" /><bpmn:endEvent id="no" />
  </bpmn:process>
</bpmn:definitions>`;
    const deploy = (condition: string) =>
      engine.deploy({
        name: 'engine-bean-probe.bpmn',
        source: 'test',
        resources: [{ name: 'engine-bean-probe.bpmn', content: probe(condition) }],
      });
    // Spring beans of the engine application (its data source among them) are not names in JUEL.
    await deploy('dataSource != null');
    const refused = await engine.startProcess('engine-bean-probe', { variables: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(EngineError);
    expect((refused as EngineError).message).toMatch(/dataSource/);
    // A variable of that name is what the expression sees.
    const started = await engine.startProcess('engine-bean-probe', { variables: { dataSource: 'x' } });
    expect((await engine.historicActivities(started.id)).map((a) => a.activityId)).toContain('yes');
  });

  it('runs its history cleanup in a nightly window, so historyTimeToLive removes old instances', async () => {
    const config = await testEngine().request<{ batchWindowStartTime: string | null; enabled: boolean }>(
      'GET',
      '/history/cleanup/configuration',
    );
    expect(config.enabled).toBe(true);
    expect(config.batchWindowStartTime).toMatch(/T01:00/);
  });

  it('that cannot start says why in its own message, not only in its log file', { timeout: 90_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-engine-busy-'));
    // An earlier run's failure in the same log must not be taken for this one's.
    await writeFile(path.join(dir, 'engine.log'), 'EARLIER-RUN ***\nAPPLICATION FAILED TO START\nEARLIER-RUN reason\n');
    try {
      const java = await findJava(process.env.JAVA_HOME);
      // The port of the engine already running: Spring Boot stops with "already in use".
      const busy = new LocalEngine({
        jar: await buildEngine(path.join(PROJECT_ROOT, 'engine'), java, () => undefined),
        java,
        dataDir: dir,
        port: Number(new URL(inject('engineUrl')).port),
        jdbc: { url: 'jdbc:h2:mem:busy-port-probe', user: 'sa', password: '' },
        credentials: { user: 'probe', password: 'probe-password-0123456789' },
        heapMb: 256,
        log: () => undefined,
      });
      const err = await busy.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      await busy.stop();
      expect(err).toBeInstanceOf(EngineSetupError);
      expect((err as Error).message).toMatch(/exited with code 1/);
      expect((err as Error).message).toMatch(/already in use/);
      expect((err as Error).message).not.toContain('probe-password');
      expect((err as Error).message).not.toContain('EARLIER-RUN');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
