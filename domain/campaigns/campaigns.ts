import { returning, type Queryable } from '../../platform/database/query.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ListedContact } from './contact-list.js';
import { CAMPAIGN_KIND_LABELS, OUTCOME_CATALOGUES, outcomeOf, type CampaignKind } from './outcomes.js';
import { serviceHoursBetween } from './service-hours.js';

/** Contacts per package (§6.2: efficiency is measured on packages of 100). */
export const DEFAULT_PACKAGE_SIZE = 100;
/** A package is effective when at least this share of its calls ended positively (§6.2). */
export const EFFICACY_THRESHOLD = 0.5;
/** A package is efficient when all its contacts are done within these service hours of its start (§6.2). */
export const EFFICIENCY_SERVICE_HOURS = 24;

export interface Campaign {
  id: string;
  kind: CampaignKind;
  kindLabel: string;
  name: string;
  createdBy: string;
  packageSize: number;
  script: string | null;
  details: Record<string, unknown>;
  processInstanceKey: string | null;
  businessKey: string | null;
  status: 'running' | 'completed';
  createdAt: string;
  completedAt: string | null;
}

/** Where one package stands against the two outbound SLAs (§6.2). */
export interface PackageReport {
  packageNo: number;
  /** Contacts in the package. */
  contacts: number;
  /** Calls made: contacts with an outcome. */
  done: number;
  positive: number;
  /** positive / done, 0–1; null before the first outcome. */
  positiveShare: number | null;
  /** positiveShare ≥ 50 %; null before the first outcome. */
  efficacious: boolean | null;
  startedAt: string | null;
  /** When the last of its contacts was done; null while some are left. */
  completedAt: string | null;
  /** Service hours from its start to its completion, or to now while open; null when the start is unknown. */
  serviceHours: number | null;
  /**
   * Every contact done within 24 service hours of the start. False as soon as the 24 hours
   * pass with contacts left; null while open and within them, or when the start is unknown
   * (cleanups recorded before packages had a start).
   */
  efficient: boolean | null;
  /** Service hours begun beyond the 24 (the penalty counts each, §6.2); 0 when within. */
  hoursOverLimit: number;
}

export interface OutcomeCount {
  packageNo: number;
  code: string;
  contacts: number;
}

export interface CampaignReport {
  campaign: Campaign;
  contacts: number;
  done: number;
  packages: PackageReport[];
  /** Calls by outcome code over the whole campaign, in the catalogue's order. */
  outcomes: { code: string; label: string; positive: boolean; contacts: number }[];
}

/** A contact as the operator's call shows it. */
export interface ContactForCall {
  id: string;
  packageNo: number;
  name: string | null;
  phone: string | null;
  email: string | null;
  fiscalCode: string | null;
  extra: Record<string, string>;
  campaign: Pick<Campaign, 'id' | 'kind' | 'kindLabel' | 'name' | 'script'>;
}

interface CampaignRow {
  id: string;
  kind: CampaignKind;
  name: string;
  created_by: string;
  package_size: number;
  script: string | null;
  details: Record<string, unknown>;
  process_instance_key: string | null;
  business_key: string | null;
  status: 'running' | 'completed';
  created_at: Date;
  completed_at: Date | null;
}

const CAMPAIGN_COLUMNS = `id, kind, name, created_by, package_size, script, details, process_instance_key,
  business_key, status, created_at, completed_at`;

