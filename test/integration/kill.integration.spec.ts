import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { nextDay, dayInRome } from '../../domain/time.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../stand-ins/twilio/server.js';
import { READS_ONLY, WORKERS } from '../../workers/registry.js';
import { bookSlot } from '../../workers/book-slot.js';
import { cancelAppointment } from '../../workers/cancel-appointment.js';
import { moveAppointment } from '../../workers/move-appointment.js';
import { recordContactOutcome } from '../../workers/record-contact-outcome.js';
import { recordRecallOutcome } from '../../workers/record-recall-outcome.js';
import { bookSportsGroup } from '../../workers/book-sports-group.js';
import { closeSportsGroup } from '../../workers/close-sports-group.js';
import { planSportsGroup } from '../../workers/plan-sports-group.js';
import type { WorkerDefinition } from '../../workers/framework/define.js';
import { applyRetention } from '../../workers/apply-retention.js';
import type { UserTask, UserTaskDetail } from '../../domain/tasks/inbox.js';
import { sendReminderBatch } from '../../workers/send-reminder-batch.js';
import { sendSms } from '../../workers/send-sms.js';
import { startRecall } from '../../workers/start-recall.js';
import { openTicket } from '../../workers/open-ticket.js';
import { sendMail } from '../../workers/send-mail.js';
import { archiveMail } from '../../workers/archive-mail.js';
import { updateTicket } from '../../workers/update-ticket.js';
import { linkReply } from '../../workers/link-reply.js';
import { deliverLocally } from '../../adapters/mail/local-mailbox.js';
import { citizenMail, intakeOf, precheck } from './support/mail.js';
import { PEC_KILL_SCENARIOS } from './support/pec-kill-scenarios.js';
import { CAMPAIGN_KILL_SCENARIOS } from './support/campaign-kill-scenarios.js';
import { VOICE_KILL_SCENARIOS } from './support/voice-kill-scenarios.js';
import { KPI_KILL_SCENARIOS } from './support/kpi-kill-scenarios.js';
import { apiAs, startTestApp, twilioVia, waitFor, type ApiClient } from './support/test-app.js';
import { bookDay, openTaskOf, slotOptions, startBooking } from './support/booking.js';
import { testEngine } from './support/clock.js';
import {
  dieAt,
  KILL_POINTS,
  lastOutcomes,
  nextWorker,
  type KillPoint,
  type KillScenario,
} from './support/kill-harness.js';

let twilio: TwilioStandIn;
const operator = (app: RunningApp) => apiAs(app, 'operatore.kill', ['operator']);

/**
 * A proposed slot no earlier instance of this file chose: a killed delivery may hold a slot
 * it has not booked yet, and another instance choosing it would (rightly) find it taken.
 */
const chosen = new Set<string>();
function freshSlot(task: Parameters<typeof slotOptions>[0]): string {
  const slot = slotOptions(task).find((o) => !chosen.has(o.value))?.value;
  if (!slot) throw new Error('no fresh slot among the proposals');
  chosen.add(slot);
  return slot;
}

/** A booking started and its slot chosen: the instance goes on to book-slot. */
async function chosenBooking(app: RunningApp): Promise<string> {
  const api = operator(app);
  const started = await startBooking(api, { patientId: 'pat-0005' });
  const task = await openTaskOf(api, started.processInstanceKey);
  await api.post(`/api/tasks/${task.key}/claim`);
  const done = await api.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: freshSlot(task) } });
  expect(done.status).toBe(200);
  return started.processInstanceKey;
}

/**
 * A booking of its own on a monitored agenda in three days, for a cancellation to free, and
 * a patient booked there in 35 days whom the recall will offer the freed slot.
 */
