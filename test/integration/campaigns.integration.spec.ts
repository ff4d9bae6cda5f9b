import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DataSource } from 'typeorm';
import pg from 'pg';
import type { RunningApp } from '../../app.js';
import type { Campaign, CampaignReport } from '../../domain/campaigns/campaigns.js';
import type { ContactListReport } from '../../domain/campaigns/contact-list.js';
import type { SlaReport } from '../../domain/kpi/types.js';
import { outcomeOptions } from '../../domain/campaigns/outcomes.js';
import type { Actor, UserTask, UserTaskDetail } from '../../domain/tasks/inbox.js';
import { ensureDatabase } from '../../platform/database/ensure-database.js';
import { MIGRATIONS } from '../../platform/database/data-source.js';
import { Campaigns1763900000022 } from '../../migrations/1763900000022-Campaigns.js';
import { testEngine } from './support/clock.js';
import { apiAs, startTestApp, waitFor, type ApiClient } from './support/test-app.js';

/**
 * How long a package may take to appear: the workers record the last package's 100 outcomes,
 * close it, open the next and load its 100 contacts first.
 */
const PACKAGE_MS = 120_000;

const SCRIPT =
  'Buongiorno, la chiamo dal Contact Center della Regione Basilicata per il fascicolo sanitario elettronico.';

/** Campaign started: what POST /api/campaigns answers. */
interface Started {
  campaign: Campaign;
  packages: number;
  report: ContactListReport;
}

/** A list of `n` valid contacts (mobiles 347 000 0000 + i), with a free column. */
function contactRows(n: number, tag: string): string[] {
  return Array.from(
    { length: n },
    (_, i) => `"Contatto ${tag} ${i + 1}";347 ${String(1_000_000 + i).padStart(7, '0')};;Potenza;Pratica ${i + 1}`,
  );
}

