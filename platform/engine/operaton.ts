import { fromEngineVariables, toEngineVariables, type EngineVariables, type VariableInstance } from './variables.js';

/**
 * The one module that talks to the workflow engine: Operaton's REST API (the Camunda 7 REST
 * API under `/engine-rest`). Everything else in the platform goes through this client, so a
 * team moving to another engine replaces this folder. The engine's REST API is never exposed
 * to browsers: the platform's API is the only gate, with its own roles.
 */
export interface EngineConnection {
  /** One or more REST base URLs (`http://host:8080/engine-rest`); several for a cluster. */
  urls: string[];
  user: string;
  password: string;
}

/** The engine answered with an error; `type` is the engine's exception type. */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The engine could not be reached at all. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

export interface ProcessDefinition {
  id: string;
  key: string;
  name: string | null;
  version: number;
  deploymentId: string;
  resource: string;
  historyTimeToLive?: number | null;
}

export interface Deployment {
  id: string;
  name: string | null;
  deploymentTime: string;
  deployedProcessDefinitions: Record<string, ProcessDefinition> | null;
}

export interface ParseProblem {
  message: string;
  line?: number;
  column?: number;
  mainElementId?: string | null;
  elementIds?: string[];
}

export interface LockedExternalTask {
  id: string;
  topicName: string;
  workerId: string;
  activityId: string;
  activityInstanceId: string;
  executionId: string;
  processInstanceId: string;
  processDefinitionId: string;
  processDefinitionKey: string;
  businessKey: string | null;
  retries: number | null;
  priority: number;
  variables: EngineVariables;
  extensionProperties?: Record<string, string>;
}

export interface EngineTask {
  id: string;
  name: string | null;
  assignee: string | null;
  created: string;
  due: string | null;
  followUp: string | null;
  priority: number;
  processDefinitionId: string;
  processInstanceId: string;
  taskDefinitionKey: string;
  operatonFormRef?: { key: string; binding: string; version: number | null } | null;
  camundaFormRef?: { key: string; binding: string; version: number | null } | null;
  formKey?: string | null;
}

export interface IdentityLink {
  userId: string | null;
  groupId: string | null;
  type: string;
}

export interface HistoricProcessInstance {
  id: string;
  businessKey: string | null;
  processDefinitionId: string;
  processDefinitionKey: string;
  processDefinitionName: string | null;
  processDefinitionVersion: number;
  startTime: string;
  endTime: string | null;
  removalTime: string | null;
  durationInMillis: number | null;
  startUserId: string | null;
  superProcessInstanceId: string | null;
  state: 'ACTIVE' | 'SUSPENDED' | 'COMPLETED' | 'EXTERNALLY_TERMINATED' | 'INTERNALLY_TERMINATED';
}

export interface HistoricActivityInstance {
  id: string;
  activityId: string;
  activityName: string | null;
  activityType: string;
  startTime: string;
  endTime: string | null;
  canceled: boolean;
  taskId: string | null;
  assignee: string | null;
}

/** An activity instance with what the KPIs need besides HistoricActivityInstance's fields. */
export interface HistoricActivityInstanceWithDuration extends HistoricActivityInstance {
  processInstanceId: string;
  processDefinitionId: string;
  /** Null while it runs. */
  durationInMillis: number | null;
}

export interface Incident {
  id: string;
  /** `failedJob`, `failedExternalTask`, or a custom type. */
  incidentType: string;
  incidentTimestamp: string;
  activityId: string;
  failedActivityId?: string | null;
  processInstanceId: string;
  processDefinitionId: string;
  configuration: string | null;
  incidentMessage: string | null;
}

export interface HistoricIncident extends Omit<Incident, 'incidentTimestamp'> {
  /** When the incident was raised (the runtime query calls it `incidentTimestamp`). */
  createTime: string;
  endTime: string | null;
  open: boolean;
  resolved: boolean;
  deleted: boolean;
}

export interface HistoricTask {
  id: string;
  name: string | null;
  assignee: string | null;
  taskDefinitionKey: string;
  processInstanceId: string;
  processDefinitionId: string;
  processDefinitionKey: string;
  startTime: string;
  endTime: string | null;
  due: string | null;
  priority: number;
  deleteReason: string | null;
}

export interface Job {
  id: string;
  dueDate: string | null;
  processInstanceId: string | null;
  processDefinitionId: string | null;
  processDefinitionKey: string | null;
  retries: number;
  exceptionMessage: string | null;
  suspended: boolean;
}