async function monitoredBooking(app: RunningApp): Promise<{ id: string; slotId: string; candidateId: string }> {
  const schedule = `it-kill-${randomUUID().slice(0, 8)}`;
  await app.db.query(
    `INSERT INTO cup_schedules (id, structure_id, service_code, name, monitored) VALUES ($1, 'asm-matera', '89.7A.3', $1, true)`,
    [schedule],
  );
  const book = async (days: number, patientId: string) => {
    const start = new Date(Math.floor((Date.now() + days * 86_400_000) / 60_000) * 60_000);
    const slots: { id: string }[] = await app.db.query(
      `INSERT INTO cup_slots (schedule_id, starts_at, ends_at) VALUES ($1, $2, $2::timestamptz + interval '20 minutes') RETURNING id::text AS id`,
      [schedule, start],
    );
    return app.workerDeps.cup.book({
      slotId: slots[0]?.id ?? '',
      patientId,
      serviceCode: '89.7A.3',
      requestKey: `it:${schedule}:${days}`,
    });
  };
  const booked = await book(3, 'pat-0006');
  const candidate = await book(35, 'pat-0007');
  return { id: booked.id, slotId: booked.slotId, candidateId: candidate.id };
}

const backOffice = (app: RunningApp) => apiAs(app, 'backoffice.kill', ['back-office-1']);

/** Claims and completes a user task with these variables. */
async function complete(api: ApiClient, task: UserTaskDetail, variables: Record<string, unknown>): Promise<void> {
  expect((await api.post(`/api/tasks/${task.key}/claim`)).status).toBe(200);
  const done = await api.post(`/api/tasks/${task.key}/complete`, { variables });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
}

/** The open task of a process whose variable `name` is `value`. */
function taskWith(api: ApiClient, process: string, name: string, value: string): Promise<UserTaskDetail> {
  return waitFor(async () => {
    const list = await api.get<{ items: UserTask[] }>(`/api/tasks?process=${process}&limit=500`);
    for (const t of list.body.items) {
      const d = await api.get<UserTaskDetail>(`/api/tasks/${t.key}`);
      if (d.body.variables[name] === value) return d.body;
    }
    return undefined;
  }, `the ${process} task with ${name} ${value}`);
}

/**
 * A sports club of three athletes planned on a structure of its own (so no other instance
 * plans the same slots), waiting for the back office's decision.
 */
