/** A problem+json answer of the API, as an error the pages can show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors: { field: string; message: string; label?: string }[] = [],
  ) {
    super(detail || title);
  }
}

let csrfToken = '';

/** The session's CSRF token, sent with every state-changing request. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Fired when the API answers 401: the session ended, the app shows the sign-in page. */
export const SESSION_EXPIRED = 'cc:session-expired';

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; text?: boolean; idempotencyKey?: string } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json, application/problem+json, application/xml',
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
      ...(init.idempotencyKey ? { 'idempotency-key': init.idempotencyKey } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  if (res.status === 401 && !path.startsWith('/api/session')) window.dispatchEvent(new Event(SESSION_EXPIRED));
  if (!res.ok) {
    const problem = (await res.json().catch(() => ({}))) as {
      title?: string;
      detail?: string;
      errors?: { field: string; message: string; label?: string }[];
    };
    throw new ApiError(res.status, problem.title ?? `Errore ${res.status}`, problem.detail ?? '', problem.errors ?? []);
  }
  if (res.status === 204) return undefined as T;
  return (init.text ? await res.text() : await res.json()) as T;
}

/**
 * A key for one filled form, sent as `Idempotency-Key`: the same submission sent twice (a
 * double click, a retry after a lost answer) creates one thing. Random bytes, not
 * `crypto.randomUUID`, which browsers offer only on HTTPS or localhost.
 */
export function newRequestKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Query string from the set values of an object. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
