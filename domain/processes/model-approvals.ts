import type { DataSource } from 'typeorm';
import type { Principal } from '../access/users.js';
import type { AuditEntry } from '../access/audit.js';
import type { Permission } from '../access/roles.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { unsafeConstructs } from './model-safety.js';
import { ModelRepository } from './model-repository.js';
import { returning } from '../../platform/database/query.js';
import {
  missingPermissions,
  modelNeeds,
  needReasons,
  type ModelNeeds,
  type NeedReason,
  type WorkerPermission,
} from './model-permissions.js';
import { lintModel, type LintProblem } from '../../platform/engine/model-lint.js';
import { readBpmn, type BpmnProcessInfo } from '../../platform/engine/bpmn-model.js';
import type { DeployedResource, Deployer } from '../../platform/engine/deployer.js';
import type { LintContext } from '../../modeler/lint/rules.js';
import { PERMISSION_LABELS } from '../access/roles.js';

/** Writes an audit entry for the person acting (the API's `req.audit`). */
export type Audit = (e: Omit<AuditEntry, 'actor' | 'ip'>) => Promise<void>;

export interface DeployRequest {
  /** `<id>.bpmn` or `<id>.form`. */
  name: string;
  content: string;
  comment: string;
  /** The requester confirmed deploying despite the platform's lint errors. */
  override: boolean;
}

export interface ApprovalView {
  id: string;
  resourceName: string;
  resourceId: string;
  resourceType: 'process' | 'form';
  comment: string;
  override: boolean;
  rollbackOf: string | null;
  requestedBy: string;
  reasons: NeedReason[];
  /** `approving`: an approver claimed it and is deploying it (decidedBy, since decidedAt). */
  status: 'pending' | 'approving' | 'approved' | 'refused';
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  deploymentId: string | null;
  version: number | null;
  createdAt: Date;
  /** Whether the person looking may approve it, and if not why (for the page's buttons). */
  mayApprove: boolean;
  whyNot?: string;
}

export type DeployOutcome =
  | { status: 'deployed'; deployed: DeployedResource; warnings: LintProblem[] }
  | {
      status: 'pending-approval';
      /** Why it was not deployed, in Italian, for the modeler's notice. */
      message: string;
      reasons: NeedReason[];
      /** The permissions of `reasons` the requester lacks. */
      missing: Permission[];
      approval: ApprovalView;
      warnings: LintProblem[];
    };

interface ApprovalRow {
  id: string;
  resource_name: string;
  content: string;
  comment: string;
  override: boolean;
  rollback_of: string | null;
  requested_by: string;
  needs: ModelNeeds;
  status: ApprovalView['status'];
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  deployment_id: string | null;
  version: number | null;
  created_at: Date;
  /** An `approving` claim older than CLAIM_EXPIRES_MINUTES: its approver's process died, another may take it. */
  claim_expired: boolean;
}

/**
 * How long an approval's claim holds: longer than any deploy takes (the engine client gives
 * up after 30 s), so a claim still held past it is one whose outcome will never be recorded.
 */
const CLAIM_EXPIRES_MINUTES = 5;
const CLAIM_EXPIRED = `decided_at < now() - interval '${CLAIM_EXPIRES_MINUTES} minutes'`;

const APPROVAL_COLUMNS = `id::text, resource_name, content, comment, override, rollback_of::text, requested_by, needs,
  status, decided_by, decided_at, decision_note, deployment_id::text, version, created_at,
  (status = 'approving' AND ${CLAIM_EXPIRED}) AS claim_expired`;

const STATUS_LABELS: Record<ApprovalView['status'], string> = {
  pending: 'in attesa',
  approving: 'in corso di approvazione',
  approved: 'approvata',
  refused: 'rifiutata',
};

const idOf = (name: string) => name.replace(/\.(bpmn|form)$/, '');

/**
 * Deploys from the modeler, with four eyes on what a model makes workers do. Each worker
 * declares the permission its effect needs; a model whose external tasks (or the processes
 * it calls) need a permission its deployer lacks is not deployed but recorded as a pending
 * approval, with which tasks need which permission. Another person who holds every
 * permission the model needs (and may see models) approves it, and it is deployed then with
 * the same checks, recording requester and approver with the version; or refuses it with a
 * note. The deploy of the repository's own files at start-up does not pass here.
 */
