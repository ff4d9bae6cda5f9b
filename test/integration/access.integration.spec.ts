import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../app.js';
import { ROLES, type Role } from '../../domain/access/roles.js';
import { loadConfig } from '../../platform/config.js';
import { sessionClient } from '../support/session-client.js';
import { apiAs, ensureUser, startTestApp, TEST_PASSWORD } from './support/test-app.js';
import { openTaskOf, startBooking } from './support/booking.js';

/** An endpoint and the roles that may call it (every other role gets 403, anonymous 401). */
const MATRIX: { method: 'GET' | 'POST'; path: string; body?: unknown; allowed: Role[] }[] = [
  {
    method: 'GET',
    path: '/api/tasks',
    allowed: [
      'operator',
      'back-office-1',
      'back-office-2',
      'helpdesk-operator',
      'helpdesk-back-office-1',
      'helpdesk-back-office-2',
      'third-level',
      'supervisor',
      'regione',
    ],
  },
  {
    method: 'GET',
    path: '/api/sms/messages',
    // Whoever reads people's data: the help desk's roles too (credentials and notices go by SMS).
    allowed: [
      'operator',
      'back-office-1',
      'back-office-2',
      'helpdesk-operator',
      'helpdesk-back-office-1',
      'helpdesk-back-office-2',
      'third-level',
      'supervisor',
    ],
  },
  {
    method: 'GET',
    path: '/api/cup/slots?serviceCode=95.02',
    allowed: ['operator', 'back-office-1', 'back-office-2', 'supervisor'],
  },
  {
    method: 'GET',
    path: '/api/process-instances',
    allowed: [
      'back-office-1',
      'back-office-2',
      'helpdesk-back-office-1',
      'helpdesk-back-office-2',
      'analyst',
      'supervisor',
      'regione',
      'admin',
    ],
  },
  { method: 'GET', path: '/api/models', allowed: ['analyst', 'supervisor', 'regione', 'admin'] },
  { method: 'GET', path: '/api/users', allowed: ['admin'] },
  { method: 'GET', path: '/api/audit', allowed: ['supervisor', 'admin'] },
  { method: 'GET', path: '/api/deployments', allowed: ['analyst', 'supervisor', 'regione', 'admin'] },
  { method: 'POST', path: '/api/models/deploy', body: {}, allowed: ['analyst'] },
  {
    method: 'POST',
    path: '/api/cup/bookings',
    body: {},
    allowed: ['operator', 'back-office-1', 'back-office-2', 'supervisor'],
  },
  {
    method: 'POST',
    path: '/api/cup/reminder-runs',
    body: {},
    allowed: ['back-office-1', 'back-office-2', 'supervisor'],
  },
  {
    method: 'GET',
    path: '/api/helpdesk/outbox',
    allowed: ['helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
  {
    method: 'GET',
    path: '/api/helpdesk/mail/00000000-0000-4000-8000-000000000000',
    allowed: ['helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
  {
    method: 'GET',
    path: '/api/helpdesk/backlog',
    allowed: ['helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor', 'regione'],
  },
  {
    method: 'GET',
    path: '/api/helpdesk/tickets/1',
    allowed: [
      'helpdesk-operator',
      'helpdesk-back-office-1',
      'helpdesk-back-office-2',
      'third-level',
      'supervisor',
      'regione',
    ],
  },
  {
    method: 'POST',
    path: '/api/helpdesk/contacts',
    body: {},
    allowed: ['helpdesk-operator', 'helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
  { method: 'POST', path: '/api/campaigns', body: {}, allowed: ['supervisor', 'regione'] },
  { method: 'GET', path: '/api/campaigns/00000000-0000-4000-8000-000000000000', allowed: ['supervisor', 'regione'] },
  {
    method: 'POST',
    path: '/api/incidents/1/retry',
    allowed: ['back-office-2', 'helpdesk-back-office-2', 'analyst', 'supervisor'],
  },
  {
    method: 'POST',
    path: '/api/helpdesk/pec-requests',
    body: {},
    allowed: ['helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
  {
    method: 'POST',
    path: '/api/helpdesk/pec-changes',
    body: {},
    allowed: ['helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
  {
    method: 'GET',
    path: '/api/helpdesk/pec-mailboxes/nessuno@pec.basilicatanet.it',
    allowed: ['helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
  {
    method: 'GET',
    path: '/api/helpdesk/identity/RSSMRA80A01G942K',
    allowed: ['helpdesk-operator', 'helpdesk-back-office-1', 'helpdesk-back-office-2', 'supervisor'],
  },
];

/** Tokens another system reads and writes `/fhir` with (24+ characters, different). */
const FHIR_READ_TOKEN = 'access-test-fhir-read-token-0001';
const FHIR_WRITE_TOKEN = 'access-test-fhir-write-token-0001';

describe('sign-in, sessions and roles', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ FHIR_API_TOKEN: FHIR_READ_TOKEN, FHIR_WRITE_TOKEN });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('refuses anonymous callers with 401 and every role outside the endpoint’s list with 403', async () => {
    const anonymous = sessionClient(app.url ?? '');
    for (const e of MATRIX) {
      const res = e.method === 'GET' ? await anonymous.get(e.path) : await anonymous.post(e.path, e.body);
      expect(res.status, `${e.method} ${e.path} anonymous`).toBe(401);
    }
    for (const role of ROLES) {
      const api = apiAs(app, `matrix.${role}`, [role]);
      for (const e of MATRIX) {
        const res = e.method === 'GET' ? await api.get(e.path) : await api.post(e.path, e.body);
        if (e.allowed.includes(role))
          expect([200, 201, 202, 400, 404], `${e.method} ${e.path} as ${role}`).toContain(res.status);
        else expect(res.status, `${e.method} ${e.path} as ${role}`).toBe(403);
      }
    }
  });

  it('sets an httpOnly, SameSite=Lax session cookie and a new session id at sign-in', async () => {
    await ensureUser(app, 'cookie.check', ['operator']);
    const before = await fetch(`${app.url}/api/session`);
    const anonymousCookie = before.headers.getSetCookie().find((c) => c.startsWith('cc.sid='));
    expect(anonymousCookie).toMatch(/HttpOnly/);
    expect(anonymousCookie).toMatch(/SameSite=Lax/);
    const csrf = ((await before.json()) as { csrfToken: string }).csrfToken;
    const signIn = await fetch(`${app.url}/api/session`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-csrf-token': csrf,
        cookie: anonymousCookie?.split(';')[0] ?? '',
      },
      body: JSON.stringify({ username: 'cookie.check', password: TEST_PASSWORD }),
    });
    expect(signIn.status).toBe(200);
    const signedCookie = signIn.headers.getSetCookie().find((c) => c.startsWith('cc.sid='));
    expect(signedCookie?.split(';')[0]).not.toBe(anonymousCookie?.split(';')[0]);
  });

  it('refuses a state-changing request without the session’s CSRF token, or with another session’s', async () => {
    await ensureUser(app, 'csrf.operatore', ['operator']);
    const client = sessionClient(app.url ?? '');
    expect((await client.signIn('csrf.operatore', TEST_PASSWORD)).status).toBe(200);
    const post = (headers: Record<string, string>) =>
      fetch(`${app.url}/api/cup/bookings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: client.cookie(), ...headers },
        body: JSON.stringify({ prescriptionNre: '170A10123456789', serviceCode: '95.02', patientId: 'pat-0001' }),
      });
    // What a page on another site could make the browser send: the cookie, no token.
    const withoutToken = await post({});
    expect(withoutToken.status).toBe(403);
    expect(await withoutToken.text()).toMatch(/CSRF/);
    const otherToken = ((await (await fetch(`${app.url}/api/session`)).json()) as { csrfToken: string }).csrfToken;
    expect((await post({ 'x-csrf-token': otherToken })).status).toBe(403);
    expect(
      (
        await client.post('/api/cup/bookings', {
          prescriptionNre: '170A10123456789',
          serviceCode: '95.02',
          patientId: 'pat-0001',
        })
      ).status,
    ).toBe(201);
  });

  it('locks an account after five wrong passwords, and the sign-in attempts are audited', async () => {
    await ensureUser(app, 'lock.me', ['operator']);
    const client = sessionClient(app.url ?? '');
    for (let i = 0; i < 5; i++) expect((await client.signIn('lock.me', 'sbagliata-123')).status).toBe(401);
    expect((await client.signIn('lock.me', TEST_PASSWORD)).status).toBe(401);
    const audit: { action: string }[] = await app.db.query(
      `SELECT action FROM audit_events WHERE subject_id = 'lock.me' ORDER BY id`,
    );
    expect(audit.filter((a) => a.action === 'sign-in.failed')).toHaveLength(6);
    // An administrator's reset unlocks it, with a one-time password to change at first sign-in.
    const admin = apiAs(app, 'admin.lock', ['admin']);
    const reset = await admin.post<{ initialPassword: string }>('/api/users/lock.me/password-reset');
    const fresh = sessionClient(app.url ?? '');
    const res = await fresh.signIn('lock.me', reset.body.initialPassword);
    expect(res.status).toBe(200);
    expect((res.body as { mustChangePassword: boolean }).mustChangePassword).toBe(true);
    // Until the one-time password is changed, nothing else is allowed.
    expect((await fresh.get('/api/tasks')).status).toBe(403);
    expect(
      (await fresh.post('/api/session/password', { currentPassword: reset.body.initialPassword, newPassword: 'corta' }))
        .status,
    ).toBe(400);
    expect(
      (
        await fresh.post('/api/session/password', {
          currentPassword: reset.body.initialPassword,
          newPassword: 'Nuova-password-77',
        })
      ).status,
    ).toBe(204);
    expect((await fresh.get('/api/tasks')).status).toBe(200);
    expect((await sessionClient(app.url ?? '').signIn('lock.me', 'Nuova-password-77')).status).toBe(200);
  });

  it('ends the session of a disabled account at its next request, and at sign-out', async () => {
    const api = apiAs(app, 'to.disable', ['operator']);
    expect((await api.get('/api/tasks')).status).toBe(200);
    await app.users.update('to.disable', { active: false });
    expect((await api.get('/api/tasks')).status).toBe(401);
    await app.users.update('to.disable', { active: true });
    const client = sessionClient(app.url ?? '');
    await client.signIn('to.disable', TEST_PASSWORD);
    expect((await client.get('/api/tasks')).status).toBe(200);
    expect((await client.delete('/api/session')).status).toBe(204);
    expect((await client.get('/api/tasks')).status).toBe(401);
  });

  it('shows a person’s data only to roles that need it, masked for the others, and audits each read', async () => {
    const operator = apiAs(app, 'audit.operatore', ['operator']);
    const started = await startBooking(operator);
    const task = await openTaskOf(operator, started.processInstanceKey);
    expect(task.variables['patientId']).toBe('pat-0001');
    const reads: { subject_type: string; subject_id: string }[] = await app.db.query(
      `SELECT subject_type, subject_id FROM audit_events WHERE actor = 'audit.operatore' AND action = 'personal-data.read'`,
    );
    expect(reads).toContainEqual({ subject_type: 'user-task', subject_id: task.key });

    const regione = apiAs(app, 'audit.regione', ['regione']);
    const masked = await regione.get<{ variables: Record<string, unknown> }>(`/api/tasks/${task.key}`);
    expect(masked.body.variables['patientId']).toBe('•••');
    expect(masked.body.variables['prescriptionNre']).toBe('•••');
    expect(masked.body.variables['serviceCode']).toBe(task.variables['serviceCode']);
    const instance = await regione.get<{ instance: { variables: Record<string, unknown> }; variablesMasked: boolean }>(
      `/api/process-instances/${started.processInstanceKey}`,
    );
    expect(instance.body.variablesMasked).toBe(true);
    expect(instance.body.instance.variables['patientId']).toBe('•••');
    const regioneReads: unknown[] = await app.db.query(
      `SELECT 1 FROM audit_events WHERE actor = 'audit.regione' AND action = 'personal-data.read'`,
    );
    expect(regioneReads).toEqual([]);
    // The Regione may not read SMS texts or appointments at all.
    expect((await regione.get('/api/sms/messages')).status).toBe(403);
  });
  it('audits whose data a /fhir read asked for: the search’s identifiers, not only the path', async () => {
    const fhirGet = (path: string, token: string) =>
      fetch(`${app.url}/fhir${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' },
      });
    const fiscalCode = 'RSSMRA80A01G942K';
    const identifier = `http://hl7.it/sid/codiceFiscale|${fiscalCode}`;
    await fhirGet(`/Patient?identifier=${encodeURIComponent(identifier)}`, FHIR_READ_TOKEN);
    await fhirGet('/Appointment?patient=Patient/pat-0002&_id=a-1&_id=a-2&_count=5', FHIR_WRITE_TOKEN);
    const trail: { actor: string; action: string; subject_id: string; detail: Record<string, unknown> }[] =
      await app.db.query(
        `SELECT actor, action, subject_id, detail FROM audit_events WHERE actor LIKE 'token:fhir-%' ORDER BY id`,
      );
    expect(trail).toContainEqual({
      actor: 'token:fhir-read',
      action: 'personal-data.read',
      subject_id: '/Patient',
      detail: { query: { identifier } },
    });
    expect(trail).toContainEqual({
      actor: 'token:fhir-write',
      action: 'personal-data.read',
      subject_id: '/Appointment',
      detail: { query: { patient: 'Patient/pat-0002', _id: ['a-1', 'a-2'] } },
    });
    // A session's read of /fhir says the same.
    const operator = apiAs(app, 'fhir.operatore', ['operator']);
    await operator.get(`/fhir/Patient?identifier=${encodeURIComponent(identifier)}`);
    const reads: { subject_id: string; detail: unknown }[] = await app.db.query(
      `SELECT subject_id, detail FROM audit_events WHERE actor = 'fhir.operatore' AND action = 'personal-data.read'`,
    );
    expect(reads).toEqual([{ subject_id: '/Patient', detail: { query: { identifier } } }]);
  });
});

describe('sign-in attempts per client address', () => {
  let app: RunningApp;
  /** The production default (checked below). */
  const LIMIT = 10;
  beforeAll(async () => {
    // The other tests sign in many times from 127.0.0.1 and run with a high limit: this app has the real one.
    app = await startTestApp({ SIGN_IN_LIMIT_PER_MINUTE: String(LIMIT) });
  });
  afterAll(async () => {
    await app?.stop();
  });

  /** A browser at `address` (behind the trusted local proxy) tries a password. */
  async function signInFrom(address: string, username: string, password: string) {
    const first = await fetch(`${app.url}/api/session`, { headers: { 'x-forwarded-for': address } });
    const cookie =
      first.headers
        .getSetCookie()
        .find((c) => c.startsWith('cc.sid='))
        ?.split(';')[0] ?? '';
    const { csrfToken } = (await first.json()) as { csrfToken: string };
    const res = await fetch(`${app.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken, 'x-forwarded-for': address },
      body: JSON.stringify({ username, password }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  it('answers 429 with Retry-After after too many failed attempts from one address, without checking the password', async () => {
    await ensureUser(app, 'rate.limited', ['operator']);
    const attacker = '203.0.113.10';
    // Successful sign-ins (a shift starting behind one office address) do not use up the allowance.
    for (let i = 0; i < 3; i++) expect((await signInFrom(attacker, 'rate.limited', TEST_PASSWORD)).status).toBe(200);
    for (let i = 0; i < LIMIT; i++) {
      expect((await signInFrom(attacker, `nessuno.${i}`, 'sbagliata-123')).status, `attempt ${i + 1}`).toBe(401);
    }
    const started = Date.now();
    const refused = await signInFrom(attacker, 'nessuno.oltre', 'sbagliata-123');
    expect(refused.status).toBe(429);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toMatchObject({ status: 429, title: 'Troppi tentativi' });
    expect(String(refused.body['detail'])).toMatch(/Troppi tentativi di accesso da questo indirizzo/);
    // The right password is refused the same way until the minute is over.
    expect((await signInFrom(attacker, 'rate.limited', TEST_PASSWORD)).status).toBe(429);
    // The refused attempts never reached the password check (which audits every failure).
    const checked: unknown[] = await app.db.query(`SELECT 1 FROM audit_events WHERE subject_id = 'nessuno.oltre'`);
    expect(checked).toEqual([]);
    // Another address is not affected.
    expect((await signInFrom('203.0.113.11', 'rate.limited', TEST_PASSWORD)).status).toBe(200);
  });

  it('limits password changes from one address the same way, counting wrong current passwords', async () => {
    await ensureUser(app, 'rate.password', ['operator']);
    const address = '203.0.113.20';
    const signedIn = await signInFrom(address, 'rate.password', TEST_PASSWORD);
    expect(signedIn.status).toBe(200);
    const cookie =
      signedIn.headers
        .getSetCookie()
        .find((c) => c.startsWith('cc.sid='))
        ?.split(';')[0] ?? '';
    const csrfToken = String(signedIn.body['csrfToken']);
    const change = async (currentPassword: string) => {
      const res = await fetch(`${app.url}/api/session/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken, 'x-forwarded-for': address },
        body: JSON.stringify({ currentPassword, newPassword: 'Nuova-password-2026' }),
      });
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
      };
    };
    for (let i = 0; i < LIMIT; i++) expect((await change('sbagliata-123')).status, `attempt ${i + 1}`).toBe(400);
    const started = Date.now();
    const refused = await change(TEST_PASSWORD);
    expect(refused.status).toBe(429);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(String(refused.body['detail'])).toMatch(/Troppi tentativi/);
    // The refused change did not happen: the password is still the old one.
    expect((await signInFrom('203.0.113.21', 'rate.password', TEST_PASSWORD)).status).toBe(200);
  });

  it('is on by default', () => {
    expect(loadConfig({}).SIGN_IN_LIMIT_PER_MINUTE).toBe(LIMIT);
  });
});
