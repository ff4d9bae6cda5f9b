/** An HTTP client for the API that behaves like a browser: session cookie, CSRF token. */

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  get<T = unknown>(path: string): Promise<ApiResponse<T>>;
  post<T = unknown>(path: string, body?: unknown, opts?: { headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  patch<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  put<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = unknown>(path: string): Promise<ApiResponse<T>>;
}

/**
 * An HTTP client that behaves like a browser session: cookie jar, CSRF token. Anonymous
 * until `signIn`.
 */
export interface SessionClient extends ApiClient {
  signIn(username: string, password: string): Promise<ApiResponse<unknown>>;
  /** The session cookie (`cc.sid=…`), for tests that forge requests with it. */
  cookie(): string;
}

export function sessionClient(baseUrl: string): SessionClient {
  let cookie = '';
  let csrf = '';
  const raw = async <T>(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(cookie ? { cookie } : {}),
        ...(csrf ? { 'x-csrf-token': csrf } : {}),
        ...extra,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('cc.sid='));
    if (set) cookie = set.split(';')[0] ?? '';
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  const ensureCsrf = async () => {
    if (!csrf) csrf = (await raw<{ csrfToken: string }>('GET', '/api/session')).body.csrfToken;
  };
  const call = async <T>(method: string, path: string, body?: unknown, extra?: Record<string, string>) => {
    if (method !== 'GET') await ensureCsrf();
    return raw<T>(method, path, body, extra);
  };
  return {
    cookie: () => cookie,
    get: (p) => call('GET', p),
    post: (p, b, o) => call('POST', p, b, o?.headers),
    patch: (p, b) => call('PATCH', p, b),
    put: (p, b) => call('PUT', p, b),
    delete: (p) => call('DELETE', p),
    async signIn(username, password) {
      await ensureCsrf();
      const res = await raw<{ csrfToken?: string }>('POST', '/api/session', { username, password });
      if (res.body.csrfToken) csrf = res.body.csrfToken;
      return res;
    },
  };
}