export class ModelDeploys {
  readonly repository: ModelRepository;

  constructor(
    private readonly deps: {
      db: DataSource;
      deployer: Deployer;
      lintContext: () => Promise<LintContext>;
      workers: readonly WorkerPermission[];
    },
  ) {
    this.repository = new ModelRepository(deps.db);
  }

  /** Deploys now when the deployer holds what the model's workers need, else records a request. */
  async deploy(by: Principal, input: DeployRequest, audit: Audit): Promise<DeployOutcome> {
    return this.deployOrRequest(by, input, audit);
  }

  /** Redeploys an earlier deployed version as the newest, under the same rule as a deploy. */
  async rollback(by: Principal, deploymentId: string, comment: string, audit: Audit): Promise<DeployOutcome> {
    const row = await this.repository.deployment(deploymentId);
    if (row?.status !== 'deployed') throw new NotFoundError('Versione distribuita non trovata.');
    return this.deployOrRequest(
      by,
      {
        name: row.resourceName,
        content: row.content,
        comment: `${comment} (ripristino della versione ${row.version ?? '?'})`,
        override: true,
      },
      audit,
      deploymentId,
    );
  }

  /** The requests waiting for a decision (or being approved right now), the oldest first. */
  async pending(viewer: Principal): Promise<ApprovalView[]> {
    const rows = await this.deps.db.query<ApprovalRow[]>(
      `SELECT ${APPROVAL_COLUMNS} FROM model_approvals WHERE status IN ('pending', 'approving') ORDER BY id LIMIT 200`,
    );
    return rows.map((r) => this.view(r, viewer));
  }

  /** One request with its model and, to compare with, the newest deployed version of the same resource. */
  async approval(
    id: string,
    viewer: Principal,
  ): Promise<ApprovalView & { content: string; deployed: { version: number | null; content: string } | null }> {
    const row = await this.row(this.deps.db, id);
    const type = row.resource_name.endsWith('.form') ? 'form' : 'process';
    const current = await this.repository.latestContent(type, idOf(row.resource_name));
    return {
      ...this.view(row, viewer),
      content: row.content,
      deployed: current ? { version: current.version, content: current.content } : null,
    };
  }

