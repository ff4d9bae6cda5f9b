import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { apiAs, startTestApp, type ApiClient } from './support/test-app.js';
import { testEngine } from './support/clock.js';

/**
 * A process started by a timer (far in the future: it must never fire during the tests) with
 * one external task on `topic`, or a user task when `topic` is undefined.
 */
function timerModel(id: string, topic: string | undefined, headers: Record<string, string> = {}): string {
  const props = Object.entries(headers)
    .map(([k, v]) => `<camunda:property name="${k}" value="${v}" />`)
    .join('');
  const work = topic
    ? `<bpmn:serviceTask id="work" name="Lavoro notturno" camunda:type="external" camunda:topic="${topic}">
        <bpmn:extensionElements><camunda:properties>${props}</camunda:properties></bpmn:extensionElements>
      </bpmn:serviceTask>`
    : `<bpmn:userTask id="work" name="Lavoro" camunda:formRef="cup-escalation" camunda:formRefBinding="latest" camunda:candidateGroups="cup-back-office" />`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="d" targetNamespace="t" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.23.0">
  <bpmn:process id="${id}" isExecutable="true" camunda:historyTimeToLive="30">
    <bpmn:startEvent id="start"><bpmn:timerEventDefinition id="timer"><bpmn:timeDate>2099-01-01T03:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    ${work}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>`;
}

/** A timer model whose call activity starts `called`, with the call activity's extra attributes. */
function callerModel(id: string, called: string, attrs = ''): string {
  return timerModel(id, undefined).replace(
    /<bpmn:userTask[^>]*\/>/,
    `<bpmn:callActivity id="work" name="Chiama" calledElement="${called}" ${attrs} />`,
  );
}

interface Reason {
  permission: string;
  message: string;
  elements: { elementId: string; topic: string }[];
}
interface Pending {
  status: 'pending-approval';
  message: string;
  missing: string[];
  reasons: Reason[];
  approval: { id: string; requestedBy: string };
}

describe('a model whose workers need more than its deployer holds waits for four eyes', () => {
  let app: RunningApp;
  let analyst: ApiClient;
  let supervisor: ApiClient;
  const engine = testEngine();
  beforeAll(async () => {
    app = await startTestApp();
    analyst = apiAs(app, 'analista.approvazioni', ['analyst']);
    supervisor = apiAs(app, 'supervisore.approvazioni', ['supervisor']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('does not deploy an analyst’s timer model that cancels appointments: 202, why, and nothing in the engine', async () => {
    const res = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-cancel.bpmn',
      content: timerModel('it-approval-cancel', 'cancel-appointment'),
      comment: 'disdetta notturna',
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('pending-approval');
    expect(res.body.message).toMatch(/non è stato distribuito: in attesa di approvazione/);
    expect(res.body.missing).toEqual(['cup:contact']);
    expect(res.body.reasons).toHaveLength(1);
    expect(res.body.reasons[0]).toMatchObject({
      permission: 'cup:contact',
      elements: [{ elementId: 'work', topic: 'cancel-appointment' }],
    });
    expect(res.body.reasons[0]?.message).toMatch(/«Lavoro notturno» \(work\), attività «cancel-appointment»/);
    expect(await engine.latestDefinition('it-approval-cancel')).toBeUndefined();
    const rows: unknown[] = await app.db.query(
      `SELECT 1 FROM resource_deployments WHERE resource_name = 'it-approval-cancel.bpmn'`,
    );
    expect(rows).toEqual([]);
    const audit: { detail: { missing: string[] } }[] = await app.db.query(
      `SELECT detail FROM audit_events WHERE actor = 'analista.approvazioni' AND action = 'model.approval-requested'
          AND subject_id = 'it-approval-cancel'`,
    );
    expect(audit[0]?.detail.missing).toEqual(['cup:contact']);
  });

  it('lets neither the requester nor someone who cannot see models approve; a supervisor approves and it is deployed, recording both', async () => {
    const req = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-cancel.bpmn',
      content: timerModel('it-approval-cancel', 'cancel-appointment'),
      comment: 'disdetta notturna, seconda richiesta',
    });
    expect(req.status).toBe(202);
    const id = req.body.approval.id;

    const own = await analyst.post<{ detail: string }>(`/api/models/approvals/${id}/approve`, {});
    expect(own.status).toBe(403);
    expect(own.body.detail).toMatch(/quattro occhi/);
    const operator = apiAs(app, 'operatore.approvazioni', ['operator']);
    expect((await operator.get('/api/models/approvals')).status).toBe(403);
    expect((await operator.post(`/api/models/approvals/${id}/approve`, {})).status).toBe(403);
    expect(await engine.latestDefinition('it-approval-cancel')).toBeUndefined();

    const list = await supervisor.get<{ items: { id: string; mayApprove: boolean; reasons: Reason[] }[] }>(
      '/api/models/approvals',
    );
    expect(list.status).toBe(200);
    expect(list.body.items.find((a) => a.id === id)).toMatchObject({ mayApprove: true });
    const detail = await supervisor.get<{ content: string; deployed: unknown }>(`/api/models/approvals/${id}`);
    expect(detail.body.content).toContain('cancel-appointment');
    expect(detail.body.deployed).toBeNull();

    const ok = await supervisor.post<{ deployed: { version: number }; approval: { status: string } }>(
      `/api/models/approvals/${id}/approve`,
      { note: 'verificato' },
    );
    expect(ok.status).toBe(201);
    expect(ok.body.approval.status).toBe('approved');
    const def = await engine.latestDefinition('it-approval-cancel');
    expect(def?.version).toBe(ok.body.deployed.version);
    const versions = await supervisor.get<{ items: { deployedBy: string; approvedBy: string; comment: string }[] }>(
      '/api/models/it-approval-cancel/versions',
    );
    expect(versions.body.items[0]).toMatchObject({
      deployedBy: 'analista.approvazioni',
      approvedBy: 'supervisore.approvazioni',
      comment: 'disdetta notturna, seconda richiesta',
    });
    const audit: { action: string }[] = await app.db.query(
      `SELECT action FROM audit_events WHERE actor = 'supervisore.approvazioni' AND subject_id = 'it-approval-cancel'
        ORDER BY id`,
    );
    expect(audit.map((a) => a.action)).toEqual(['model.approved', 'model.deployed']);
    // Decided: not again, and not refused afterwards.
    expect((await supervisor.post(`/api/models/approvals/${id}/approve`, {})).status).toBe(409);
    expect((await supervisor.post(`/api/models/approvals/${id}/refuse`, { note: 'ripensamento' })).status).toBe(409);
    expect((await supervisor.get<{ items: { id: string }[] }>('/api/models/approvals')).body.items).not.toContainEqual(
      expect.objectContaining({ id }),
    );

    // The first request (the previous test) is refused with a note.
    const first = (
      await supervisor.get<{ items: { id: string; comment: string }[] }>('/api/models/approvals')
    ).body.items.find((a) => a.comment === 'disdetta notturna');
    expect((await supervisor.post(`/api/models/approvals/${first?.id}/refuse`, { note: 'x' })).status).toBe(400);
    const refused = await supervisor.post<{ status: string; decisionNote: string }>(
      `/api/models/approvals/${first?.id}/refuse`,
      { note: 'sostituita dalla seconda richiesta' },
    );
    expect(refused.status).toBe(200);
    expect(refused.body).toMatchObject({ status: 'refused', decisionNote: 'sostituita dalla seconda richiesta' });
  });

  it('deploys once when two people approve at the same moment', async () => {
    const req = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-race.bpmn',
      content: timerModel('it-approval-race', 'send-sms', { template: 'cup-reminder' }),
      comment: 'SMS notturno',
    });
    expect(req.status).toBe(202);
    const other = apiAs(app, 'supervisore.due', ['supervisor']);
    await other.get('/api/models/approvals'); // signed in before the race
    const both = await Promise.all([
      supervisor.post(`/api/models/approvals/${req.body.approval.id}/approve`, {}),
      other.post(`/api/models/approvals/${req.body.approval.id}/approve`, {}),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await engine.latestDefinition('it-approval-race'))?.version).toBe(1);
    const rows: unknown[] = await app.db.query(
      `SELECT 1 FROM resource_deployments WHERE resource_name = 'it-approval-race.bpmn' AND status = 'deployed'`,
    );
    expect(rows).toHaveLength(1);
  });

  it('asks an administrator for a retention run with other periods; a supervisor may not approve it', async () => {
    const req = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-retention.bpmn',
      content: timerModel('it-approval-retention', 'apply-retention', { personalDataDays: '1', auditDays: '30' }),
      comment: 'conservazione di un giorno',
    });
    expect(req.status).toBe(202);
    expect(req.body.missing).toEqual(['retention:manage']);
    const bySupervisor = await supervisor.post<{ detail: string }>(
      `/api/models/approvals/${req.body.approval.id}/approve`,
      {},
    );
    expect(bySupervisor.status).toBe(403);
    expect(bySupervisor.body.detail).toMatch(/conservazione dei dati/);
    expect(await engine.latestDefinition('it-approval-retention')).toBeUndefined();
    const admin = apiAs(app, 'admin.approvazioni', ['admin']);
    const ok = await admin.post(`/api/models/approvals/${req.body.approval.id}/approve`, {});
    expect(ok.status).toBe(201);
    expect(await engine.latestDefinition('it-approval-retention')).toBeDefined();
  });

  it('deploys at once, as before, a model whose workers the analyst may drive (user tasks, read-only workers)', async () => {
    for (const [id, topic] of [
      ['it-approval-none', undefined],
      ['it-approval-read', 'propose-slots'],
    ] as const) {
      const res = await analyst.post<{ deployed: { version: number } }>('/api/models/deploy', {
        name: `${id}.bpmn`,
        content: timerModel(id, topic),
        comment: 'nessun effetto',
      });
      expect(res.status, id).toBe(201);
      expect((await engine.latestDefinition(id))?.version, id).toBe(res.body.deployed.version);
    }
  });

  it('asks the same for a rollback to a version whose workers need more than the analyst holds', async () => {
    const versions = await analyst.get<{ items: { id: string; version: number }[] }>(
      '/api/models/it-approval-cancel/versions',
    );
    const before = (await engine.latestDefinition('it-approval-cancel'))?.version;
    const res = await analyst.post<Pending>(`/api/models/deployments/${versions.body.items[0]?.id}/rollback`, {
      comment: 'di nuovo la disdetta',
    });
    expect(res.status).toBe(202);
    expect(res.body.missing).toEqual(['cup:contact']);
    expect((await engine.latestDefinition('it-approval-cancel'))?.version).toBe(before);
  });

  it('refuses a call pinned to an earlier version of the called process, whose tasks nobody weighed', async () => {
    // Version 1 cancels bookings (approved by a supervisor), version 2 does nothing.
    const v1 = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-pinned.bpmn',
      content: timerModel('it-approval-pinned', 'cancel-appointment'),
      comment: 'disdetta',
    });
    expect(v1.status).toBe(202);
    expect((await supervisor.post(`/api/models/approvals/${v1.body.approval.id}/approve`, {})).status).toBe(201);
    const v2 = await analyst.post('/api/models/deploy', {
      name: 'it-approval-pinned.bpmn',
      content: timerModel('it-approval-pinned', undefined),
      comment: 'niente più disdetta',
    });
    expect(v2.status).toBe(201);
    const newest = (await engine.latestDefinition('it-approval-pinned'))?.version ?? 0;

    for (const attrs of [
      `camunda:calledElementBinding="version" camunda:calledElementVersion="${newest - 1}"`,
      'camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="v1"',
      'camunda:calledElementBinding="deployment"',
    ]) {
      const res = await analyst.post<{ detail: string; errors?: { message: string }[] }>('/api/models/deploy', {
        name: 'it-approval-caller.bpmn',
        content: callerModel('it-approval-caller', 'it-approval-pinned', attrs),
        comment: 'chiama la prima versione',
        override: true,
      });
      expect(res.status, attrs).toBe(400);
      expect(JSON.stringify(res.body), attrs).toMatch(/ultima versione del processo chiamato/);
    }
    expect(await engine.latestDefinition('it-approval-caller')).toBeUndefined();
    // The newest version, which does nothing, deploys at once.
    const latest = await analyst.post('/api/models/deploy', {
      name: 'it-approval-caller.bpmn',
      content: callerModel('it-approval-caller', 'it-approval-pinned', 'camunda:calledElementBinding="latest"'),
      comment: 'chiama l’ultima versione',
      override: true,
    });
    expect(latest.status).toBe(201);
  });

  it('deploys outside the request’s lock: a deploy whose outcome cannot be recorded leaves it being approved, not pending, and a later approval records it', async () => {
    const req = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-record.bpmn',
      content: timerModel('it-approval-record', 'cancel-appointment'),
      comment: 'disdetta, registrazione che fallisce',
    });
    expect(req.status).toBe(202);
    const id = req.body.approval.id;
    // Recording the approval fails once the model is deployed (a database that goes away).
    await app.db.query(`
      CREATE OR REPLACE FUNCTION it_approval_record_fails() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'approved' AND NEW.resource_name = 'it-approval-record.bpmn' THEN
          RAISE EXCEPTION 'registrazione non riuscita';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER it_approval_record_fails BEFORE UPDATE ON model_approvals
        FOR EACH ROW EXECUTE FUNCTION it_approval_record_fails();`);
    let failed;
    try {
      failed = await supervisor.post(`/api/models/approvals/${id}/approve`, {});
    } finally {
      await app.db.query(`DROP TRIGGER it_approval_record_fails ON model_approvals;
        DROP FUNCTION it_approval_record_fails();`);
    }
    expect(failed.status).toBe(500);
    const live = await engine.latestDefinition('it-approval-record');
    expect(live).toBeDefined();
    const status = async () =>
      (
        await app.db.query<{ status: string; decided_by: string | null }[]>(
          `SELECT status, decided_by FROM model_approvals WHERE id = $1`,
          [id],
        )
      )[0];
    // Live in the engine, so not pending (before: pending, and approvable again as if nothing ran).
    expect(await status()).toEqual({ status: 'approving', decided_by: 'supervisore.approvazioni' });
    const other = apiAs(app, 'supervisore.tre', ['supervisor']);
    const listed = (
      await other.get<{ items: { id: string; status: string; mayApprove: boolean; whyNot?: string }[] }>(
        '/api/models/approvals',
      )
    ).body.items.find((a) => a.id === id);
    expect(listed).toMatchObject({ status: 'approving', mayApprove: false });
    expect(listed?.whyNot).toMatch(/in corso di approvazione da parte di supervisore\.approvazioni/);
    expect((await other.post(`/api/models/approvals/${id}/approve`, {})).status).toBe(409);
    expect((await other.post(`/api/models/approvals/${id}/refuse`, { note: 'annullo' })).status).toBe(409);

    // A claim left behind (the approver's process died) may be taken again after a while: the
    // engine's duplicate filtering gives back the same version, which is then recorded.
    await app.db.query(`UPDATE model_approvals SET decided_at = decided_at - interval '1 hour' WHERE id = $1`, [id]);
    const again = await other.post<{ approval: { status: string; version: number }; deployed: { version: number } }>(
      `/api/models/approvals/${id}/approve`,
      { note: 'ripresa' },
    );
    expect(again.status).toBe(201);
    expect(again.body.approval).toMatchObject({ status: 'approved', version: live?.version });
    expect((await engine.latestDefinition('it-approval-record'))?.version).toBe(live?.version);
    const rows: unknown[] = await app.db.query(
      `SELECT 1 FROM resource_deployments WHERE resource_name = 'it-approval-record.bpmn' AND status = 'deployed'`,
    );
    expect(rows).toHaveLength(1);
  });

  it('puts a request back to pending, with the problem, when the engine refuses the approved model', async () => {
    // A service task without an implementation: the lint rules' error, confirmed, and the engine's refusal.
    const content = timerModel('it-approval-refused', 'cancel-appointment').replace(
      '<bpmn:endEvent id="end" />',
      '<bpmn:serviceTask id="broken" name="Senza tipo" /><bpmn:endEvent id="end" />',
    );
    const req = await analyst.post<Pending>('/api/models/deploy', {
      name: 'it-approval-refused.bpmn',
      content,
      comment: 'con un compito senza tipo',
      override: true,
    });
    expect(req.status).toBe(202);
    const id = req.body.approval.id;
    const res = await supervisor.post<{ detail: string }>(`/api/models/approvals/${id}/approve`, {});
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/motore ha rifiutato/);
    expect(await engine.latestDefinition('it-approval-refused')).toBeUndefined();
    const row = (
      await app.db.query<{ status: string; decided_by: string | null; decision_note: string | null }[]>(
        `SELECT status, decided_by, decision_note FROM model_approvals WHERE id = $1`,
        [id],
      )
    )[0];
    expect(row).toMatchObject({ status: 'pending', decided_by: null });
    expect(row?.decision_note).toMatch(/supervisore\.approvazioni.*mandatory on serviceTask/s);
    // Still there to approve once fixed, or to refuse.
    expect((await supervisor.post(`/api/models/approvals/${id}/refuse`, { note: 'da correggere' })).status).toBe(200);
  });
});
