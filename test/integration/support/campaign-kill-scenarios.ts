import { randomInt, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { RunningApp } from '../../../app.js';
import { closeCampaignPackage } from '../../../workers/close-campaign-package.js';
import { openCampaignPackage } from '../../../workers/open-campaign-package.js';
import { recordCampaignOutcome } from '../../../workers/record-campaign-outcome.js';
import { recordCleanupOutcome } from '../../../workers/record-cleanup-outcome.js';
import { openTaskOf } from './booking.js';
import type { KillScenario } from './kill-harness.js';
import { apiAs, type ApiClient } from './test-app.js';

const supervisor = (app: RunningApp): ApiClient => apiAs(app, 'supervisore.kill.campagne', ['supervisor']);
const operator = (app: RunningApp): ApiClient => apiAs(app, 'helpdesk.kill.campagne', ['helpdesk-operator']);
const backOffice = (app: RunningApp): ApiClient => apiAs(app, 'backoffice.kill', ['back-office-1']);

/** A campaign of its own with `n` contacts (mobiles no other instance uses): the flow plans it and opens package 1. */
async function startedCampaign(app: RunningApp, n = 2): Promise<string> {
  const rows = Array.from({ length: n }, (_, i) => `Contatto kill ${i + 1},347${1_000_000 + randomInt(8_999_999)}`);
  const res = await supervisor(app).post<{ campaign: { processInstanceKey: string } }>('/api/campaigns', {
    kind: 'information',
    name: `Kill ${randomUUID().slice(0, 8)}`,
    csv: ['nome,telefono', ...rows].join('\n'),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.campaign.processInstanceKey;
}

/** A campaign of one contact, called: the instance goes on to record the outcome, then closes the package. */
async function calledCampaign(app: RunningApp): Promise<string> {
  const pi = await startedCampaign(app, 1);
  const api = operator(app);
  const call = await openTaskOf(api, pi, 'campaign-call', 'campaign-outbound');
  expect((await api.post(`/api/tasks/${call.key}/claim`)).status).toBe(200);
  const done = await api.post(`/api/tasks/${call.key}/complete`, {
    variables: { outcomeCode: 'INFORMATO', outcomeNote: 'Informato al primo tentativo' },
  });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return pi;
}

const packagesOf = (app: RunningApp, pi: string) =>
  app.db.query<{ package_no: number; contacts_total: number; started_at: Date | null; closed_at: Date | null }[]>(
    `SELECT p.package_no, p.contacts_total, p.started_at, p.closed_at
       FROM campaign_packages p JOIN campaigns c ON c.id = p.campaign_id
      WHERE c.process_instance_key = $1 ORDER BY p.package_no`,
    [pi],
  );

const contactsOf = (app: RunningApp, pi: string) =>
  app.db.query<{ reference: string | null; outcome_code: string | null; operator: string | null }[]>(
    `SELECT k.reference, k.outcome_code, k.operator
       FROM campaign_contacts k JOIN campaigns c ON c.id = k.campaign_id
      WHERE c.process_instance_key = $1 ORDER BY k.id`,
    [pi],
  );

const cleanupBookings = new Map<string, string>();

/** A cleanup of an agenda of its own with one booked patient, who will not come. */
async function cancelledCleanup(app: RunningApp): Promise<string> {
  const schedule = `it-kill-${randomUUID().slice(0, 8)}`;
  await app.db.query(
    `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, 'asp-lauria', '95.02', $1)`,
    [schedule],
  );
  const from = new Date(Date.now() + 40 * 86_400_000);
  const slots: { id: string }[] = await app.db.query(
    `INSERT INTO cup_slots (schedule_id, starts_at, ends_at) VALUES ($1, $2, $2::timestamptz + interval '10 minutes')
     RETURNING id::text AS id`,
    [schedule, from],
  );
  const booked = await app.workerDeps.cup.book({
    slotId: slots[0]?.id ?? '',
    patientId: 'pat-0003',
    serviceCode: '95.02',
    requestKey: `it:${schedule}`,
  });
  const api = backOffice(app);
  const started = await api.post<{ processInstanceKey: string }>('/api/cup/agenda-cleanups', {
    scheduleId: schedule,
    from: from.toISOString(),
    to: new Date(from.getTime() + 86_400_000).toISOString(),
  });
  expect(started.status).toBe(201);
  const pi = started.body.processInstanceKey;
  cleanupBookings.set(pi, booked.id);
  const call = await openTaskOf(api, pi, 'confirm-presence', 'cup-agenda-cleanup');
  expect((await api.post(`/api/tasks/${call.key}/claim`)).status).toBe(200);
  const done = await api.post(`/api/tasks/${call.key}/complete`, {
    variables: { presenceOutcome: 'cancelled', presenceNote: 'Si è già curato altrove' },
  });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  return pi;
}

const cleanupScenario: KillScenario = {
  worker: recordCleanupOutcome,
  site: 'cup',
  reach: cancelledCleanup,
  async verify(app, pi) {
    const id = cleanupBookings.get(pi) ?? '';
    expect((await app.workerDeps.cup.getAppointment(id))?.status).toBe('cancelled');
    expect(await contactsOf(app, pi)).toEqual([
      { reference: id, outcome_code: 'PRENOTAZIONE-DISDETTA', operator: 'backoffice.kill' },
    ]);
  },
};

/**
 * The campaign workers with a side effect (all in our own database), for the kill test in
 * kill.integration.spec.ts; and the cleanup's record worker, whose outcome now lands in the
 * campaign tables (it replaces that file's two record-cleanup-outcome scenarios, which read
 * the dropped `cup_cleanup_contacts`).
 */
export const CAMPAIGN_KILL_SCENARIOS: KillScenario[] = [
  {
    worker: openCampaignPackage,
    site: 'db',
    reach: (app) => startedCampaign(app),
    async verify(app, pi) {
      const [first, ...others] = await packagesOf(app, pi);
      expect(first).toMatchObject({ package_no: 1, contacts_total: 2, closed_at: null });
      expect(first?.started_at).toBeInstanceOf(Date);
      expect(others).toEqual([]);
      // The flow went on: both calls are out.
      await openTaskOf(operator(app), pi, 'campaign-call', 'campaign-outbound');
    },
  },
  {
    worker: recordCampaignOutcome,
    site: 'db',
    reach: calledCampaign,
    async verify(app, pi) {
      expect(await contactsOf(app, pi)).toEqual([
        { reference: null, outcome_code: 'INFORMATO', operator: 'helpdesk.kill.campagne' },
      ]);
    },
  },
  {
    worker: closeCampaignPackage,
    site: 'db',
    reach: calledCampaign,
    async verify(app, pi) {
      const packages = await packagesOf(app, pi);
      expect(packages).toHaveLength(1);
      expect(packages[0]?.closed_at).toBeInstanceOf(Date);
      const status: { status: string }[] = await app.db.query(
        'SELECT status FROM campaigns WHERE process_instance_key = $1',
        [pi],
      );
      expect(status).toEqual([{ status: 'completed' }]);
    },
  },
  cleanupScenario,
  // The record written after the cancel: dying around it leaves the booking cancelled, the outcome not yet written.
  { ...cleanupScenario, site: 'db' },
];