async function requestedGroup(app: RunningApp): Promise<{ pi: string; athletes: string[] }> {
  const tag = randomUUID().slice(0, 8);
  const structure = `it-kill-${tag}`;
  await app.db.query(
    `INSERT INTO cup_structures (id, name, organization, city, address) VALUES ($1, $1, 'ASP', 'Potenza', 'Via Prova 1')`,
    [structure],
  );
  await app.db.query(
    `INSERT INTO cup_schedules (id, structure_id, service_code, name) VALUES ($1, $1, '89.7B.9', $1)`,
    [structure],
  );
  const day = new Date(Math.floor((Date.now() + 10 * 86_400_000) / 86_400_000) * 86_400_000 + 8 * 3_600_000);
  await app.db.query(
    `INSERT INTO cup_slots (schedule_id, starts_at, ends_at)
     SELECT $1, $2::timestamptz + n * interval '20 minutes', $2::timestamptz + (n + 1) * interval '20 minutes'
       FROM generate_series(0, 5) AS n`,
    [structure, day],
  );
  const athletes: string[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `it-kill-${tag}-${i}`;
    await app.db.query(
      `INSERT INTO cup_patients (id, fiscal_code, given_name, family_name, birth_date)
       VALUES ($1, $2, 'Atleta', 'Prova', '2008-04-01')`,
      [id, `KK${tag.toUpperCase()}${String(i).padStart(6, '0')}`],
    );
    athletes.push(id);
  }
  const started = await backOffice(app).post<{ processInstanceKey: string }>('/api/cup/sports-groups', {
    clubName: 'ASD Prova Kill',
    structureId: structure,
    athletes,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { pi: started.body.processInstanceKey, athletes };
}

/** {@link requestedGroup}, planned and waiting for the back office's decision. */
async function plannedGroup(app: RunningApp): Promise<{ pi: string; task: UserTaskDetail; athletes: string[] }> {
  const { pi, athletes } = await requestedGroup(app);
  const task = await openTaskOf(backOffice(app), pi, 'confirm-plan', 'cup-sports-group');
  return { pi, task, athletes };
}

const groupStatus = async (app: RunningApp, pi: string) =>
  (await backOffice(app).get<{ status: string; bookings: unknown[] | null }>(`/api/cup/sports-groups/${pi}`)).body;

async function cancellation(app: RunningApp, body: Record<string, unknown> = {}): Promise<string> {
  const booked = await monitoredBooking(app);
  const res = await operator(app).post<{ processInstanceKey: string }>('/api/cup/cancellations', {
    appointmentId: booked.id,
    cancellationNote: 'Il paziente non può venire',
    ...body,
  });
  expect(res.status).toBe(201);
  return res.body.processInstanceKey;
}

const appointmentsOf = (app: RunningApp, pi: string): Promise<{ id: string; status: string; booking_code: string }[]> =>
  app.db.query(`SELECT id, status, booking_code FROM cup_appointments WHERE request_key LIKE $1`, [`pi:${pi}:%`]);

const variable = async (pi: string, name: string) =>
  (await testEngine().historicVariables({ processInstanceId: pi, variableName: name }))[0]?.value;

/** Messages Twilio took whose text names this booking code. */
const messagesNaming = (code: string) => twilio.messages.filter((m) => m.body.includes(code));

/** A citizen's mail in the local help desk mailbox, pre-checked for a ticket: the intake then opens, answers, archives. */
async function precheckedMail(app: RunningApp): Promise<string> {
  const messageId = `<kill-${randomUUID()}@example.test>`;
  const raw = await citizenMail({
    subject: 'Richiesta di assistenza servizi on line',
    text: 'Buongiorno, non riesco ad accedere al portale.',
    messageId,
    attachments: [{ filename: 'schermata.png', content: Buffer.from('immagine'), contentType: 'image/png' }],
  });
  await deliverLocally(app.db, 'helpdesk', raw);
  const { processInstanceId } = await intakeOf(app, messageId);
  const status = await precheck(apiAs(app, 'helpdesk.kill', ['helpdesk-back-office-1']), processInstanceId, {
    precheckOutcome: 'ticket',
    queue: 'Servizi on line',
  });
  if (status !== 200) throw new Error(`pre-check not completed: ${status}`);
  return processInstanceId;
}

/** A ticket of the local store escalated to a department: the third-level flow, at its queue move. */
async function escalatedTicket(app: RunningApp): Promise<string> {
  const ticket = await app.workerDeps.tickets.create({
    queue: 'Tributi CSB',
    subject: 'Ricorso su avviso di accertamento',
    requestor: 'mario.rossi@example.test',
    content: 'Richiesta completa.',
    requestKey: `kill:${randomUUID()}`,
  });
  const started = await app.workerDeps.starter.start({
    bpmnProcessId: 'helpdesk-third-level',
    businessKey: `KILL-${randomUUID().slice(0, 8)}`,
    startedBy: 'kill-test',
    variables: {
      ticketId: ticket.id,
      mailId: randomUUID(),
      hasRequester: false,
      departmentQueue: 'Dipartimento Tributi',
    },
  });
  return started.processInstanceKey;
}

/** A citizen's answer, `[Ticket #N]` in its subject, to the ticket of an earlier mail: the intake at link-reply. */
async function replyToTicket(app: RunningApp): Promise<string> {
  const first = await precheckedMail(app);
  const ticketId = await waitFor(async () => (await mailOf(app, first)).ticket_id ?? undefined, 'the first ticket');
  const messageId = `<kill-reply-${randomUUID()}@example.test>`;
  await deliverLocally(
    app.db,
    'helpdesk',
    await citizenMail({ subject: `Re: [Ticket #${ticketId}] Richiesta`, text: 'Ecco il documento.', messageId }),
  );
  return (await intakeOf(app, messageId)).processInstanceId;
}

const commentsWithKey = (app: RunningApp, ticketId: string, key: string) =>
  app.db.query<unknown[]>(`SELECT id FROM ticket_transactions WHERE ticket_id = $1 AND request_key = $2`, [
    ticketId,
    key,
  ]);

const mailOf = async (app: RunningApp, pi: string) => {
  const rows: { id: string; uid: string; ticket_id: string | null; archived_at: Date | null }[] = await app.db.query(
    `SELECT id, uid, ticket_id, archived_at FROM mail_messages WHERE process_instance_id = $1`,
    [pi],
  );
  if (!rows[0]) throw new Error(`no mail for ${pi}`);
  return rows[0];
};

/**
 * Every worker with a side effect, once: how to bring an instance to its task, where its
 * effect happens, and what exactly once means for it. A new side-effecting worker adds its
 * line here.
 */
const SCENARIOS: KillScenario[] = [
  {
    worker: bookSlot,
    site: 'cup',
    reach: chosenBooking,
    async verify(app, pi) {
      expect((await appointmentsOf(app, pi)).map((a) => a.status)).toEqual(['booked']);
    },
  },
  {
    worker: sendSms,
    site: 'sms',
    once: true,
    reach: chosenBooking,
    async verify(app, pi) {
      const [booked] = await appointmentsOf(app, pi);
      expect(messagesNaming(booked?.booking_code ?? '?')).toHaveLength(1);
    },
  },
  {
    worker: sendReminderBatch,
    site: 'sms',
    async reach(app) {
      // A day of its own, in the future, so no other test's bookings are in the run.
      const day = nextDay(dayInRome(new Date(Date.now() + (400 + Math.floor(Math.random() * 3000)) * 86_400_000)));
      const ids = await bookDay(app, day, 3);
      const run = await apiAs(app, 'backoffice.kill', ['back-office-1']).post<{ processInstanceKey: string }>(
        '/api/cup/reminder-runs',
        { reminderDate: day },
      );
      expect(run.status).toBe(201);
      reminderBookings.set(run.body.processInstanceKey, ids);
      return run.body.processInstanceKey;
    },
    verify(_app, pi) {
      for (const id of reminderBookings.get(pi) ?? []) expect(messagesNaming(`IT-${id.slice(3)} del`)).toHaveLength(1);
      return Promise.resolve();
    },
  },
  {
    worker: cancelAppointment,
    site: 'cup',
    reach: (app) => cancellation(app),
    async verify(app, pi) {
      const id = String(await variable(pi, 'appointmentId'));
      expect((await app.workerDeps.cup.getAppointment(id))?.status).toBe('cancelled');
      // The flow went on as after a cancellation, with the freed slot.
      expect(await variable(pi, 'freedSlotId')).toEqual(expect.any(String));
    },
  },
  {
    worker: startRecall,
    site: 'starter',
    once: true,
    reach: (app) => cancellation(app),
    async verify(_app, pi) {
      const slot = String(await variable(pi, 'freedSlotId'));
      const recalls = await testEngine().historicProcessInstances({
        processDefinitionKey: 'cup-recall',
        processInstanceBusinessKey: `RICHIAMO-${slot}`,
      });
      expect(recalls).toHaveLength(1);
    },
  },
  {
    worker: moveAppointment,
    site: 'cup',
    async reach(app) {
      const pi = await cancellation(app, { rebook: true, structureId: 'aor-san-carlo' });
      const api = operator(app);
      const task = await openTaskOf(api, pi, 'choose-slot', 'cup-cancellation');
      await api.post(`/api/tasks/${task.key}/claim`);
      const done = await api.post(`/api/tasks/${task.key}/complete`, { variables: { slotId: freshSlot(task) } });
      expect(done.status).toBe(200);
      return pi;
    },
    async verify(app, pi) {
      const old = String(await variable(pi, 'replacedAppointmentId'));
      expect((await app.workerDeps.cup.getAppointment(old))?.status).toBe('cancelled');
      const moved: { status: string }[] = await app.db.query(
        `SELECT status FROM cup_appointments WHERE request_key LIKE $1`,
        [`pi:${pi}:move:%`],
      );
      expect(moved.map((m) => m.status)).toEqual(['booked']);
    },
  },
  {
    worker: recordContactOutcome,
    site: 'db',
    async reach(app) {
      const api: ApiClient = operator(app);
      const started = await api.post<{ processInstanceKey: string }>('/api/cup/information-contacts', {
        channel: 'telefono',
      });
      const pi = started.body.processInstanceKey;
      const task = await openTaskOf(api, pi, 'close-contact', 'cup-information');
      await api.post(`/api/tasks/${task.key}/claim`);
      await api.post(`/api/tasks/${task.key}/complete`, {
        variables: { outcomeCode: 'INFO-PAGAMENTI', resolvedFirstContact: true },
      });
      return pi;
    },
    async verify(app, pi) {
      const rows: unknown[] = await app.db.query('SELECT 1 FROM contact_outcomes WHERE process_instance_key = $1', [
        pi,
      ]);
      expect(rows).toHaveLength(1);
    },
  },
  {
    worker: recordRecallOutcome,
    site: 'cup',
    async reach(app) {
      const booked = await monitoredBooking(app);
      const res = await operator(app).post('/api/cup/cancellations', {
        appointmentId: booked.id,
        cancellationNote: 'Il paziente non può venire',
      });
      expect(res.status).toBe(201);
      const api = backOffice(app);
      const call = await taskWith(api, 'cup-recall', 'candidateAppointmentId', booked.candidateId);
      await complete(api, call, { recallOutcome: 'accepted' });
      return call.processInstanceKey;
    },
    async verify(app, pi) {
      const moved: { status: string }[] = await app.db.query(
        `SELECT status FROM cup_appointments WHERE request_key LIKE $1`,
        [`recall:${pi}:%`],
      );
      expect(moved.map((m) => m.status)).toEqual(['booked']);
      const contacts: unknown[] = await app.db.query(
        'SELECT 1 FROM cup_recall_contacts WHERE recall_instance_key = $1',
        [pi],
      );
      expect(contacts).toHaveLength(1);
    },
  },
  {
    worker: bookSportsGroup,
    site: 'cup',
    async reach(app) {
      const { pi, task, athletes } = await plannedGroup(app);
      groupAthletes.set(pi, athletes);
      await complete(backOffice(app), task, { groupOutcome: 'confirm', backOfficeNote: 'Date concordate' });
      return pi;
    },
    async verify(app, pi) {
      const athletes = groupAthletes.get(pi) ?? [];
      const rows: { patient_id: string; status: string }[] = await app.db.query(
        `SELECT patient_id, status FROM cup_appointments WHERE patient_id = ANY ($1)`,
        [athletes],
      );
      expect(rows.map((r) => `${r.patient_id}:${r.status}`).sort()).toEqual(athletes.map((a) => `${a}:booked`).sort());
      expect((await groupStatus(app, pi)).status).toBe('booked');
    },
  },
  {
    worker: closeSportsGroup,
    site: 'db',
    async reach(app) {
      const { pi, task } = await plannedGroup(app);
      await complete(backOffice(app), task, { groupOutcome: 'cancel', backOfficeNote: 'La società rinuncia' });
      return pi;
    },
    async verify(app, pi) {
      expect((await groupStatus(app, pi)).status).toBe('cancelled');
    },
  },
  {
    worker: applyRetention,
    site: 'db',
    async reach(app) {
      const s = await app.workerDeps.starter.start({
        bpmnProcessId: 'platform-retention',
        businessKey: `CONSERVAZIONE-KILL-${randomUUID().slice(0, 8)}`,
        variables: {},
        startedBy: 'test',
        startAt: 'manual-run',
      });
      return s.processInstanceKey;
    },
    async verify(app, pi) {
      // One run, one record of it.
      const runs: unknown[] = await app.db.query(
        `SELECT 1 FROM audit_events WHERE action = 'retention.applied' AND detail->>'run' = $1`,
        [pi],
      );
      expect(runs).toHaveLength(1);
    },
  },
  {
    worker: planSportsGroup,
    site: 'db',
    reach: async (app) => (await requestedGroup(app)).pi,
    async verify(app, pi) {
      const rows: { status: string }[] = await app.db.query(
        'SELECT status FROM cup_sports_groups WHERE process_instance_key = $1',
        [pi],
      );
      expect(rows).toEqual([{ status: 'planned' }]);
    },
  },
  {
    worker: openTicket,
    site: 'tickets',
    once: true,
    reach: precheckedMail,
    async verify(app, pi) {
      const mail = await mailOf(app, pi);
      const tickets: { id: string }[] = await app.db.query(`SELECT id FROM tickets WHERE request_key = $1`, [
        `mail:${mail.id}`,
      ]);
      expect(tickets).toHaveLength(1);
      expect(mail.ticket_id).toBe(String(tickets[0]?.id));
    },
  },
  {
    worker: sendMail,
    site: 'mail',
    reach: precheckedMail,
    async verify(app, pi) {
      const mail = await mailOf(app, pi);
      const sent: { status: string; subject: string }[] = await app.db.query(
        `SELECT status, subject FROM mail_outbox WHERE reference = $1`,
        [mail.id],
      );
      expect(sent.map((m) => m.status)).toEqual(['sent']);
      expect(sent[0]?.subject).toContain(`[Ticket #${mail.ticket_id}]`);
    },
  },
  {
    worker: updateTicket,
    site: 'tickets',
    reach: escalatedTicket,
    async verify(app, pi) {
      const ticketId = String(await variable(pi, 'ticketId'));
      expect((await app.workerDeps.tickets.get(ticketId))?.queue).toBe('Dipartimento Tributi');
      const notes: unknown[] = await app.db.query(
        `SELECT id FROM ticket_transactions WHERE ticket_id = $1 AND type = 'Comment'`,
        [ticketId],
      );
      expect(notes).toHaveLength(1);
    },
  },
  {
    worker: linkReply,
    site: 'tickets',
    once: true,
    reach: replyToTicket,
    async verify(app, pi) {
      const reply = await mailOf(app, pi);
      expect(reply.ticket_id).toBeTruthy();
      expect(await commentsWithKey(app, reply.ticket_id ?? '', `mail:${reply.id}`)).toHaveLength(1);
    },
  },
  {
    worker: archiveMail,
    site: 'mailbox',
    reach: precheckedMail,
    async verify(app, pi) {
      const mail = await mailOf(app, pi);
      expect(mail.archived_at).toBeTruthy();
      const folders: { folder: string }[] = await app.db.query(
        `SELECT folder FROM local_mailbox_messages WHERE mailbox = 'helpdesk' AND uid = $1`,
        [mail.uid],
      );
      expect(folders).toEqual([{ folder: 'Archivio' }]);
    },
  },
];
/**
 * The same workers dying around another of their effects: the SMS record before the provider
 * is called, one booking of the group, the record after a cleanup's cancel or a recall's move.
 */
const scenarioOf = (w: WorkerDefinition): KillScenario => {
  const found = SCENARIOS.find((x) => x.worker === w);
  if (!found) throw new Error(`no scenario for ${w.taskType}`);
  return found;
};
SCENARIOS.push(
  // The SMS record written before the provider is called: dying right after it leaves a send in doubt.
  { ...scenarioOf(sendSms), site: 'db' },
  { ...scenarioOf(bookSportsGroup), nth: 2 },
  { ...scenarioOf(recordRecallOutcome), site: 'db' },
  // The outbox record written before SMTP is called: dying right after it leaves the mail in doubt.
  { ...scenarioOf(sendMail), site: 'db' },
  // The queue move after the note.
  { ...scenarioOf(updateTicket), nth: 2 },
);
SCENARIOS.push(...PEC_KILL_SCENARIOS);
SCENARIOS.push(...VOICE_KILL_SCENARIOS);
// The agenda cleanup's record and the outbound campaigns' workers share one campaign mechanism.
SCENARIOS.push(...CAMPAIGN_KILL_SCENARIOS);
SCENARIOS.push(...KPI_KILL_SCENARIOS);
const reminderBookings = new Map<string, string[]>();
const groupAthletes = new Map<string, string[]>();

/**
 * The kill test (architecture brief, decision 9): for each side-effecting worker, a worker
 * process dies at each point around its effect; the next worker takes the task once the
 * dead one's lock expires, and the effect has happened exactly once, with no incident.
 */
describe('a worker process killed around its side effect', () => {
  beforeAll(async () => {
    twilio = await startTwilioStandIn();
  });
  afterAll(async () => {
    await twilio?.close();
  });

  it('covers every worker that changes something (all but the registry’s READS_ONLY)', () => {
    const changing = WORKERS.filter((w) => !READS_ONLY.includes(w.taskType));
    const covered = new Set(SCENARIOS.map((s) => s.worker.taskType));
    expect(changing.map((w) => w.taskType).filter((t) => !covered.has(t))).toEqual([]);
  });

  for (const scenario of SCENARIOS) {
    const name = `${scenario.worker.taskType} (effect ${scenario.nth ?? 1} on ${scenario.site})`;
    it(`${name}: dies at each point, and the effect still happens exactly once, with no incident`, async () => {
      // Everything runs but this worker, so its task waits for the doomed delivery.
      const app = await startTestApp(
        {},
        { sms: twilioVia(twilio), workers: WORKERS.filter((w) => w !== scenario.worker) },
      );
      try {
        const runs: { point: KillPoint; pi: string; reached: boolean }[] = [];
        for (const point of KILL_POINTS) {
          const pi = await scenario.reach(app);
          runs.push({
            point,
            pi,
            reached: await dieAt(app, scenario.worker, scenario.site, pi, point, scenario.nth, scenario.now),
          });
        }
        // Every side-effecting worker meets its effect; a claim exists only where it goes through `once`.
        const reached = Object.fromEntries(runs.map((r) => [r.point, r.reached]));
        expect(reached, `${JSON.stringify(reached)} ${JSON.stringify([...lastOutcomes])}`).toMatchObject({
          'before-effect': true,
          'after-effect': true,
          'before-complete': true,
          ...(scenario.once ? { 'after-claim': true, 'after-done': true } : {}),
        });

        const next = nextWorker(app, scenario.worker, scenario.now);
        try {
          for (const r of runs) {
            await waitFor(
              async () => {
                const done: unknown[] = await app.db.query(
                  `SELECT 1 FROM job_outcomes WHERE process_instance_key = $1 AND task_type = $2 AND outcome = 'completed'`,
                  [r.pi, scenario.worker.taskType],
                );
                return done.length > 0 || undefined;
              },
              `${scenario.worker.taskType} completed after dying at ${r.point}`,
              60_000,
            ).catch(async (err: Error) => {
              const seen: unknown[] = await app.db.query(
                'SELECT task_type, outcome, message FROM job_outcomes WHERE process_instance_key = $1 ORDER BY id',
                [r.pi],
              );
              const open = await testEngine().request('GET', '/external-task', { query: { processInstanceId: r.pi } });
              const slot = await variable(r.pi, 'slotId');
              const holders: unknown[] = await app.db.query(
                'SELECT request_key, status, created_at FROM cup_appointments WHERE slot_id = $1',
                [String(slot)],
              );
              throw new Error(
                `${err.message}; outcomes ${JSON.stringify(seen)}; open tasks ${JSON.stringify(open)}; slot ${String(slot)} held by ${JSON.stringify(holders)}`,
              );
            });
          }
        } finally {
          await next.close();
        }
        for (const r of runs) {
          const incidents = await testEngine().historicIncidents({ processInstanceId: r.pi });
          expect(incidents, `incidents after dying at ${r.point}`).toEqual([]);
          const odd: { outcome: string; message: string }[] = await app.db.query(
            `SELECT outcome, message FROM job_outcomes
              WHERE process_instance_key = $1 AND task_type = $2 AND outcome IN ('bpmn_error', 'incident')`,
            [r.pi, scenario.worker.taskType],
          );
          expect(odd, `outcomes after dying at ${r.point}`).toEqual([]);
          await waitFor(
            () =>
              scenario.verify(app, r.pi).then(
                () => true,
                () => undefined,
              ),
            `the effect of ${r.point}`,
            15_000,
          ).catch(() => scenario.verify(app, r.pi));
        }
      } finally {
        await app.stop();
      }
    });
  }
});
