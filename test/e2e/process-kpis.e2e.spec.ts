import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../app.js';
import { startTestApp } from '../integration/support/test-app.js';
import { testEngine } from '../integration/support/clock.js';
import { launchChromium, screenshot, signedIn } from './support/browser.js';
import type { ProcessDefinition } from '../../platform/engine/operaton.js';

/** A process of its own for this run, with its diagram: review (user task) → act (external task). */
const KEY = `kpi-e2e-${Date.now().toString(36)}`;
const TOPIC = `${KEY}-act`;
const WORKER = 'process-kpis-e2e';

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
  <bpmndi:BPMNDiagram id="dia">
    <bpmndi:BPMNPlane id="plane" bpmnElement="${KEY}">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="150" y="122" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="240" y="100" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="act_di" bpmnElement="act"><dc:Bounds x="420" y="100" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="done_di" bpmnElement="done"><dc:Bounds x="600" y="122" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="186" y="140" /><di:waypoint x="240" y="140" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="340" y="140" /><di:waypoint x="420" y="140" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="520" y="140" /><di:waypoint x="600" y="140" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('process KPIs in the browser', () => {
  const engine = testEngine();
  let app: RunningApp;
  let browser: Browser;
  let v1: ProcessDefinition;
  let v2: ProcessDefinition;

  const start = async (definitionId: string) =>
    (await engine.request<{ id: string }>('POST', `/process-definition/${definitionId}/start`, { body: {} })).id;
  const completeReview = async (processInstanceId: string) => {
    const [task] = await engine.tasks({ processInstanceId });
    if (!task) throw new Error('no review task');
    await engine.completeTask(task.id, {});
  };
  const lockAct = async (processInstanceId: string) => {
    const [locked] = await engine.fetchAndLock(
      { workerId: WORKER, maxTasks: 1, topics: [{ topicName: TOPIC, lockDuration: 60_000 }] },
      { node: 0 },
    );
    if (locked?.processInstanceId !== processInstanceId) throw new Error('not the expected external task');
    return locked;
  };
  const deploy = async (name: string) => {
    await engine.deploy({
      name: `${KEY}.bpmn`,
      source: 'test',
      resources: [{ name: `${KEY}.bpmn`, content: model(name) }],
    });
    return (await engine.latestDefinition(KEY)) as ProcessDefinition;
  };

  beforeAll(async () => {
    app = await startTestApp();
    browser = await launchChromium();
    v1 = await deploy('Sonda');
    // Three completed, one waiting at the review, one with an open incident at `act`.
    for (let i = 0; i < 3; i++) {
      const id = await start(v1.id);
      await sleep(200 * (i + 1));
      await completeReview(id);
      await engine.completeExternalTask((await lockAct(id)).id, WORKER, {});
    }
    await start(v1.id);
    const failing = await start(v1.id);
    await completeReview(failing);
    const failed = await lockAct(failing);
    await engine.externalTaskFailure(failed.id, WORKER, { message: 'prova', retries: 0, retryTimeoutMs: 0 });
    v2 = await deploy('Sonda, seconda versione');
    const second = await start(v2.id);
    await completeReview(second);
    await engine.completeExternalTask((await lockAct(second)).id, WORKER, {});
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows the figures per version and, on the diagrams of two versions side by side, the waits per element', async () => {
    const person = await signedIn(browser, app, 'e2e.regione.kpi', ['regione']);
    const page = person.page;
    await page.getByRole('link', { name: 'Indicatori di processo' }).click();
    await page.getByRole('heading', { name: 'Indicatori di processo' }).waitFor();
    await page.getByLabel('Processo', { exact: true }).selectOption(KEY);

    const table = page.getByRole('table', { name: 'Indicatori per processo e versione' });
    const row1 = table.locator(`tr[data-definition-id="${v1.id}"]`);
    const row2 = table.locator(`tr[data-definition-id="${v2.id}"]`);
    await row1.waitFor();
    await row2.waitFor();
    // Only this process's versions once the choice has applied.
    await expect.poll(() => table.locator('tbody tr').count()).toBe(2);
    const cells = async (row: typeof row1) => (await row.locator('th, td').allInnerTexts()).slice(0, 7);
    // Process, version, started, completed, cancelled, running, with incidents (open now).
    expect(await cells(row1)).toEqual([KEY, 'v1', '5', '3', '0', '2', '1 (1)']);
    expect(await cells(row2)).toEqual([KEY, 'v2', '1', '1', '0', '0', '0 (0)']);
    // The durations of the completed ones: each waited at least 200 ms at the review.
    expect(await row1.locator('td').nth(6).innerText()).toMatch(/\d/);

    await page.getByRole('button', { name: `Esamina ${KEY} v1` }).click();
    const review = page.locator('.kpi-heat-label[data-element-id="review"]');
    await review.waitFor();
    // The numbers are on the diagram as text: five passed the review, one waits there.
    expect(await review.innerText()).toMatch(/^5× · med .+ · p90 .+\nin attesa 1$/);
    expect(await page.locator('.kpi-heat-label[data-element-id="act"]').innerText()).toMatch(
      /^4× · med .+ · p90 .+\nin attesa 1 · incidenti 25%$/,
    );
    expect(await page.locator('.kpi-heat-label[data-element-id="done"]').innerText()).toMatch(/^3× /);
    expect(await page.locator('.kpi-heat-tint').count()).toBe(4);
    // The same figures in a table beside the diagram, reachable with the keyboard.
    const elements = page.getByRole('table', { name: `Elementi di ${KEY} v1` });
    const act = elements.locator('tr[data-element-id="act"]');
    expect((await act.locator('th, td').allInnerTexts()).map((t) => t.trim())).toEqual([
      'Esecuzione act',
      'Attività di servizio',
      '4',
      '1',
      expect.any(String),
      expect.any(String),
      expect.any(String),
      '1 (1)',
      '25%',
    ]);
    const region = page.getByRole('region', { name: `Elementi di ${KEY} v1` });
    expect(await region.getAttribute('tabindex')).toBe('0');
    await region.focus();
    await page.locator(`[role="region"][aria-label="Elementi di ${KEY} v1"]:focus`).waitFor();
    await page.getByRole('group', { name: 'Legenda dei colori' }).waitFor();

    // The second version beside the first.
    await page.getByRole('button', { name: `Confronta con ${KEY} v2` }).click();
    const panes = page.getByTestId('kpi-panes');
    await panes.locator(`[data-definition-id="${v2.id}"] .kpi-heat-label[data-element-id="review"]`).waitFor();
    expect(await panes.locator(':scope > div').count()).toBe(2);
    expect(
      await panes.locator(`[data-definition-id="${v2.id}"] .kpi-heat-label[data-element-id="review"]`).innerText(),
    ).toMatch(/^1× · med .+ · p90 .+$/);
    expect(
      await panes.locator(`[data-definition-id="${v1.id}"] .kpi-heat-label[data-element-id="review"]`).innerText(),
    ).toMatch(/^5× /);
    // Colouring by the 90th percentile keeps the numbers.
    await page.getByLabel('90° percentile', { exact: true }).check();
    await panes.locator(`[data-definition-id="${v1.id}"] .kpi-heat-label[data-element-id="review"]`).waitFor();
    expect(page.url()).toContain('metric=p90Ms');
    await screenshot(page, 'process-kpis');
    expect(person.errors).toEqual([]);
  });
});