function toCampaign(r: CampaignRow): Campaign {
  return {
    id: r.id,
    kind: r.kind,
    kindLabel: CAMPAIGN_KIND_LABELS[r.kind],
    name: r.name,
    createdBy: r.created_by,
    packageSize: r.package_size,
    script: r.script,
    details: r.details,
    processInstanceKey: r.process_instance_key,
    businessKey: r.business_key,
    status: r.status,
    createdAt: r.created_at.toISOString(),
    completedAt: r.completed_at?.toISOString() ?? null,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One mechanism for every outbound campaign, the CUP's cleanups included: the campaign, its
 * contacts in packages, each contact's outcome, and the package report on efficacy and
 * efficiency. Each write is one statement, idempotent, so a worker retried after dying
 * between two of them does no harm (and the kill test can die around it).
 */
export class Campaigns {
  constructor(
    private readonly db: Queryable,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records a campaign and, for a list, its contacts in packages of `packageSize` in the
   * list's order (one statement: all or nothing). Not started: see `attachInstance`.
   */
  async create(input: {
    kind: CampaignKind;
    name: string;
    createdBy: string;
    packageSize?: number | undefined;
    script?: string | null | undefined;
    details?: Record<string, unknown> | undefined;
    contacts?: readonly ListedContact[] | undefined;
  }): Promise<Campaign> {
    const size = input.packageSize ?? DEFAULT_PACKAGE_SIZE;
    const contacts = (input.contacts ?? []).map((c, i) => ({
      package_no: Math.floor(i / size) + 1,
      source_row: c.row,
      name: c.name,
      phone: c.phone,
      email: c.email,
      fiscal_code: c.fiscalCode,
      extra: c.extra,
    }));
    const rows = (await this.db.query(
      `WITH c AS (
         INSERT INTO campaigns (kind, name, created_by, package_size, script, details)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING ${CAMPAIGN_COLUMNS}
       ), listed AS (
         SELECT * FROM jsonb_to_recordset($7::jsonb) AS x(package_no int, source_row int, name text, phone text,
                                                           email text, fiscal_code text, extra jsonb)
       ), packages AS (
         INSERT INTO campaign_packages (campaign_id, package_no, contacts_total)
         SELECT c.id, l.package_no, count(*) FROM c, listed l GROUP BY c.id, l.package_no
       ), contacts AS (
         INSERT INTO campaign_contacts (campaign_id, package_no, source_row, name, phone, email, fiscal_code, extra)
         SELECT c.id, l.package_no, l.source_row, l.name, l.phone, l.email, l.fiscal_code, l.extra FROM c, listed l
       )
       SELECT * FROM c`,
      [
        input.kind,
        input.name,
        input.createdBy,
        size,
        input.script ?? null,
        JSON.stringify(input.details ?? {}),
        JSON.stringify(contacts),
      ],
    )) as CampaignRow[];
    const row = rows[0];
    if (!row) throw new Error('campaign not recorded');
    return toCampaign(row);
  }

  /** Links a campaign to the process instance that works it. */
  async attachInstance(id: string, started: { processInstanceKey: string; businessKey: string }): Promise<Campaign> {
    const rows = await returning<CampaignRow>(
      this.db,
      `UPDATE campaigns SET process_instance_key = $2, business_key = $3 WHERE id = $1 RETURNING ${CAMPAIGN_COLUMNS}`,
      [id, started.processInstanceKey, started.businessKey],
    );
    if (!rows[0]) throw new NotFoundError('Campagna non trovata.');
    return toCampaign(rows[0]);
  }

  /** Forgets a campaign whose process could not be started (nothing of it was worked). */
  async discard(id: string): Promise<void> {
    await this.db.query('DELETE FROM campaigns WHERE id = $1 AND process_instance_key IS NULL', [id]);
  }

  async get(id: string): Promise<Campaign> {
    const rows = UUID.test(id)
      ? ((await this.db.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1`, [id])) as CampaignRow[])
      : [];
    if (!rows[0]) throw new NotFoundError('Campagna non trovata.');
    return toCampaign(rows[0]);
  }

  async byInstance(processInstanceKey: string): Promise<Campaign | undefined> {
    const rows = (await this.db.query(`SELECT ${CAMPAIGN_COLUMNS} FROM campaigns WHERE process_instance_key = $1`, [
      processInstanceKey,
    ])) as CampaignRow[];
    return rows[0] ? toCampaign(rows[0]) : undefined;
  }

  /**
   * The campaign of a process instance started without one (a cleanup started before
   * campaigns existed): made on first use, named after the instance, its starter as author.
   */
  async ensureForInstance(processInstanceKey: string, kind: CampaignKind): Promise<string> {
    await this.db.query(
      `INSERT INTO campaigns (kind, name, created_by, process_instance_key, business_key)
       SELECT $2, $3 || COALESCE(' ' || pi.business_key, ''), COALESCE(pi.started_by, 'sistema'), $1, pi.business_key
         FROM (SELECT 1) one LEFT JOIN process_instances pi ON pi.process_instance_key = $1
       ON CONFLICT (process_instance_key) DO NOTHING`,
      [processInstanceKey, kind, CAMPAIGN_KIND_LABELS[kind]],
    );
    const found = await this.byInstance(processInstanceKey);
    if (!found) throw new Error(`no campaign for instance ${processInstanceKey}`);
    return found.id;
  }

  /**
   * The campaign a worker acts for: the instance's `campaignId`, or, for a model that starts
   * without one and names its kind (a cleanup started before campaigns existed), the
   * campaign made for its instance. Undefined when there is neither.
   */
  async idFor(
    campaignId: string | null | undefined,
    processInstanceKey: string,
    kind: CampaignKind | undefined,
  ): Promise<string | undefined> {
    if (campaignId) return campaignId;
    return kind ? this.ensureForInstance(processInstanceKey, kind) : undefined;
  }

  /** The ids of a list campaign's contacts, package by package, in the list's order. */
  async packagesOf(id: string): Promise<string[][]> {
    const rows = (await this.db.query(
      `SELECT package_no, array_agg(id::text ORDER BY source_row, id) AS ids
         FROM campaign_contacts WHERE campaign_id = $1 GROUP BY package_no ORDER BY package_no`,
      [id],
    )) as { package_no: number; ids: string[] }[];
    return rows.map((r) => r.ids);
  }

  /** A package is put out to the operators: its start is the first such moment. */
  async openPackage(id: string, packageNo: number, contacts: number): Promise<void> {
    await this.db.query(
      `INSERT INTO campaign_packages (campaign_id, package_no, contacts_total, started_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (campaign_id, package_no) DO UPDATE
         SET started_at = COALESCE(campaign_packages.started_at, EXCLUDED.started_at),
             contacts_total = COALESCE(campaign_packages.contacts_total, EXCLUDED.contacts_total)`,
      [id, packageNo, contacts, this.now()],
    );
  }

  /** All of a package's calls are done; after the last package, the campaign is completed. */
  async closePackage(id: string, packageNo: number, lastPackage: boolean): Promise<void> {
    await this.db.query(
      `WITH closed AS (
         INSERT INTO campaign_packages (campaign_id, package_no, closed_at) VALUES ($1, $2, $3)
         ON CONFLICT (campaign_id, package_no) DO UPDATE
           SET closed_at = COALESCE(campaign_packages.closed_at, EXCLUDED.closed_at)
       )
       UPDATE campaigns SET status = 'completed', completed_at = COALESCE(completed_at, $3)
        WHERE id = $1 AND $4::boolean`,
      [id, packageNo, this.now(), lastPackage],
    );
  }

  /** A list contact, with what its call shows of the campaign. */
  async contactForCall(contactId: string): Promise<ContactForCall> {
    const rows = /^\d{1,18}$/.test(contactId)
      ? ((await this.db.query(
          `SELECT k.id::text AS id, k.package_no, k.name, k.phone, k.email, k.fiscal_code, k.extra,
                  c.id AS campaign_id, c.kind, c.name AS campaign_name, c.script
             FROM campaign_contacts k JOIN campaigns c ON c.id = k.campaign_id WHERE k.id = $1`,
          [contactId],
        )) as {
          id: string;
          package_no: number;
          name: string | null;
          phone: string | null;
          email: string | null;
          fiscal_code: string | null;
          extra: Record<string, string>;
          campaign_id: string;
          kind: CampaignKind;
          campaign_name: string;
          script: string | null;
        }[])
      : [];
    const r = rows[0];
    if (!r) throw new NotFoundError('Contatto della campagna non trovato.');
    return {
      id: r.id,
      packageNo: r.package_no,
      name: r.name,
      phone: r.phone,
      email: r.email,
      fiscalCode: r.fiscal_code,
      extra: r.extra,
      campaign: {
        id: r.campaign_id,
        kind: r.kind,
        kindLabel: CAMPAIGN_KIND_LABELS[r.kind],
        name: r.campaign_name,
        script: r.script,
      },
    };
  }

  /**
   * Records the outcome of a list contact's call. The first outcome stays: a retried task
   * finds it and answers with it. Whether it is positive comes from the kind's catalogue.
   */
  async recordOutcome(input: {
    campaignId: string;
    contactId: string;
    code: string;
    note?: string | null | undefined;
    operator?: string | null | undefined;
  }): Promise<{ code: string; positive: boolean }> {
    const campaign = await this.get(input.campaignId);
    const outcome = outcomeOf(campaign.kind, input.code);
    if (!outcome) {
      throw new ValidationError(`L'esito «${input.code}» non è tra quelli di una ${campaign.kindLabel.toLowerCase()}.`);
    }
    const updated = await returning<{ outcome_code: string; positive: boolean }>(
      this.db,
      `UPDATE campaign_contacts SET outcome_code = $3, positive = $4, note = $5, operator = $6, done_at = $7
        WHERE id = $1 AND campaign_id = $2 AND outcome_code IS NULL
        RETURNING outcome_code, positive`,
      [
        input.contactId,
        input.campaignId,
        outcome.code,
        outcome.positive,
        input.note ?? null,
        input.operator ?? null,
        this.now(),
      ],
    );
    const stored =
      updated[0] ??
      (
        (await this.db.query(
          'SELECT outcome_code, positive FROM campaign_contacts WHERE id = $1 AND campaign_id = $2',
          [input.contactId, input.campaignId],
        )) as { outcome_code: string | null; positive: boolean | null }[]
      )[0];
    if (!stored?.outcome_code) throw new NotFoundError('Contatto della campagna non trovato.');
    return { code: stored.outcome_code, positive: stored.positive === true };
  }

  /**
   * Records the outcome of a call about something known elsewhere (a cleanup's booking, by
   * its CUP id), adding the contact to its package: a cleanup's contacts come from the CUP's
   * agenda, not from a list. The first outcome stays.
   */
  async recordReferenceOutcome(input: {
    campaignId: string;
    kind: CampaignKind;
    packageNo: number;
    reference: string;
    code: string;
    note?: string | null | undefined;
    operator?: string | null | undefined;
  }): Promise<void> {
    const outcome = outcomeOf(input.kind, input.code);
    if (!outcome) throw new ValidationError(`L'esito «${input.code}» non è nel catalogo.`);
    await this.db.query(
      `WITH package AS (
         INSERT INTO campaign_packages (campaign_id, package_no) VALUES ($1, $2) ON CONFLICT DO NOTHING
       )
       INSERT INTO campaign_contacts (campaign_id, package_no, reference, outcome_code, positive, note, operator, done_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (campaign_id, reference) DO NOTHING`,
      [
        input.campaignId,
        input.packageNo,
        input.reference,
        outcome.code,
        outcome.positive,
        input.note ?? null,
        input.operator ?? null,
        this.now(),
      ],
    );
  }

  /** Calls by package and outcome code. */
  async outcomeCounts(id: string): Promise<OutcomeCount[]> {
    const rows = (await this.db.query(
      `SELECT package_no, outcome_code, count(*)::int AS n FROM campaign_contacts
        WHERE campaign_id = $1 AND outcome_code IS NOT NULL
        GROUP BY package_no, outcome_code ORDER BY package_no, outcome_code`,
      [id],
    )) as { package_no: number; outcome_code: string; n: number }[];
    return rows.map((r) => ({ packageNo: r.package_no, code: r.outcome_code, contacts: r.n }));
  }

  /** The campaign's packages against efficacy and efficiency, and its calls by outcome. */
  async report(id: string): Promise<CampaignReport> {
    const campaign = await this.get(id);
    const rows = (await this.db.query(
      `SELECT p.package_no, p.contacts_total, p.started_at,
              count(k.id)::int AS listed, count(k.outcome_code)::int AS done,
              count(*) FILTER (WHERE k.positive)::int AS positive, max(k.done_at) AS last_done_at
         FROM campaign_packages p
         LEFT JOIN campaign_contacts k ON k.campaign_id = p.campaign_id AND k.package_no = p.package_no
        WHERE p.campaign_id = $1
        GROUP BY p.package_no, p.contacts_total, p.started_at
        ORDER BY p.package_no`,
      [id],
    )) as {
      package_no: number;
      contacts_total: number | null;
      started_at: Date | null;
      listed: number;
      done: number;
      positive: number;
      last_done_at: Date | null;
    }[];
    const now = this.now();
    const packages = rows.map((r) =>
      packageReport({
        packageNo: r.package_no,
        contacts: r.contacts_total ?? r.listed,
        done: r.done,
        positive: r.positive,
        startedAt: r.started_at,
        lastDoneAt: r.last_done_at,
        now,
      }),
    );
    const counts = new Map<string, number>();
    for (const c of await this.outcomeCounts(id)) counts.set(c.code, (counts.get(c.code) ?? 0) + c.contacts);
    const catalogue = OUTCOME_CATALOGUES[campaign.kind];
    const outcomes = [
      ...catalogue.map((o) => ({
        code: o.code,
        label: o.label,
        positive: o.positive,
        contacts: counts.get(o.code) ?? 0,
      })),
      // A code since removed from the catalogue still counts where it was recorded.
      ...[...counts]
        .filter(([code]) => !catalogue.some((o) => o.code === code))
        .map(([code, contacts]) => ({ code, label: code, positive: false, contacts })),
    ];
    return {
      campaign,
      contacts: packages.reduce((n, p) => n + p.contacts, 0),
      done: packages.reduce((n, p) => n + p.done, 0),
      packages,
      outcomes,
    };
  }
}

/** One package against the two SLAs (exported for its unit test). */
export function packageReport(p: {
  packageNo: number;
  contacts: number;
  done: number;
  positive: number;
  startedAt: Date | null;
  lastDoneAt: Date | null;
  now: Date;
}): PackageReport {
  const complete = p.contacts > 0 && p.done >= p.contacts;
  const share = p.done > 0 ? p.positive / p.done : null;
  const elapsed = p.startedAt ? serviceHoursBetween(p.startedAt, complete ? (p.lastDoneAt ?? p.now) : p.now) : null;
  const over = elapsed === null ? 0 : Math.max(0, Math.ceil(elapsed - EFFICIENCY_SERVICE_HOURS - 1e-9));
  return {
    packageNo: p.packageNo,
    contacts: p.contacts,
    done: p.done,
    positive: p.positive,
    positiveShare: share === null ? null : Math.round(share * 10_000) / 10_000,
    efficacious: share === null ? null : share >= EFFICACY_THRESHOLD,
    startedAt: p.startedAt?.toISOString() ?? null,
    completedAt: complete ? (p.lastDoneAt?.toISOString() ?? null) : null,
    serviceHours: elapsed === null ? null : Math.round(elapsed * 100) / 100,
    efficient: elapsed === null ? null : over > 0 ? false : complete ? true : null,
    hoursOverLimit: over,
  };
}