  /**
   * Approves and deploys, in three steps so that no transaction nor row lock spans the call
   * to the engine: the approval claims the request (pending → approving, conditional, so two
   * approvals at the same moment deploy once: the second finds it claimed, 409), deploys, and
   * records `approved` with the deployment. A model that no longer passes the checks stays
   * pending; one the engine refuses goes back to pending with the problem. Should recording
   * the outcome fail, the request stays `approving` (the model is live, it is not pending);
   * once the claim expires another approval may take it: the engine's duplicate filtering
   * gives back the same version, which is then recorded.
   */
  async approve(
    id: string,
    by: Principal,
    note: string | undefined,
    audit: Audit,
  ): Promise<{ approval: ApprovalView; deployed: DeployedResource; warnings: LintProblem[] }> {
    const db = this.deps.db;
    const row = await this.row(db, id);
    this.mustBeClaimable(row);
    if (row.requested_by === by.id) {
      throw new ForbiddenError(
        'Chi ha chiesto la distribuzione non può approvarla: serve un’altra persona che abbia i permessi richiesti (quattro occhi).',
      );
    }
    // What the model needs now (a worker may have changed with a release since the request).
    const { warnings, needs } = await this.check(row.resource_name, row.content, row.override);
    this.mustHold(by, needs, 'approvare');

    const claimed = await returning<{ claim: string }>(
      db,
      `UPDATE model_approvals SET status = 'approving', decided_by = $2, decided_at = now()
        WHERE id = $1 AND requested_by <> $2
          AND (status = 'pending' OR (status = 'approving' AND ${CLAIM_EXPIRED}))
        RETURNING decided_at::text AS claim`,
      [id, by.id],
    );
    const claim = claimed[0]?.claim;
    if (claim === undefined) {
      // Claimed or decided by someone else in the meantime.
      this.mustBeClaimable(await this.row(db, id));
      throw new ConflictError('La richiesta è appena stata presa in carico da un’altra approvazione.');
    }
    const mine = `id = $1 AND status = 'approving' AND decided_by = $2 AND decided_at = $3::timestamptz`;

    let deployed: DeployedResource;
    try {
      deployed = await this.deployChecked(
        { name: row.resource_name, content: row.content, comment: row.comment, override: row.override },
        warnings,
        row.requested_by,
        by.id,
      );
    } catch (err) {
      // The engine refused it: not deployed, pending again with why (the answer has the problems).
      // Any other failure leaves the deploy in doubt (sent, answer lost): the request stays
      // approving until its claim expires, and the next approval settles it.
      if (err instanceof ValidationError) {
        const problem = [err.message, ...err.errors.map((e) => `${e.field}: ${e.message}`)].join(' ');
        await db
          .query(
            `UPDATE model_approvals SET status = 'pending', decided_by = NULL, decided_at = NULL, decision_note = $4
              WHERE ${mine}`,
            [id, by.id, claim, `Distribuzione non riuscita (approvazione di ${by.id}): ${problem}`.slice(0, 2000)],
          )
          .catch(() => undefined); // left approving: its claim expires
      }
      throw err;
    }
    const history = await this.repository.deployedByKey(deployed.key);
    const decided = await returning<ApprovalRow>(
      db,
      `UPDATE model_approvals
          SET status = 'approved', decided_at = now(), decision_note = $4, deployment_id = $5, version = $6, needs = $7
        WHERE ${mine} RETURNING ${APPROVAL_COLUMNS}`,
      [id, by.id, claim, note ?? null, history?.id ?? null, deployed.version, JSON.stringify(needs)],
    );
    const done = decided[0];
    if (!done) {
      // The claim expired and another approval took it: that one records the outcome.
      throw new ConflictError(
        'La richiesta è stata presa in carico da un’altra approvazione mentre veniva distribuita.',
      );
    }
    const errors = warnings.filter((p) => p.category === 'error');
    await audit({
      action: 'model.approved',
      subjectType: deployed.type,
      subjectId: deployed.resourceId,
      detail: { approval: id, requestedBy: done.requested_by, version: deployed.version },
    });
    await audit({
      action: done.rollback_of ? 'model.rolled-back' : 'model.deployed',
      subjectType: deployed.type,
      subjectId: deployed.resourceId,
      detail: {
        version: deployed.version,
        override: done.override && errors.length > 0,
        approval: id,
        requestedBy: done.requested_by,
        ...(done.rollback_of ? { from: done.rollback_of } : {}),
      },
    });
    return { approval: this.view(done, by), deployed, warnings };
  }

  /**
   * Refuses with a note: someone who could approve it, or the requester withdrawing it.
   * Conditional on the request still pending, so it never undoes an approval.
   */
  async refuse(id: string, by: Principal, note: string, audit: Audit): Promise<ApprovalView> {
    const row = await this.row(this.deps.db, id);
    this.mustBePending(row);
    if (row.requested_by !== by.id) this.mustHold(by, row.needs, 'rifiutare');
    const updated = await returning<ApprovalRow>(
      this.deps.db,
      `UPDATE model_approvals SET status = 'refused', decided_by = $2, decided_at = now(), decision_note = $3
        WHERE id = $1 AND status = 'pending' RETURNING ${APPROVAL_COLUMNS}`,
      [id, by.id, note],
    );
    const refused = updated[0];
    if (!refused) this.mustBePending(await this.row(this.deps.db, id));
    await audit({
      action: 'model.refused',
      subjectType: row.resource_name.endsWith('.form') ? 'form' : 'process',
      subjectId: idOf(row.resource_name),
      detail: { approval: id, requestedBy: row.requested_by, note },
    });
    return this.view(refused ?? row, by);
  }