describe('an outbound campaign from an uploaded list (R6, §2.2.8, §6.2)', () => {
  let app: RunningApp;
  let supervisor: ApiClient;
  /** The workers' clock: when packages open and calls are recorded. */
  let clock = new Date('2027-03-15T08:00:00+01:00');

  beforeAll(async () => {
    app = await startTestApp({}, { now: () => clock });
    supervisor = apiAs(app, 'supervisore.campagne', ['supervisor']);
  });
  afterAll(async () => {
    await app?.stop();
  });

  const callsOf = async (api: ApiClient, pi: string): Promise<UserTask[]> =>
    (await api.get<{ items: UserTask[] }>('/api/tasks?process=campaign-outbound&limit=500')).body.items.filter(
      (t) => t.processInstanceKey === pi,
    );

  it('calls 250 contacts in packages of 100, 100 and 50, one after the other, and reports each package’s efficacy and efficiency', async () => {
    const tag = randomUUID().slice(0, 6);
    const rows = contactRows(250, tag);
    // Three bad rows among them: left out and reported, the campaign goes on without them.
    rows.splice(10, 0, `"Senza telefono ${tag}";;;Matera;`);
    rows.splice(20, 0, `"Numero estero ${tag}";+44 20 7946 0958;;Matera;`);
    rows.splice(30, 0, `"Email errata ${tag}";347 9999999;non-una-email;Matera;`);
    const csv = ['Nominativo;Telefono;Email;Comune;Pratica', ...rows].join('\r\n');
    const regione = apiAs(app, 'regione.campagne', ['regione']);
    const started = await regione.post<Started>('/api/campaigns', {
      kind: 'information',
      name: `Informativa fascicolo sanitario ${tag}`,
      script: SCRIPT,
      csv,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.packages).toBe(3);
    expect(started.body.campaign).toMatchObject({
      kind: 'information',
      createdBy: 'regione.campagne',
      packageSize: 100,
    });
    expect(started.body.report).toEqual({
      rowsRead: 253,
      accepted: 250,
      rejectedRows: 3,
      rejected: [
        { row: 12, column: 'Telefono', reason: 'Il numero di telefono è obbligatorio.' },
        { row: 22, column: 'Telefono', reason: 'Il numero di telefono non è italiano.' },
        { row: 32, column: 'Email', reason: "L'indirizzo email non è valido." },
      ],
      fileProblems: [],
    });
    const { id, processInstanceKey } = started.body.campaign;
    const pi = processInstanceKey ?? '';

    // Package 1, through the operators' own path: four help-desk operators share the 100 calls.
    const operators = [1, 2, 3, 4].map((n) => apiAs(app, `helpdesk.campagna${n}`, ['helpdesk-operator']));
    const first = await waitFor(
      async () => {
        const calls = await callsOf(operators[0] as ApiClient, pi);
        return calls.length === 100 ? calls : undefined;
      },
      'the 100 calls of the first package',
      PACKAGE_MS,
    );
    expect(
      first.every((c) => c.elementId === 'campaign-call' && c.candidateGroups.includes('helpdesk-operators')),
    ).toBe(true);
    const sample = (await (operators[0] as ApiClient).get<UserTaskDetail>(`/api/tasks/${first[0]?.key}`)).body;
    // The k-th contact of the list is "Contatto <tag> k", 347 1000000 + k - 1, "Pratica k".
    const k = Number(/ (\d+)$/.exec(String(sample.variables['contactName']))?.[1]);
    expect(sample.variables).toMatchObject({
      packageNo: 1,
      campaignKindLabel: 'Campagna informativa',
      campaignName: `Informativa fascicolo sanitario ${tag}`,
      campaignScript: SCRIPT,
      contactName: `Contatto ${tag} ${k}`,
      contactPhone: `+39347${1_000_000 + k - 1}`,
      contactEmail: null,
      contactDetailsNote: `Comune: Potenza\nPratica: Pratica ${k}`,
      outcomeOptions: outcomeOptions('information'),
    });
    // A code of another catalogue is refused by the form, before the flow sees it.
    const claimedSample = await (operators[0] as ApiClient).post(`/api/tasks/${sample.key}/claim`);
    expect(claimedSample.status).toBe(200);
    const wrong = await (operators[0] as ApiClient).post(`/api/tasks/${sample.key}/complete`, {
      variables: { outcomeCode: 'PRESENZA-CONFERMATA' },
    });
    expect(wrong.status).toBe(400);

    clock = new Date('2027-03-15T10:00:00+01:00');
    let positives = 0;
    await Promise.all(
      operators.map(async (api, n) => {
        // The sample, first[0], is the first operator's and is claimed already.
        for (const call of first.filter((_, i) => i % operators.length === n)) {
          if (call.key !== sample.key) expect((await api.post(`/api/tasks/${call.key}/claim`)).status).toBe(200);
          // 60 positive outcomes of 100: effective.
          const positive = positives++ < 60;
          const done = await api.post(`/api/tasks/${call.key}/complete`, {
            variables: positive
              ? { outcomeCode: 'INFORMATO', outcomeNote: 'Ha ricevuto le istruzioni' }
              : { outcomeCode: 'NON-RISPONDE' },
          });
          expect(done.status, JSON.stringify(done.body)).toBe(200);
        }
      }),
    );

    // Packages 2 and 3 through the inbox, as fast as the engine goes. Package 2 is worked
    // three days later (38 service hours: late) with 30 positives of 100 (under half);
    // package 3 in one hour with 25 of 50 (exactly half: effective).
    const worker: Actor = { id: 'helpdesk.campagna1', groups: ['helpdesk-operators'] };
    const workPackage = async (size: number, positive: number) => {
      const calls = await waitFor(
        async () => {
          const open = (await app.inbox.list({ process: 'campaign-outbound', limit: 500 })).filter(
            (t) => t.processInstanceKey === pi,
          );
          return open.length === size ? open : undefined;
        },
        `the ${size} calls of the next package`,
        PACKAGE_MS,
      );
      for (const [i, call] of calls.entries()) {
        await app.inbox.claim(call.key, worker);
        await app.inbox.complete(call.key, worker, { outcomeCode: i < positive ? 'GIA-INFORMATO' : 'RIFIUTA' });
      }
    };
    // Package 2 opens as soon as package 1 closes, on the clock's Monday 10:00.
    await waitFor(
      async () => (await callsOf(operators[0] as ApiClient, pi)).length === 100 || undefined,
      'package 2',
      PACKAGE_MS,
    );
    clock = new Date('2027-03-18T12:00:00+01:00');
    await workPackage(100, 30);
    await waitFor(
      async () => (await callsOf(operators[0] as ApiClient, pi)).length === 50 || undefined,
      'package 3',
      PACKAGE_MS,
    );
    clock = new Date('2027-03-18T13:00:00+01:00');
    await workPackage(50, 25);

    const report = await waitFor(
      async () => {
        const r = await regione.get<CampaignReport>(`/api/campaigns/${id}`);
        return r.body.campaign?.status === 'completed' ? r.body : undefined;
      },
      'the campaign completed',
      PACKAGE_MS,
    );
    expect(report).toMatchObject({ contacts: 250, done: 250 });
    expect(report.packages).toEqual([
      {
        packageNo: 1,
        contacts: 100,
        done: 100,
        positive: 60,
        positiveShare: 0.6,
        efficacious: true,
        startedAt: '2027-03-15T07:00:00.000Z',
        completedAt: '2027-03-15T09:00:00.000Z',
        serviceHours: 2,
        efficient: true,
        hoursOverLimit: 0,
      },
      {
        packageNo: 2,
        contacts: 100,
        done: 100,
        positive: 30,
        positiveShare: 0.3,
        efficacious: false,
        startedAt: '2027-03-15T09:00:00.000Z',
        completedAt: '2027-03-18T11:00:00.000Z',
        // Monday 10–20, Tuesday and Wednesday 12 each, Thursday 8–12.
        serviceHours: 38,
        efficient: false,
        hoursOverLimit: 14,
      },
      {
        packageNo: 3,
        contacts: 50,
        done: 50,
        positive: 25,
        positiveShare: 0.5,
        efficacious: true,
        startedAt: '2027-03-18T11:00:00.000Z',
        completedAt: '2027-03-18T12:00:00.000Z',
        serviceHours: 1,
        efficient: true,
        hoursOverLimit: 0,
      },
    ]);
    expect(report.outcomes).toEqual([
      { code: 'INFORMATO', label: 'Informato sul servizio', positive: true, contacts: 60 },
      { code: 'GIA-INFORMATO', label: 'Conosceva già il servizio', positive: true, contacts: 55 },
      { code: 'RIFIUTA', label: 'Non disponibile, rifiuta il contatto', positive: false, contacts: 95 },
      { code: 'NON-RISPONDE', label: 'Non risponde', positive: false, contacts: 40 },
      { code: 'NUMERO-ERRATO', label: 'Numero inesistente o di altra persona', positive: false, contacts: 0 },
    ]);
    // Who made each call is recorded with it, and the package-1 calls were shared.
    const byOperator: { operator: string; n: number }[] = await app.db.query(
      `SELECT operator, count(*)::int AS n FROM campaign_contacts WHERE campaign_id = $1 AND package_no = 1
        GROUP BY operator ORDER BY operator`,
      [id],
    );
    expect(byOperator).toEqual([1, 2, 3, 4].map((n) => ({ operator: `helpdesk.campagna${n}`, n: 25 })));
    const notes: { note: string | null }[] = await app.db.query(
      `SELECT DISTINCT note FROM campaign_contacts WHERE campaign_id = $1 AND outcome_code = 'INFORMATO'`,
      [id],
    );
    expect(notes).toEqual([{ note: 'Ha ricevuto le istruzioni' }]);
    // Four operators closing calls of one package at once never collide in the engine.
    expect(await testEngine().historicIncidents({ processInstanceId: pi })).toEqual([]);

    // The same campaign in the Contact Center's SLA report (§6.2): efficacy over the 250
    // contacts, 115 positive (46 %, 4 points short of 50 %: 4 % of the outbound value);
    // efficiency over the 3 packages, one 14 service hours late (3 % an hour: 42 %).
    const sla = await regione.get<SlaReport>('/api/kpi/sla?line=csb&from=2027-03-15&to=2027-03-21');
    expect(sla.status, JSON.stringify(sla.body)).toBe(200);
    const rowOf = (slaId: string) => sla.body.sla.find((r) => r.id === slaId);
    expect(rowOf('outbound-efficacy')).toMatchObject({
      unit: 'contacts',
      met: 115,
      base: 250,
      reachedPct: 46,
      ok: false,
      shortfallPoints: 4,
      penaltyPoints: 4,
      penaltyPct: 4,
      penaltyBase: 'outbound',
    });
    expect(rowOf('outbound-efficiency')).toMatchObject({
      unit: 'packages',
      met: 2,
      base: 3,
      pending: 0,
      reachedPct: 66.67,
      ok: false,
      penaltyPoints: 14,
      penaltyPct: 42,
    });
    // Behind the efficacy figure: this campaign's 135 negative contacts, each with its outcome.
    const missed = await regione.get<{ total: number; contacts: { contactId: string; outcome: string | null }[] }>(
      '/api/kpi/sla/contacts?line=csb&from=2027-03-15&to=2027-03-21&sla=outbound-efficacy&status=missed&limit=1000',
    );
    expect(missed.body.total).toBe(135);
    const outcomes = missed.body.contacts.reduce<Record<string, number>>((acc, c) => {
      acc[c.outcome ?? ''] = (acc[c.outcome ?? ''] ?? 0) + 1;
      return acc;
    }, {});
    expect(outcomes).toEqual({ 'NON-RISPONDE': 40, RIFIUTA: 95 });
  }, 400_000);

  it('starts nothing from a list with no usable row, and answers 400 with the report of each row', async () => {
    const before: { n: number }[] = await app.db.query('SELECT count(*)::int AS n FROM campaigns');
    const res = await supervisor.post<{ title: string; detail: string; report: ContactListReport }>('/api/campaigns', {
      kind: 'satisfaction',
      name: 'Soddisfazione sportelli',
      csv: 'nome,telefono,codice fiscale\n,3331234567,\nMario Rossi,non so,RSSMRA80A01H501X\n',
    });
    expect(res.status).toBe(400);
    expect(res.body.title).toBe('Elenco dei contatti non utilizzabile');
    expect(res.body.report.rejected).toEqual([
      { row: 2, column: 'nome', reason: 'Il nome è obbligatorio.' },
      { row: 3, column: 'telefono', reason: 'Il numero di telefono non è valido.' },
      {
        row: 3,
        column: 'codice fiscale',
        reason: 'Il carattere di controllo del codice fiscale non corrisponde: verificare le lettere e le cifre.',
      },
    ]);
    expect(res.body.detail).toMatch(/Nessuna riga è utilizzabile/);
    const missing = await supervisor.post<{ report: ContactListReport }>('/api/campaigns', {
      kind: 'call-for-proposals',
      name: 'Bando giovani agricoltori',
      csv: 'nome;email\nMario Rossi;mario@example.it\n',
    });
    expect(missing.status).toBe(400);
    expect(missing.body.report.fileProblems).toEqual(['Manca la colonna del telefono: intestarla «telefono».']);
    const after: { n: number }[] = await app.db.query('SELECT count(*)::int AS n FROM campaigns');
    expect(after).toEqual(before);
    // A cleanup is started from its agenda, not from a list.
    const cleanup = await supervisor.post('/api/campaigns', { kind: 'agenda-cleanup', name: 'Pulitura', csv: 'x' });
    expect(cleanup.status).toBe(400);
    expect((await supervisor.get(`/api/campaigns/${randomUUID()}`)).status).toBe(404);
  });
});

/**
 * The migration on a database of its own: the cleanup's outcomes recorded before it move into
 * the campaign tables, and `down` puts them back.
 */
describe('migration 1763900000022 (campaigns)', () => {
  it('moves the cleanup outcomes into campaigns, packages and contacts, and back', async () => {
    const name = `campaign_migration_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
    const url = await ensureDatabase(inject('databaseUrl'), name);
    const upTo = MIGRATIONS.indexOf(Campaigns1763900000022);
    expect(upTo).toBeGreaterThan(0);
    const open = async (migrations: readonly (typeof MIGRATIONS)[number][]) => {
      const ds = new DataSource({
        type: 'postgres',
        url,
        migrations: [...migrations],
        migrationsTableName: 'schema_migrations',
        synchronize: false,
        logging: false,
      });
      await ds.initialize();
      return ds;
    };
    try {
      const before = await open(MIGRATIONS.slice(0, upTo));
      await before.runMigrations({ transaction: 'each' });
      await before.query(
        `INSERT INTO process_instances (process_instance_key, bpmn_process_id, process_definition_key, version, business_key, started_by)
         VALUES ('pi-old', 'cup-agenda-cleanup', 'cup-agenda-cleanup:1:x', 1, 'PUL-OLD', 'backoffice.vecchio')`,
      );
      await before.query(
        `INSERT INTO cup_cleanup_contacts (campaign_instance_key, package_no, appointment_id, outcome, note, operator, created_at) VALUES
           ('pi-old', 1, 'app-1', 'confirmed', NULL, 'op.a', '2026-11-02T09:00:00Z'),
           ('pi-old', 1, 'app-2', 'cancelled', 'Trasferito', 'op.a', '2026-11-02T09:05:00Z'),
           ('pi-old', 2, 'app-3', 'no-answer', NULL, 'op.b', '2026-11-03T10:00:00Z'),
           ('pi-unknown', 1, 'app-9', 'confirmed', NULL, NULL, '2026-11-04T10:00:00Z')`,
      );
      await before.destroy();

      const after = await open(MIGRATIONS.slice(0, upTo + 1));
      await after.runMigrations({ transaction: 'each' });
      const campaigns: { process_instance_key: string; kind: string; name: string; created_by: string }[] =
        await after.query(
          'SELECT process_instance_key, kind, name, created_by FROM campaigns ORDER BY process_instance_key',
        );
      expect(campaigns).toEqual([
        {
          process_instance_key: 'pi-old',
          kind: 'agenda-cleanup',
          name: 'Pulitura agenda PUL-OLD',
          created_by: 'backoffice.vecchio',
        },
        { process_instance_key: 'pi-unknown', kind: 'agenda-cleanup', name: 'Pulitura agenda', created_by: 'sistema' },
      ]);
      const contacts: unknown[] = await after.query(
        `SELECT c.process_instance_key AS pi, k.package_no, k.reference, k.outcome_code, k.positive, k.note, k.operator
           FROM campaign_contacts k JOIN campaigns c ON c.id = k.campaign_id ORDER BY k.reference`,
      );
      expect(contacts).toEqual([
        {
          pi: 'pi-old',
          package_no: 1,
          reference: 'app-1',
          outcome_code: 'PRESENZA-CONFERMATA',
          positive: true,
          note: null,
          operator: 'op.a',
        },
        {
          pi: 'pi-old',
          package_no: 1,
          reference: 'app-2',
          outcome_code: 'PRENOTAZIONE-DISDETTA',
          positive: true,
          note: 'Trasferito',
          operator: 'op.a',
        },
        {
          pi: 'pi-old',
          package_no: 2,
          reference: 'app-3',
          outcome_code: 'NON-RISPONDE',
          positive: false,
          note: null,
          operator: 'op.b',
        },
        {
          pi: 'pi-unknown',
          package_no: 1,
          reference: 'app-9',
          outcome_code: 'PRESENZA-CONFERMATA',
          positive: true,
          note: null,
          operator: null,
        },
      ]);
      const packages: { n: number }[] = await after.query(
        'SELECT count(*)::int AS n FROM campaign_packages WHERE started_at IS NULL',
      );
      expect(packages).toEqual([{ n: 3 }]);
      const old: unknown[] = await after.query(`SELECT to_regclass('cup_cleanup_contacts') AS t`);
      expect(old).toEqual([{ t: null }]);

      await after.undoLastMigration({ transaction: 'each' });
      const restored: unknown[] = await after.query(
        `SELECT campaign_instance_key, package_no, appointment_id, outcome, note, operator, created_at
           FROM cup_cleanup_contacts ORDER BY appointment_id`,
      );
      expect(restored).toEqual([
        {
          campaign_instance_key: 'pi-old',
          package_no: 1,
          appointment_id: 'app-1',
          outcome: 'confirmed',
          note: null,
          operator: 'op.a',
          created_at: new Date('2026-11-02T09:00:00Z'),
        },
        {
          campaign_instance_key: 'pi-old',
          package_no: 1,
          appointment_id: 'app-2',
          outcome: 'cancelled',
          note: 'Trasferito',
          operator: 'op.a',
          created_at: new Date('2026-11-02T09:05:00Z'),
        },
        {
          campaign_instance_key: 'pi-old',
          package_no: 2,
          appointment_id: 'app-3',
          outcome: 'no-answer',
          note: null,
          operator: 'op.b',
          created_at: new Date('2026-11-03T10:00:00Z'),
        },
        {
          campaign_instance_key: 'pi-unknown',
          package_no: 1,
          appointment_id: 'app-9',
          outcome: 'confirmed',
          note: null,
          operator: null,
          created_at: new Date('2026-11-04T10:00:00Z'),
        },
      ]);
      expect(await after.query(`SELECT to_regclass('campaigns') AS t`)).toEqual([{ t: null }]);
      await after.destroy();
    } finally {
      const admin = new pg.Client({ connectionString: inject('databaseUrl') });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => admin.end());
    }
  });
});
