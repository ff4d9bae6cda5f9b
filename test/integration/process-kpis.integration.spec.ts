import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';
import { testEngine } from './support/clock.js';
import { businessHoursBetween } from '../../domain/business-calendar.js';
import { dayInRome, nextDay } from '../../domain/time.js';
import type { ProcessDefinition } from '../../platform/engine/operaton.js';
import type { ElementsReport, VersionsReport } from '../../domain/kpi/process-kpis.js';

/** A process of its own for this run: review (user task) → act (external task) → done. */
const KEY = `kpi-probe-${Date.now().toString(36)}`;
const TOPIC = `${KEY}-act`;
const WORKER = 'process-kpis-test';

const model = (name: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="${KEY}" name="${name}" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="Revisione" />
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="act" />
    <bpmn:serviceTask id="act" name="Esecuzione" camunda:type="external" camunda:topic="${TOPIC}" />
    <bpmn:sequenceFlow id="f3" sourceRef="act" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>`;

/** Nearest rank, written out again here: the ⌈p·n/100⌉-th smallest. */
const rank = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.ceil((p * values.length) / 100) - 1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const engineMs = (s: string) => Date.parse(s.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));

describe('process KPIs from the engine history (K5)', () => {
  const engine = testEngine();
  let app: RunningApp;
  let regione: ApiClient;
  let v1: ProcessDefinition;
  let v2: ProcessDefinition;

  const start = async (definitionId: string) =>
    (await engine.request<{ id: string }>('POST', `/process-definition/${definitionId}/start`, { body: {} })).id;
  const completeReview = async (processInstanceId: string) => {
    const [task] = await engine.tasks({ processInstanceId });
    if (!task) throw new Error('no review task');
    await engine.completeTask(task.id, {});
  };
  /** Locks the one external task waiting (the tests drive one instance at a time). */
  const lockAct = async (processInstanceId: string) => {
    const [locked] = await engine.fetchAndLock(
      { workerId: WORKER, maxTasks: 1, topics: [{ topicName: TOPIC, lockDuration: 60_000 }] },
      { node: 0 },
    );
    if (locked?.processInstanceId !== processInstanceId) throw new Error('not the expected external task');
    return locked;
  };

  beforeAll(async () => {
    app = await startTestApp();
    regione = apiAs(app, 'regione.kpi', ['regione']);
    await engine.deploy({
      name: `${KEY}.bpmn`,
      source: 'test',
      resources: [{ name: `${KEY}.bpmn`, content: model('Sonda') }],
    });
    v1 = (await engine.latestDefinition(KEY)) as ProcessDefinition;

    // Four completed, each waiting a little longer at the review than the one before; one of
    // them had an incident at `act`, resolved by giving the task a retry.
    for (let i = 0; i < 4; i++) {
      const id = await start(v1.id);
      await sleep(150 * (i + 1));
      await completeReview(id);
      const task = await lockAct(id);
      if (i === 3) {
        await engine.externalTaskFailure(task.id, WORKER, { message: 'prova', retries: 0, retryTimeoutMs: 0 });
        await engine.setExternalTaskRetries(task.id, 1);
        await lockAct(id);
      }
      await engine.completeExternalTask(task.id, WORKER, {});
    }
    // One waiting at the review, one with an open incident at `act`, one cancelled at the review.
    await start(v1.id);
    const failing = await start(v1.id);
    await completeReview(failing);
    const failed = await lockAct(failing);
    await engine.externalTaskFailure(failed.id, WORKER, { message: 'prova', retries: 0, retryTimeoutMs: 0 });
    await engine.deleteProcessInstance(await start(v1.id), 'annullata dal test');

    await engine.deploy({
      name: `${KEY}.bpmn`,
      source: 'test',
      resources: [{ name: `${KEY}.bpmn`, content: model('Sonda, seconda versione') }],
    });
    v2 = (await engine.latestDefinition(KEY)) as ProcessDefinition;
    const second = await start(v2.id);
    await completeReview(second);
    const task = await lockAct(second);
    await engine.completeExternalTask(task.id, WORKER, {});
    // The token waiting at the review now waits longer than any completed review took.
    await sleep(1000);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('counts per version the instances started, completed, cancelled, running and with incidents', async () => {
    expect(v2.version).toBe(v1.version + 1);
    const r = await regione.get<VersionsReport>(`/api/process-kpis?process=${KEY}`);
    expect(r.status).toBe(200);
    expect(r.body.period).toEqual({ from: null, to: null });
    expect(r.body.items.map((i) => [i.processDefinitionId, i.version])).toEqual([
      [v2.id, 2],
      [v1.id, 1],
    ]);
    const [second, first] = r.body.items;
    expect(first).toMatchObject({
      key: KEY,
      name: 'Sonda',
      started: 7,
      completed: 4,
      canceled: 1,
      running: 2,
      withIncidents: 2,
      withOpenIncidents: 1,
    });
    expect(second).toMatchObject({
      name: 'Sonda, seconda versione',
      started: 1,
      completed: 1,
      canceled: 0,
      running: 0,
      withIncidents: 0,
      withOpenIncidents: 0,
    });

    // The percentiles are the nearest-rank ones of the engine's own durations.
    const completed = await engine.historicProcessInstances({ processDefinitionId: v1.id, completed: true });
    expect(completed).toHaveLength(4);
    const durations = completed.map((i) => i.durationInMillis ?? -1);
    // Each waited at least 150, 300, 450, 600 ms at the review.
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(150);
    expect(first?.durationMs).toEqual({ p50: rank(durations, 50), p90: rank(durations, 90), p95: rank(durations, 95) });
    // The 2nd of four, then the 4th.
    expect(first?.durationMs.p50).toBe([...durations].sort((a, b) => a - b)[1]);
    expect(first?.durationMs.p90).toBe(Math.max(...durations));
    const hours = completed.map((i) =>
      businessHoursBetween(new Date(engineMs(i.startTime)), new Date(engineMs(i.endTime ?? ''))),
    );
    const h = (p: number) => Math.round((rank(hours, p) ?? 0) * 1e7) / 1e7;
    expect(first?.businessHours).toEqual({ p50: h(50), p90: h(90), p95: h(95) });

    // All processes: this one's rows are among them, the same.
    const all = await regione.get<VersionsReport>('/api/process-kpis');
    expect(all.body.items.filter((i) => i.key === KEY)).toEqual(r.body.items);
  });

  it('gives per element the runs, the waiting tokens, the time percentiles and the incident rate', async () => {
    const r = await regione.get<ElementsReport>(`/api/process-kpis/${encodeURIComponent(v1.id)}/elements`);
    expect(r.status).toBe(200);
    expect(r.body.definition).toEqual({ processDefinitionId: v1.id, key: KEY, name: 'Sonda', version: 1 });
    expect(r.body.instances).toBe(7);
    const byId = Object.fromEntries(r.body.items.map((e) => [e.activityId, e]));
    expect(Object.keys(byId).sort()).toEqual(['act', 'done', 'review', 'start']);
    expect(byId['start']).toMatchObject({ type: 'startEvent', count: 7, waitingNow: 0, incidents: 0 });
    expect(byId['review']).toMatchObject({
      name: 'Revisione',
      type: 'userTask',
      count: 7,
      waitingNow: 1,
      incidents: 0,
      openIncidents: 0,
      incidentRate: 0,
    });
    // Five reached `act`: one waits there on its open incident, one had an incident resolved.
    expect(byId['act']).toMatchObject({
      name: 'Esecuzione',
      type: 'serviceTask',
      count: 5,
      waitingNow: 1,
      incidents: 2,
      openIncidents: 1,
      incidentRate: 0.4,
    });
    expect(byId['done']).toMatchObject({ type: 'noneEndEvent', count: 4, waitingNow: 0 });

    // The review's times: the engine's durations, and the age at `computedAt` of the one waiting.
    const now = Date.parse(r.body.computedAt);
    const raw = await engine.request<{ startTime: string; endTime: string | null; durationInMillis: number | null }[]>(
      'GET',
      '/history/activity-instance',
      { query: { processDefinitionId: v1.id, activityId: 'review', maxResults: 100 } },
    );
    expect(raw).toHaveLength(7);
    const times = raw.map((a) => (a.endTime ? (a.durationInMillis ?? -1) : now - engineMs(a.startTime)));
    const waiting = raw.filter((a) => !a.endTime).map((a) => now - engineMs(a.startTime));
    expect(byId['review']).toMatchObject({
      medianMs: rank(times, 50),
      p90Ms: rank(times, 90),
      longestWaitingMs: waiting[0],
    });
    // The one waiting has waited longest of all: it is the 90th percentile (7th of 7).
    expect(byId['review']?.p90Ms).toBe(waiting[0]);
    expect(r.body.items[0]?.activityId).toBe('review');

    const second = await regione.get<ElementsReport>(`/api/process-kpis/${encodeURIComponent(v2.id)}/elements`);
    expect(second.body.items.map((e) => [e.activityId, e.count, e.incidents]).sort()).toEqual([
      ['act', 1, 0],
      ['done', 1, 0],
      ['review', 1, 0],
      ['start', 1, 0],
    ]);
    // The diagram for the overlay, from the models' endpoint.
    const xml = await regione.get<string>(`/api/process-definitions/${encodeURIComponent(v1.id)}/xml`);
    expect(xml.status).toBe(200);
  });

  it('keeps to the period (Rome days, the last included)', async () => {
    const today = dayInRome(new Date());
    const inPeriod = await regione.get<VersionsReport>(`/api/process-kpis?process=${KEY}&from=${today}&to=${today}`);
    expect(inPeriod.body.period).toEqual({ from: today, to: today });
    expect(inPeriod.body.items.map((i) => i.started)).toEqual([1, 7]);
    const later = await regione.get<VersionsReport>(`/api/process-kpis?process=${KEY}&from=${nextDay(today)}`);
    expect(later.body.items.map((i) => [i.version, i.started, i.durationMs.p50])).toEqual([
      [2, 0, null],
      [1, 0, null],
    ]);
    const elements = await regione.get<ElementsReport>(
      `/api/process-kpis/${encodeURIComponent(v1.id)}/elements?from=${nextDay(today)}`,
    );
    expect(elements.body).toMatchObject({ instances: 0, items: [] });
  });

  it('refuses bad parameters, unknown versions, and roles without the permission', async () => {
    const bad = await regione.get<{ errors: { field: string }[] }>('/api/process-kpis?from=2026-02-31');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e) => e.field)).toEqual(['from']);
    expect((await regione.get('/api/process-kpis?from=2026-12-10&to=2026-12-01')).status).toBe(400);
    expect((await regione.get('/api/process-kpis?process=not%20a%20key')).status).toBe(400);
    expect((await regione.get('/api/process-kpis/not%20an%20id/elements')).status).toBe(400);
    const unknown = await regione.get(`/api/process-kpis/${KEY}:99:nothing/elements`);
    expect(unknown.status).toBe(404);
    expect((await apiAs(app, 'operatore.kpi', ['operator']).get('/api/process-kpis')).status).toBe(403);
    expect((await apiAs(app, 'analista.kpi', ['analyst']).get(`/api/process-kpis?process=${KEY}`)).status).toBe(200);
  });
});