  private async deployOrRequest(
    by: Principal,
    input: DeployRequest,
    audit: Audit,
    rollbackOf?: string,
  ): Promise<DeployOutcome> {
    const { warnings, needs } = await this.check(input.name, input.content, input.override);
    const missing = missingPermissions(needs, by.permissions);
    if (missing.length === 0) {
      const deployed = await this.deployChecked(input, warnings, by.id);
      await audit({
        action: rollbackOf ? 'model.rolled-back' : 'model.deployed',
        subjectType: deployed.type,
        subjectId: deployed.resourceId,
        detail: {
          version: deployed.version,
          override: input.override && warnings.some((p) => p.category === 'error'),
          ...(rollbackOf ? { from: rollbackOf } : {}),
        },
      });
      return { status: 'deployed', deployed, warnings };
    }
    const rows = await this.deps.db.query<ApprovalRow[]>(
      `INSERT INTO model_approvals (resource_name, content, comment, override, rollback_of, requested_by, needs)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${APPROVAL_COLUMNS}`,
      [input.name, input.content, input.comment, input.override, rollbackOf ?? null, by.id, JSON.stringify(needs)],
    );
    const row = rows[0] as ApprovalRow;
    await audit({
      action: 'model.approval-requested',
      subjectType: 'process',
      subjectId: idOf(input.name),
      detail: { approval: row.id, needs: Object.keys(needs), missing, ...(rollbackOf ? { from: rollbackOf } : {}) },
    });
    const reasons = needReasons(needs);
    return {
      status: 'pending-approval',
      message:
        `Il modello non è stato distribuito: in attesa di approvazione (richiesta n. ${row.id}). ` +
        `Le sue attività fanno agire worker con permessi che il tuo ruolo non ha (${missing
          .map((p) => PERMISSION_LABELS[p])
          .join('; ')}): ` +
        'lo distribuirà l’approvazione di un’altra persona che li abbia, dalla pagina Approvazioni.',
      reasons,
      missing,
      approval: this.view(row, by),
      warnings,
    };
  }

  /**
   * The platform's checks before any deploy (file name = id, forms well-formed, nothing that
   * would run code in the engine, the lint rules unless overridden) and what the model's
   * workers need.
   */
  private async check(
    name: string,
    content: string,
    override: boolean,
  ): Promise<{ warnings: LintProblem[]; needs: ModelNeeds }> {
    const warnings = await checkResource(name, content, await this.deps.lintContext());
    const errors = warnings.filter((p) => p.category === 'error');
    if (errors.length > 0 && !override) {
      throw new ValidationError(
        'Il modello non supera i controlli della piattaforma: correggere o confermare la distribuzione forzata.',
        errors.map((p) => ({ field: p.element || name, message: p.message })),
      );
    }
    if (name.endsWith('.form')) return { warnings, needs: {} };
    const needs = await modelNeeds(await readBpmn(content), this.deps.workers, async (processId) => {
      const called = await this.repository.latestContent('process', processId);
      return called ? readBpmn(called.content).catch(() => undefined) : undefined;
    });
    return { warnings, needs };
  }

  private async deployChecked(
    input: DeployRequest,
    warnings: LintProblem[],
    deployedBy: string,
    approvedBy?: string,
  ): Promise<DeployedResource> {
    const forced = input.override && warnings.some((p) => p.category === 'error');
    const result = await this.deps.deployer.deploy({
      name: input.name,
      content: input.content,
      source: 'modeler',
      deployedBy,
      ...(approvedBy ? { approvedBy } : {}),
      comment: forced ? `${input.comment} [distribuito con avvisi]` : input.comment,
    });
    if (!result.deployed) {
      throw new ValidationError(
        'Il motore ha rifiutato il modello.',
        result.problems.map((p) => ({ field: p.element ?? input.name, message: p.reason })),
      );
    }
    return result.deployed;
  }

  private async row(q: Pick<DataSource, 'query'>, id: string): Promise<ApprovalRow> {
    const rows = await q.query<ApprovalRow[]>(`SELECT ${APPROVAL_COLUMNS} FROM model_approvals WHERE id = $1`, [id]);
    if (!rows[0]) throw new NotFoundError('Richiesta di approvazione non trovata.');
    return rows[0];
  }

