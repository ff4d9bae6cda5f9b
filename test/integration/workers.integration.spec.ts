import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningApp } from '../../app.js';
import { EngineError } from '../../platform/engine/operaton.js';
import { createLogger } from '../../platform/logger.js';
import { Metrics } from '../../platform/metrics.js';
import { defineWorker } from '../../workers/framework/define.js';
import { TransientError } from '../../workers/framework/errors.js';
import { EffectStore } from '../../workers/framework/idempotency.js';
import { startWorkers, type RunningWorkers } from '../../workers/framework/runner.js';
import { testEngine } from './support/clock.js';
import { startTestApp, waitFor } from './support/test-app.js';

const PROCESS = (topic: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="probe-${topic}" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="s" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work" />
    <bpmn:serviceTask id="work" camunda:type="external" camunda:topic="${topic}">
      <bpmn:extensionElements><camunda:properties><camunda:property name="label" value="prova" /></camunda:properties></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e" /><bpmn:endEvent id="e" />
  </bpmn:process>
</bpmn:definitions>`;

/** The worker framework on the real engine: locks, retries, incidents. */
describe('external-task workers', () => {
  let app: RunningApp;
  const running: RunningWorkers[] = [];
  const engine = testEngine();

  const run = (defs: Parameters<typeof startWorkers>[0]['definitions'], lockMs: number) => {
    const w = startWorkers({
      engine,
      definitions: defs,
      deps: app.workerDeps,
      // The effects' lease is the lock, as in the app.
      effects: new EffectStore(app.db, lockMs),
      metrics: new Metrics(),
      log: createLogger('silent'),
      maxTasks: 4,
      pollMs: 1000,
      lockMs,
    });
    running.push(w);
    return w;
  };
  const deployAndStart = async (topic: string) => {
    await engine.deploy({
      name: `probe-${topic}.bpmn`,
      source: 'test',
      resources: [{ name: `probe-${topic}.bpmn`, content: PROCESS(topic) }],
    });
    return engine.startProcess(`probe-${topic}`, { variables: { n: 1 } });
  };

  beforeAll(async () => {
    // The platform's own workers are not needed: only the probes' topics are polled.
    app = await startTestApp({}, { workers: [] });
  });
  afterAll(async () => {
    for (const w of running) await w.close();
    await app?.stop();
  });

  it('keeps the lock of a handler that runs longer than the lock, so no other worker takes the task', async () => {
    let calls = 0;
    const slow = defineWorker({
      taskType: 'probe-slow',
      description: 'lavoro lungo',
      variables: z.object({ n: z.number() }),
      headers: z.object({ label: z.string() }),
      async handler({ variables, headers }) {
        calls++;
        await new Promise((r) => setTimeout(r, 5000));
        return { doubled: variables.n * 2, label: headers.label };
      },
    });
    // Two workers, as two processes would be, with a 2 s lock the handler outlives 2.5 times
    // (a 1 s lock left too little room on a loaded two-core CI machine).
    run([slow], 2000);
    run([slow], 2000);
    const started = await deployAndStart('probe-slow');
    await waitFor(
      async () => (await engine.historicProcessInstance(started.id))?.state === 'COMPLETED',
      'the slow instance',
    );
    expect(calls).toBe(1);
    const vars = await engine.historicVariables({ processInstanceId: started.id });
    expect(vars.find((v) => v.name === 'doubled')?.value).toBe(2);
    expect(vars.find((v) => v.name === 'label')?.value).toBe('prova');
  });

  it('waits for an effect left in doubt by a dead delivery without spending an attempt, then runs it once', async () => {
    let effects = 0;
    const doubtful = defineWorker({
      taskType: 'probe-doubt',
      description: 'effetto in dubbio',
      // One attempt only: spending it on the wait would end in an incident at once.
      retries: 1,
      variables: z.object({}).passthrough(),
      headers: z.object({}).passthrough(),
      async handler({ once }) {
        const sent = await once('k', () => {
          effects++;
          return Promise.resolve('inviato');
        });
        return { sent };
      },
    });
    // A delivery that claimed the effect a moment ago and died before finishing it.
    await app.db.query(
      `INSERT INTO job_effects (effect_key, task_type, job_key, result)
       VALUES ('probe-doubt:k', 'probe-doubt', 'dead', jsonb_build_object('state', 'running', 'owner', 'dead'))
       ON CONFLICT (effect_key) DO UPDATE SET result = EXCLUDED.result, created_at = now()`,
    );
    run([doubtful], 1500);
    const started = await deployAndStart('probe-doubt');
    await waitFor(
      async () => (await engine.historicProcessInstance(started.id))?.state === 'COMPLETED',
      'the instance past the doubtful effect',
    );
    expect(effects).toBe(1);
    expect(await engine.historicIncidents({ processInstanceId: started.id })).toEqual([]);
    const outcomes: { outcome: string; retries_left: number }[] = await app.db.query(
      `SELECT outcome, retries_left FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id`,
      [started.id],
    );
    expect(outcomes).toEqual([
      { outcome: 'retry', retries_left: 1 },
      { outcome: 'completed', retries_left: 1 },
    ]);
  });

  it('starts a process once per idempotency key, whatever the engine, which does not deduplicate starts', async () => {
    await deployAndStart('probe-start-once');
    const start = (key: string) =>
      app.workerDeps.starter.start({
        bpmnProcessId: 'probe-probe-start-once',
        businessKey: 'PROVA-1',
        variables: { n: 1 },
        startedBy: 'test',
        idempotencyKey: key,
      });
    // A delivery that started and died before recording it, then the retry.
    const first = await start('start-once:slot-1:pi-1');
    const again = await start('start-once:slot-1:pi-1');
    expect(again.processInstanceKey).toBe(first.processInstanceKey);
    const other = await start('start-once:slot-1:pi-2');
    expect(other.processInstanceKey).not.toBe(first.processInstanceKey);
    const all = await engine.historicProcessInstances({ processDefinitionKey: 'probe-probe-start-once' }, { max: 50 });
    // The one started by deployAndStart, and one per key.
    expect(all).toHaveLength(3);
  });

  it('retries a transient failure with backoff, then raises an incident in the engine with the reason', async () => {
    const attempts: number[] = [];
    const failing = defineWorker({
      taskType: 'probe-failing',
      description: 'sempre in errore',
      retries: 2,
      variables: z.object({}).passthrough(),
      headers: z.object({}).passthrough(),
      handler() {
        attempts.push(Date.now());
        return Promise.reject(new TransientError('servizio di prova non disponibile'));
      },
    });
    run([failing], 5000);
    const started = await deployAndStart('probe-failing');
    const incidents = await waitFor(
      async () => {
        const list = await engine.incidents({ processInstanceId: started.id });
        return list.length > 0 ? list : undefined;
      },
      'the incident',
      30_000,
    );
    expect(attempts).toHaveLength(2);
    // The engine held the task back for the backoff before the second attempt.
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(1900);
    expect(incidents[0]).toMatchObject({ incidentType: 'failedExternalTask', activityId: 'work' });
    expect(incidents[0]?.incidentMessage).toMatch(
      /Tentativi esauriti per probe-failing: servizio di prova non disponibile/,
    );
  });

  it('sends an outcome again when the engine’s optimistic lock refuses it, with no incident and no second run', async () => {
    let runs = 0;
    let refused = 0;
    const probe = defineWorker({
      taskType: 'probe-concurrent',
      description: 'completato al quinto invio',
      variables: z.object({}).passthrough(),
      headers: z.object({}).passthrough(),
      handler() {
        runs++;
        return Promise.resolve({ done: true });
      },
    });
    // The engine as a busy instance answers it: a concurrent update, four times in a row.
    const busy = Object.assign(Object.create(engine) as typeof engine, {
      completeExternalTask: (...args: Parameters<typeof engine.completeExternalTask>) => {
        if (refused < 4) {
          refused++;
          return Promise.reject(
            new EngineError(
              500,
              'OptimisticLockingException',
              "ENGINE-03005 Execution of 'UPDATE ExecutionEntity' failed. Entity was updated by another transaction concurrently.",
            ),
          );
        }
        return engine.completeExternalTask(...args);
      },
    });
    const w = startWorkers({
      engine: busy,
      definitions: [probe],
      deps: app.workerDeps,
      effects: new EffectStore(app.db, 5000),
      metrics: new Metrics(),
      log: createLogger('silent'),
      maxTasks: 4,
      pollMs: 1000,
      lockMs: 5000,
    });
    running.push(w);
    const started = await deployAndStart('probe-concurrent');
    await waitFor(
      async () => (await engine.historicProcessInstance(started.id))?.state === 'COMPLETED' || undefined,
      'the instance completed',
      20_000,
    );
    expect(refused).toBe(4);
    expect(runs).toBe(1);
    expect(await engine.incidents({ processInstanceId: started.id })).toEqual([]);
  });
});
