import { PERMISSION_LABELS, type Permission } from '../access/roles.js';
import type { BpmnProcessInfo } from '../../platform/engine/bpmn-model.js';

/** What the platform knows of a worker when it weighs a model: its topic and the permission its effect needs. */
export interface WorkerPermission {
  taskType: string;
  permission?: Permission | undefined;
}

/** One element of a model that makes a worker act. */
export interface NeedingElement {
  /** The process (of the deployed document) the element is in. */
  process: string;
  elementId: string;
  elementName: string | null;
  /** The worker's topic (or the topic's expression). */
  topic: string | null;
  /** For a call activity: the process it starts, whose workers act. */
  calledProcess?: string;
}

/** Permission → the elements that need it. Stored as it is (jsonb) with a pending approval. */
export type ModelNeeds = Partial<Record<Permission, NeedingElement[]>>;

/** One permission a model needs, said for people. */
export interface NeedReason {
  permission: Permission;
  label: string;
  elements: NeedingElement[];
  /** «Disdici» (cancel, topic cancel-appointment) … richiede il permesso di … */
  message: string;
}

const isExpression = (v: string) => /[$#]\{/.test(v);

/**
 * The permissions the external tasks of a model make workers act with: each task's worker
 * declares its own (workers/framework/define.ts). A topic computed at run time (an
 * expression) could be any worker's, and so could a call activity's process computed at run
 * time: they need every permission some worker declares. A call activity of a named
 * process needs what that process's own tasks need (`calledXml` gives the newest deployed
 * version, the document's own processes come first). A call pinned to another version
 * (`camunda:calledElementBinding` other than `latest`) could start one nobody weighs here:
 * the modeler refuses it (model-safety.ts), and should one get this far it needs everything.
 * Topics no worker serves need nothing: nothing runs them (the lint rules report them).
 */
export async function modelNeeds(
  processes: BpmnProcessInfo[],
  workers: readonly WorkerPermission[],
  calledXml: (processId: string) => Promise<BpmnProcessInfo[] | undefined>,
): Promise<ModelNeeds> {
  const byTopic = new Map(workers.map((w) => [w.taskType, w.permission]));
  const every = [...new Set(workers.flatMap((w) => (w.permission ? [w.permission] : [])))].sort();
  const memo = new Map<string, Promise<ModelNeeds>>();

  const ofProcess = (p: BpmnProcessInfo, seen: ReadonlySet<string>): Promise<ModelNeeds> => {
    const known = memo.get(p.id);
    if (known) return known;
    const computed = (async () => {
      const needs: ModelNeeds = {};
      const add = (perm: Permission, e: NeedingElement) => {
        const list = (needs[perm] ??= []);
        if (!list.some((x) => x.process === e.process && x.elementId === e.elementId)) list.push(e);
      };
      for (const el of p.elements) {
        const base = { process: p.id, elementId: el.id, elementName: el.name ?? null };
        if (el.implementation === 'external' && el.taskType) {
          const topic = el.taskType;
          const perms = isExpression(topic) ? every : [byTopic.get(topic)].filter((x): x is Permission => !!x);
          for (const perm of perms) add(perm, { ...base, topic });
        }
        const called = el.type === 'CallActivity' ? el.calledElement?.trim() : undefined;
        if (!called) continue;
        const binding = el.calledElementBinding;
        if (isExpression(called) || (binding !== undefined && binding !== 'latest')) {
          for (const perm of every) add(perm, { ...base, topic: null, calledProcess: called });
          continue;
        }
        if (seen.has(called)) continue;
        const target =
          processes.find((q) => q.id === called) ?? (await calledXml(called))?.find((q) => q.id === called);
        if (!target) continue;
        const inner = await ofProcess(target, new Set([...seen, called]));
        for (const [perm, list] of Object.entries(inner) as [Permission, NeedingElement[]][]) {
          add(perm, { ...base, topic: list.map((x) => x.topic ?? x.calledProcess).join(', '), calledProcess: called });
        }
      }
      return needs;
    })();
    memo.set(p.id, computed);
    return computed;
  };

  const all: ModelNeeds = {};
  for (const p of processes) {
    const needs = await ofProcess(p, new Set([p.id]));
    for (const [perm, list] of Object.entries(needs) as [Permission, NeedingElement[]][]) {
      (all[perm] ??= []).push(...list);
    }
  }
  // Sorted by permission, so the stored needs and the explanation read the same every time.
  const sorted: ModelNeeds = {};
  for (const perm of (Object.keys(all) as Permission[]).sort()) sorted[perm] = all[perm];
  return sorted;
}

/** The permissions of `needs` that `held` lacks, sorted. */
export function missingPermissions(needs: ModelNeeds, held: readonly Permission[]): Permission[] {
  return (Object.keys(needs) as Permission[]).filter((p) => !held.includes(p)).sort();
}

function describeElement(e: NeedingElement): string {
  const name = e.elementName ? `«${e.elementName}» (${e.elementId})` : `«${e.elementId}»`;
  if (e.calledProcess) {
    return `${name}, che avvia il processo «${e.calledProcess}»${e.topic ? ` (attività ${e.topic})` : ''}`;
  }
  return `${name}, attività «${e.topic ?? '?'}»`;
}

/** The needs said for people, one line per permission. */
export function needReasons(needs: ModelNeeds): NeedReason[] {
  return (Object.entries(needs) as [Permission, NeedingElement[]][]).map(([permission, elements]) => ({
    permission,
    label: PERMISSION_LABELS[permission],
    elements,
    message: `${elements.map(describeElement).join('; ')}: ${elements.length === 1 ? 'richiede' : 'richiedono'} il permesso di ${PERMISSION_LABELS[permission]} (${permission}).`,
  }));
}