  private mustBePending(row: ApprovalRow): void {
    if (row.status === 'approving') {
      throw new ConflictError(`La richiesta è in corso di approvazione da parte di ${row.decided_by ?? '?'}.`);
    }
    if (row.status !== 'pending') {
      throw new ConflictError(
        `La richiesta è già stata ${STATUS_LABELS[row.status]}${row.decided_by ? ` da ${row.decided_by}` : ''}.`,
      );
    }
  }

  /** Pending, or claimed by an approval whose outcome was never recorded. */
  private mustBeClaimable(row: ApprovalRow): void {
    if (!(row.status === 'approving' && row.claim_expired)) this.mustBePending(row);
  }

  private mustHold(by: Principal, needs: ModelNeeds, verb: string): void {
    if (!by.permissions.includes('models:view')) {
      throw new ForbiddenError(`Per ${verb} una distribuzione serve poter vedere i modelli.`);
    }
    const lacking = missingPermissions(needs, by.permissions);
    if (lacking.length > 0) {
      throw new ForbiddenError(
        `Per ${verb} questa distribuzione serve il permesso di ${lacking.map((p) => `${PERMISSION_LABELS[p]} (${p})`).join(' e di ')}, che il tuo ruolo non ha.`,
      );
    }
  }

  private view(r: ApprovalRow, viewer: Principal): ApprovalView {
    const lacking = missingPermissions(r.needs, viewer.permissions);
    const claimable = r.status === 'pending' || (r.status === 'approving' && r.claim_expired);
    const whyNot =
      r.status === 'approving' && !r.claim_expired
        ? `Richiesta in corso di approvazione da parte di ${r.decided_by ?? '?'} (se non si conclude, si può riprovare dopo ${CLAIM_EXPIRES_MINUTES} minuti).`
        : !claimable
          ? `Richiesta ${STATUS_LABELS[r.status]}.`
          : r.requested_by === viewer.id
            ? 'È una tua richiesta: la approva un’altra persona.'
            : lacking.length > 0
              ? `Serve il permesso di ${lacking.map((p) => PERMISSION_LABELS[p]).join(' e di ')}.`
              : undefined;
    return {
      id: r.id,
      resourceName: r.resource_name,
      resourceId: idOf(r.resource_name),
      resourceType: r.resource_name.endsWith('.form') ? 'form' : 'process',
      comment: r.comment,
      override: r.override,
      rollbackOf: r.rollback_of,
      requestedBy: r.requested_by,
      reasons: needReasons(r.needs),
      status: r.status,
      decidedBy: r.decided_by,
      decidedAt: r.decided_at,
      decisionNote: r.decision_note,
      deploymentId: r.deployment_id,
      version: r.version,
      createdAt: r.created_at,
      mayApprove: whyNot === undefined,
      ...(whyNot ? { whyNot } : {}),
    };
  }
}

/** The platform's checks before a deploy: file name = id, forms well-formed, BPMN lint rules. */
export async function checkResource(name: string, content: string, ctx: LintContext): Promise<LintProblem[]> {
  const id = idOf(name);
  if (name.endsWith('.form')) {
    let schema: unknown;
    try {
      schema = JSON.parse(content);
    } catch {
      throw new ValidationError('Il modulo non è un JSON valido.');
    }
    const s = schema as { id?: unknown; components?: unknown };
    if (s.id !== id) throw new ValidationError(`L'id del modulo deve essere «${id}», come il nome del file.`);
    if (!Array.isArray(s.components)) throw new ValidationError('Il modulo non ha componenti.');
    return [];
  }
  // What the engine would run beyond the variables is refused, override or not.
  const unsafe = unsafeConstructs(content);
  if (unsafe.length > 0) {
    throw new ValidationError('Il modello chiede al motore di eseguire ciò che la piattaforma non ammette.', unsafe);
  }
  const processes: BpmnProcessInfo[] = await readBpmn(content).catch((err: Error) => {
    throw new ValidationError(`Il file non è un BPMN valido: ${err.message}`);
  });
  if (!processes.some((p) => p.id === id)) {
    throw new ValidationError(`Il file ${name} deve contenere il processo con id «${id}».`);
  }
  return lintModel(content, ctx);
}
