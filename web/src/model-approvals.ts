import { api } from './api';
import type { DeployResult } from './models';

import type { NeedReason } from '../../domain/processes/model-permissions';

/** One permission a model's workers need, and the tasks that need it (said by the API in Italian). */
export type { NeedReason };

export interface Approval {
  id: string;
  resourceName: string;
  resourceId: string;
  resourceType: 'process' | 'form';
  comment: string;
  override: boolean;
  rollbackOf: string | null;
  requestedBy: string;
  reasons: NeedReason[];
  /** `approving`: an approver claimed it and is deploying it. */
  status: 'pending' | 'approving' | 'approved' | 'refused';
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  version: number | null;
  createdAt: string;
  /** Whether the person looking may approve it; if not, why. */
  mayApprove: boolean;
  whyNot?: string;
}

/** A deploy that waits for another person's approval: why, and the request. */
export interface PendingApproval {
  status: 'pending-approval';
  message: string;
  reasons: NeedReason[];
  missing: string[];
  approval: Approval;
}

/** What a deploy or a rollback from the modeler answers: deployed (201) or waiting for approval (202). */
export type DeployOutcome = (DeployResult & { status: 'deployed' }) | PendingApproval;

export const deployOrRequest = (body: { name: string; content: string; comment: string; override: boolean }) =>
  api<DeployOutcome>('/api/models/deploy', { method: 'POST', body });
export const rollbackOrRequest = (id: string, comment: string) =>
  api<DeployOutcome>(`/api/models/deployments/${id}/rollback`, { method: 'POST', body: { comment } });

export const pendingApprovals = () => api<{ items: Approval[] }>('/api/models/approvals').then((r) => r.items);
export const approvalDetail = (id: string) =>
  api<Approval & { content: string; deployed: { version: number | null; content: string } | null }>(
    `/api/models/approvals/${id}`,
  );
export const approve = (id: string, note: string) =>
  api<{ approval: Approval; deployed: DeployResult['deployed'] }>(`/api/models/approvals/${id}/approve`, {
    method: 'POST',
    body: note ? { note } : {},
  });
export const refuse = (id: string, note: string) =>
  api<Approval>(`/api/models/approvals/${id}/refuse`, { method: 'POST', body: { note } });
