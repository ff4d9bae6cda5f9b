import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, setCsrfToken } from './api';
import type { Permission } from '../../domain/access/roles';

export type { Permission } from '../../domain/access/roles';

export interface User {
  id: string;
  displayName: string;
  roles: string[];
  roleLabels: string[];
  groups: string[];
  permissions: Permission[];
  mustChangePassword: boolean;
}

export interface SessionState {
  user: User | null;
  oidc: boolean;
}

export async function loadSession(): Promise<SessionState> {
  const s = await api<{ user: User | null; csrfToken: string; oidc: boolean }>('/api/session');
  setCsrfToken(s.csrfToken);
  return { user: s.user, oidc: s.oidc };
}

export const SessionContext = createContext<{ session: SessionState; reload: () => Promise<void> }>({
  session: { user: null, oidc: false },
  reload: () => Promise.resolve(),
});

export function useSession() {
  return useContext(SessionContext);
}

export function can(user: User | null, p: Permission): boolean {
  return user?.permissions.includes(p) === true;
}