type Query = Record<string, string | number | boolean | undefined | null>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  form?: FormData;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Only this node (fetch-and-lock polls each node on its own). */
  node?: number;
}

/** Connection errors that mean the request never reached the engine node. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** For reads of one thing: the engine's 404 means it does not exist (any more). */
function absentOn404(err: unknown): undefined {
  if (err instanceof EngineError && err.status === 404) return undefined;
  throw err;
}

/** `processDefinitionId` is `key:version:uuid`. */
export function versionOf(processDefinitionId: string): number {
  const v = Number.parseInt(processDefinitionId.split(':')[1] ?? '', 10);
  return Number.isInteger(v) ? v : 0;
}

export class EngineClient {
  private readonly auth: string;
  private next = 0;

  constructor(readonly connection: EngineConnection) {
    if (connection.urls.length === 0) throw new Error('no engine URL');
    this.auth = `Basic ${Buffer.from(`${connection.user}:${connection.password}`).toString('base64')}`;
  }

  get nodes(): number {
    return this.connection.urls.length;
  }

  /**
   * One REST call. Without `node` the nodes take turns, and a node that cannot be reached
   * is skipped (the request never arrived, so any call may go to the next one).
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const urls = this.connection.urls;
    const first = opts.node ?? this.next++ % urls.length;
    const tries = opts.node === undefined ? urls.length : 1;
    let lastError: Error | undefined;
    for (let i = 0; i < tries; i++) {
      const base = urls[(first + i) % urls.length] ?? '';
      const url = new URL(`${base.replace(/\/$/, '')}${path}`);
      for (const [k, v] of Object.entries(opts.query ?? {})) {
        if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
      }
      const headers: Record<string, string> = { authorization: this.auth, accept: 'application/json' };
      let body: string | FormData | undefined;
      if (opts.form) body = opts.form;
      else if (opts.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(opts.body);
      }
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
      const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body, signal });
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        lastError = err as Error;
        // Only a request that never reached the node may go to the next one: after a timeout
        // or a reset it may have been carried out (a start, a completion) and must not repeat.
        if (NOT_SENT.has((err as { cause?: { code?: string } }).cause?.code ?? '')) continue;
        throw new EngineUnavailableError(`the workflow engine did not answer (${base}): ${lastError.message}`);
      }
      const text = await res.text();
      if (res.status >= 400) {
        let parsed: { type?: string; message?: string; details?: unknown } = {};
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          parsed = { message: text.slice(0, 500) };
        }
        throw new EngineError(
          res.status,
          parsed.type ?? 'HttpError',
          parsed.message ?? `HTTP ${res.status}`,
          parsed.details,
        );
      }
      return (text === '' ? undefined : JSON.parse(text)) as T;
    }
    throw new EngineUnavailableError(
      `the workflow engine is not reachable (${urls.join(', ')}): ${lastError?.message ?? 'no answer'}`,
    );
  }

  /** True when the engine answers (with valid credentials) within `timeoutMs`. */
  async reachable(timeoutMs = 2000): Promise<boolean> {
    try {
      await this.request('GET', '/version', { timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  // ----- repository ------------------------------------------------------------------

  /**
   * Deploys resources as one deployment. With duplicate filtering the engine makes a new
   * version only of what changed since the deployment of the same name.
   */
  async deploy(opts: {
    name: string;
    source: string;
    resources: { name: string; content: string }[];
    changedOnly?: boolean;
  }): Promise<Deployment> {
    const form = new FormData();
    form.set('deployment-name', opts.name);
    form.set('deployment-source', opts.source);
    form.set('enable-duplicate-filtering', 'true');
    form.set('deploy-changed-only', String(opts.changedOnly ?? true));
    for (const r of opts.resources) {
      form.set(r.name, new Blob([r.content], { type: 'application/octet-stream' }), r.name);
    }
    return this.request<Deployment>('POST', '/deployment/create', { form });
  }

  async latestDefinition(key: string): Promise<ProcessDefinition | undefined> {
    return this.request<ProcessDefinition>('GET', `/process-definition/key/${encodeURIComponent(key)}`).catch(
      absentOn404,
    );
  }

  async definitions(query: Query = {}): Promise<ProcessDefinition[]> {
    return this.request<ProcessDefinition[]>('GET', '/process-definition', { query });
  }

  async definitionXml(id: string): Promise<string | undefined> {
    const r = await this.request<{ bpmn20Xml: string }>(
      'GET',
      `/process-definition/${encodeURIComponent(id)}/xml`,
    ).catch(absentOn404);
    return r?.bpmn20Xml;
  }

  // ----- runtime ---------------------------------------------------------------------

  async startProcess(
    key: string,
    opts: { businessKey?: string; variables: Record<string, unknown>; startAt?: string | undefined },
  ): Promise<{ id: string; definitionId: string; businessKey: string | null }> {
    const variables = toEngineVariables(opts.variables);
    return this.request('POST', `/process-definition/key/${encodeURIComponent(key)}/start`, {
      body: {
        businessKey: opts.businessKey,
        variables,
        ...(opts.startAt ? { startInstructions: [{ type: 'startBeforeActivity', activityId: opts.startAt }] } : {}),
      },
    });
  }

  /**
   * Starts an instance and answers with its process variables as they are at its first wait
   * states (the engine runs it synchronously up to there in the same transaction).
   */
  async startWithVariables(
    key: string,
    opts: { businessKey: string; variables: Record<string, unknown> },
  ): Promise<{ id: string; ended: boolean; variables: Record<string, unknown> }> {
    const r = await this.request<{ id: string; ended: boolean; variables: EngineVariables }>(
      'POST',
      `/process-definition/key/${encodeURIComponent(key)}/start`,
      {
        body: {
          businessKey: opts.businessKey,
          variables: toEngineVariables(opts.variables),
          withVariablesInReturn: true,
        },
      },
    );
    return { id: r.id, ended: r.ended, variables: fromEngineVariables(r.variables) };
  }

  /**
   * Delivers a message to exactly one waiting instance and answers with its process variables
   * at its next wait states. Throws the engine's 400 when none (or several) wait for it.
   */
  async correlateOne(
    messageName: string,
    opts: { businessKey: string; correlationKeys?: Record<string, unknown>; variables?: Record<string, unknown> },
  ): Promise<Record<string, unknown>> {
    const results = await this.request<{ variables?: EngineVariables }[]>('POST', '/message', {
      body: {
        messageName,
        businessKey: opts.businessKey,
        correlationKeys: toEngineVariables(opts.correlationKeys ?? {}),
        processVariables: toEngineVariables(opts.variables ?? {}),
        all: false,
        resultEnabled: true,
        variablesInResultEnabled: true,
      },
    });
    return fromEngineVariables(results[0]?.variables ?? {});
  }

  /** The id of the running or ended instance of `key` with this business key, if any. */
  async processInstanceByBusinessKey(key: string, businessKey: string): Promise<string | undefined> {
    const found = await this.request<{ id: string }[]>('GET', '/history/process-instance', {
      query: { processDefinitionKey: key, processInstanceBusinessKey: businessKey, maxResults: 1 },
    });
    return found[0]?.id;
  }

  /** An instance's process variables now; `undefined` once it has ended. */
  async processVariables(processInstanceId: string): Promise<Record<string, unknown> | undefined> {
    const r = await this.request<EngineVariables>(
      'GET',
      `/process-instance/${encodeURIComponent(processInstanceId)}/variables`,
      { query: { deserializeValues: false } },
    ).catch((err: unknown) => {
      // An instance that has ended: 404, or 500 "execution … doesn't exist".
      if (err instanceof EngineError && (err.status === 404 || /doesn't exist|does not exist/i.test(err.message))) {
        return undefined;
      }
      throw err;
    });
    return r ? fromEngineVariables(r) : undefined;
  }

  /**
   * Delivers a BPMN message to every instance waiting for it whose variables match
   * (`processVariables`), and sets `variables` on them; how many received it (0: none waits).
   */
  async correlateMessage(
    messageName: string,
    opts: { processVariables: Record<string, unknown>; variables?: Record<string, unknown> },
  ): Promise<number> {
    try {
      const results = await this.request<unknown[]>('POST', '/message', {
        body: {
          messageName,
          correlationKeys: toEngineVariables(opts.processVariables),
          processVariables: toEngineVariables(opts.variables ?? {}),
          all: true,
          resultEnabled: true,
        },
      });
      return results.length;
    } catch (err) {
      // The engine answers 400 "Cannot correlate message" when nobody waits for it.
      if (err instanceof EngineError && err.status === 400 && /correlate/i.test(err.message)) return 0;
      throw err;
    }
  }

  async deleteProcessInstance(id: string, reason?: string): Promise<void> {
    await this.request('DELETE', `/process-instance/${encodeURIComponent(id)}`, {
      query: { skipCustomListeners: false, failIfNotExists: true, deleteReason: reason },
    });
  }

  /** The tree of active activity instances (where the tokens are). */
  async activityInstanceTree(processInstanceId: string): Promise<ActivityInstanceTree | undefined> {
    return this.request<ActivityInstanceTree>(
      'GET',
      `/process-instance/${encodeURIComponent(processInstanceId)}/activity-instances`,
    ).catch(absentOn404);
  }

  async incidents(query: Query): Promise<Incident[]> {
    return this.request<Incident[]>('GET', '/incident', { query });
  }

  async incident(id: string): Promise<Incident | undefined> {
    const list = await this.request<Incident[]>('GET', '/incident', { query: { incidentId: id } });
    return list[0];
  }

  async setExternalTaskRetries(id: string, retries: number): Promise<void> {
    await this.request('PUT', `/external-task/${encodeURIComponent(id)}/retries`, { body: { retries } });
  }

  async setJobRetries(id: string, retries: number): Promise<void> {
    await this.request('PUT', `/job/${encodeURIComponent(id)}/retries`, { body: { retries } });
  }

  async jobs(query: Query): Promise<Job[]> {
    return this.request<Job[]>('GET', '/job', { query });
  }

  /** Runs a job now (a timer fires, an async continuation proceeds). */
  async executeJob(id: string): Promise<void> {
    await this.request('POST', `/job/${encodeURIComponent(id)}/execute`);
  }

  // ----- external tasks --------------------------------------------------------------

  async fetchAndLock(
    body: {
      workerId: string;
      maxTasks: number;
      asyncResponseTimeout?: number;
      topics: { topicName: string; lockDuration: number; includeExtensionProperties?: boolean }[];
    },
    opts: { node: number; signal?: AbortSignal },
  ): Promise<LockedExternalTask[]> {
    return this.request<LockedExternalTask[]>('POST', '/external-task/fetchAndLock', {
      body,
      node: opts.node,
      signal: opts.signal,
      timeoutMs: (body.asyncResponseTimeout ?? 0) + 15_000,
    });
  }

  async completeExternalTask(id: string, workerId: string, variables: Record<string, unknown>): Promise<void> {
    await this.request('POST', `/external-task/${encodeURIComponent(id)}/complete`, {
      body: { workerId, variables: toEngineVariables(variables) },
    });
  }

  async externalTaskBpmnError(
    id: string,
    workerId: string,
    error: { code: string; message: string; variables: Record<string, unknown> },
  ): Promise<void> {
    await this.request('POST', `/external-task/${encodeURIComponent(id)}/bpmnError`, {
      body: {
        workerId,
        errorCode: error.code,
        errorMessage: error.message,
        variables: toEngineVariables(error.variables),
      },
    });
  }

  async externalTaskFailure(
    id: string,
    workerId: string,
    failure: { message: string; retries: number; retryTimeoutMs: number },
  ): Promise<void> {
    await this.request('POST', `/external-task/${encodeURIComponent(id)}/failure`, {
      body: {
        workerId,
        errorMessage: failure.message.slice(0, 600),
        retries: failure.retries,
        retryTimeout: failure.retryTimeoutMs,
      },
    });
  }

  async extendLock(id: string, workerId: string, newDurationMs: number): Promise<void> {
    await this.request('POST', `/external-task/${encodeURIComponent(id)}/extendLock`, {
      body: { workerId, newDuration: newDurationMs },
    });
  }

  /** Hands a locked task back at once (a stopping worker), instead of at the end of its lock. */
  async unlockExternalTask(id: string): Promise<void> {
    await this.request('POST', `/external-task/${encodeURIComponent(id)}/unlock`);
  }

  // ----- user tasks ------------------------------------------------------------------

  async tasks(query: Record<string, unknown>, page: { first?: number; max?: number } = {}): Promise<EngineTask[]> {
    return this.request<EngineTask[]>('POST', '/task', {
      body: query,
      query: { firstResult: page.first ?? 0, maxResults: page.max ?? 100 },
    });
  }

  async task(id: string): Promise<EngineTask | undefined> {
    return this.request<EngineTask>('GET', `/task/${encodeURIComponent(id)}`).catch(absentOn404);
  }

  async taskIdentityLinks(id: string): Promise<IdentityLink[]> {
    return this.request<IdentityLink[]>('GET', `/task/${encodeURIComponent(id)}/identity-links`);
  }

  /** Every variable the task sees (its own and those of the scopes above it). */
  async taskVariables(id: string): Promise<Record<string, unknown>> {
    const vars = await this.request<EngineVariables>('GET', `/task/${encodeURIComponent(id)}/variables`, {
      query: { deserializeValues: false },
    });
    return fromEngineVariables(vars);
  }

  /** The form-js schema linked to the task (`camunda:formRef`), or undefined. */
  async taskDeployedForm(id: string): Promise<unknown> {
    return this.request<unknown>('GET', `/task/${encodeURIComponent(id)}/deployed-form`).catch((err: unknown) => {
      if (err instanceof EngineError && (err.status === 404 || err.status === 400)) return undefined;
      throw err;
    });
  }

  async claimTask(id: string, userId: string): Promise<void> {
    await this.request('POST', `/task/${encodeURIComponent(id)}/claim`, { body: { userId } });
  }

  async unclaimTask(id: string): Promise<void> {
    await this.request('POST', `/task/${encodeURIComponent(id)}/unclaim`);
  }

  async completeTask(id: string, variables: Record<string, unknown>): Promise<void> {
    await this.request('POST', `/task/${encodeURIComponent(id)}/complete`, {
      body: { variables: toEngineVariables(variables) },
    });
  }

  // ----- history ---------------------------------------------------------------------

  async historicProcessInstances(
    query: Record<string, unknown>,
    page: { first?: number; max?: number } = {},
  ): Promise<HistoricProcessInstance[]> {
    return this.request<HistoricProcessInstance[]>('POST', '/history/process-instance', {
      body: query,
      query: { firstResult: page.first ?? 0, maxResults: page.max ?? 100 },
    });
  }

  async historicProcessInstance(id: string): Promise<HistoricProcessInstance | undefined> {
    return this.request<HistoricProcessInstance>('GET', `/history/process-instance/${encodeURIComponent(id)}`).catch(
      absentOn404,
    );
  }

  async historicActivities(processInstanceId: string): Promise<HistoricActivityInstance[]> {
    return this.request<HistoricActivityInstance[]>('GET', '/history/activity-instance', {
      query: { processInstanceId, sortBy: 'startTime', sortOrder: 'asc', maxResults: 2000 },
    });
  }

  async historicIncidents(query: Query): Promise<HistoricIncident[]> {
    return this.request<HistoricIncident[]>('GET', '/history/incident', { query });
  }

  async historicVariables(query: Record<string, unknown>): Promise<VariableInstance[]> {
    return this.request<VariableInstance[]>('POST', '/history/variable-instance', {
      body: query,
      query: { deserializeValues: false, maxResults: 5000 },
    });
  }

  async historicTasks(
    query: Record<string, unknown>,
    page: { first?: number; max?: number } = {},
  ): Promise<HistoricTask[]> {
    return this.request<HistoricTask[]>('POST', '/history/task', {
      body: query,
      query: { firstResult: page.first ?? 0, maxResults: page.max ?? 100 },
    });
  }

  // ----- history for the process KPIs (issue 12, K5) ---------------------------------

  /**
   * One page of the activity instances of any instances matching `query` (e.g. one process
   * definition), with their durations; `POST /history/activity-instance`.
   */
  async historicActivityInstances(
    query: Record<string, unknown>,
    page: { first: number; max: number },
  ): Promise<HistoricActivityInstanceWithDuration[]> {
    return this.request<HistoricActivityInstanceWithDuration[]>('POST', '/history/activity-instance', {
      body: query,
      query: { firstResult: page.first, maxResults: page.max },
    });
  }

  /** How many historic process instances match `query`; `POST /history/process-instance/count`. */
  async historicProcessInstanceCount(query: Record<string, unknown>): Promise<number> {
    const r = await this.request<{ count: number }>('POST', '/history/process-instance/count', { body: query });
    return r.count;
  }
}

export interface ActivityInstanceTree {
  id: string;
  activityId: string;
  activityType: string;
  childActivityInstances: ActivityInstanceTree[];
  childTransitionInstances: { activityId: string }[];
  incidentIds?: string[];
}

/** The activity ids where tokens are now, from the tree. */
export function activeActivityIds(tree: ActivityInstanceTree | undefined): string[] {
  if (!tree) return [];
  const out = new Set<string>();
  const walk = (n: ActivityInstanceTree) => {
    if (n.childActivityInstances.length === 0 && n.activityType !== 'processDefinition') out.add(n.activityId);
    for (const t of n.childTransitionInstances) out.add(t.activityId);
    for (const c of n.childActivityInstances) walk(c);
  };
  walk(tree);
  return [...out];
}
