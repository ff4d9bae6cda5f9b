import { api } from './api';

export interface Deployment {
  id: string;
  resourceName: string;
  resourceType: 'process' | 'form';
  resourceId: string | null;
  resourceKey: string | null;
  version: number | null;
  source: 'repository' | 'modeler';
  status: 'deployed' | 'rejected';
  problem: string | null;
  deployedBy: string | null;
  comment: string | null;
  createdAt: string;
  content?: string;
}

export interface DeployResult {
  deployed: { file: string; type: string; resourceId: string; key: string; version: number };
  warnings: { element: string; message: string }[];
}

export const listModels = () => api<{ items: Deployment[] }>('/api/models').then((r) => r.items);
export const listFiles = () => api<{ items: string[] }>('/api/models/files').then((r) => r.items);
export const readFile = (name: string) => api<{ content: string }>(`/api/models/files/${name}`).then((r) => r.content);
export const versionsOf = (resourceId: string) =>
  api<{ items: Deployment[] }>(`/api/models/${encodeURIComponent(resourceId)}/versions`).then((r) => r.items);
export const deploymentContent = (id: string) =>
  api<Deployment>(`/api/models/deployments/${id}`).then((r) => r.content ?? '');
export const deploy = (body: { name: string; content: string; comment: string; override: boolean }) =>
  api<DeployResult>('/api/models/deploy', { method: 'POST', body });
export const rollback = (id: string, comment: string) =>
  api<DeployResult>(`/api/models/deployments/${id}/rollback`, { method: 'POST', body: { comment } });

/** The latest deployed content of a process or form, by its id. */
export async function latestContent(type: 'process' | 'form', resourceId: string): Promise<string | undefined> {
  const row = (await listModels()).find((m) => m.resourceType === type && m.resourceId === resourceId);
  return row ? deploymentContent(row.id) : undefined;
}

/** Asks for the id of a new process or form (it becomes the file name, `<id>.bpmn` / `<id>.form`). */
export function askNewId(question: string): string | undefined {
  const id = window.prompt(question, '');
  return id && /^[a-z0-9][a-z0-9-]{1,80}$/.test(id) ? id : undefined;
}
