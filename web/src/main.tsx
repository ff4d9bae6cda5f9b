import { render, type ComponentType } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import './styles.css';
import { api, SESSION_EXPIRED } from './api';
import { Link, match, navigate, useLocation } from './router';
import { can, loadSession, SessionContext, type Permission, type SessionState } from './session';
import { SignInPage } from './pages/sign-in';
import { AccountPage } from './pages/account';
import { TasklistPage } from './pages/tasklist';
import { InstancesPage } from './pages/instances';
import { NewContactPage } from './pages/new-contact';
import { BookingOutcomePage } from './pages/booking-outcome';
import { AuditPage, UsersPage } from './pages/users';
import { HelpDeskMailPage } from './pages/helpdesk-mail';
import { VoiceConsolePage } from './pages/voice-console';
import { CallSimulatorPage } from './pages/call-simulator';
import { VoiceBoardPage } from './pages/voice-board';
import { CancellationPage } from './pages/cancellation';

/**
 * Pages with the diagram and form libraries load on first use, so the sign-in page and the
 * task list do not wait for the modeler's megabytes.
 */
const loaders = {
  task: () => import('./pages/task').then((m) => m.TaskPage as ComponentType<Record<string, string>>),
  modeler: () => import('./pages/modeler').then((m) => m.ModelerPage as ComponentType<Record<string, string>>),
  forms: () => import('./pages/form-editor').then((m) => m.FormEditorPage as ComponentType<Record<string, string>>),
  instance: () => import('./pages/instance').then((m) => m.InstancePage as ComponentType<Record<string, string>>),
  approvals: () =>
    import('./pages/model-approvals').then((m) => m.ModelApprovalsPage as ComponentType<Record<string, string>>),
  // The KPIs (K1–K5): charts load with their pages.
  wallboard: () =>
    import('./pages/kpi-wallboard').then((m) => m.WallboardPage as ComponentType<Record<string, string>>),
  distributions: () =>
    import('./pages/kpi-distributions').then((m) => m.DistributionsPage as ComponentType<Record<string, string>>),
  sla: () => import('./pages/kpi-sla').then((m) => m.SlaPage as ComponentType<Record<string, string>>),
  reports: () => import('./pages/kpi-reports').then((m) => m.ReportsPage as ComponentType<Record<string, string>>),
  kpiSettings: () =>
    import('./pages/kpi-settings').then((m) => m.KpiSettingsPage as ComponentType<Record<string, string>>),
  processKpis: () =>
    import('./pages/process-kpis').then((m) => m.ProcessKpisPage as ComponentType<Record<string, string>>),
  staffing: () => import('./pages/staffing').then((m) => m.StaffingPage as ComponentType<Record<string, string>>),
};

function Lazy({ page, props = {} }: { page: keyof typeof loaders; props?: Record<string, string> }) {
  const [Page, setPage] = useState<ComponentType<Record<string, string>>>();
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    loaders[page]().then(
      (c) => setPage(() => c),
      () => setFailed(true),
    );
  }, [page]);
  useEffect(() => {
    if (Page) document.querySelector<HTMLElement>('main h1')?.focus();
  }, [Page]);
  if (failed) return <p role="alert">Impossibile caricare la pagina: ricaricare il browser.</p>;
  return Page ? <Page {...props} /> : <p aria-busy="true">Caricamento…</p>;
}

/** A section shows when the person holds any of `any` and all of `all`. */
const NAV: { href: string; label: string; any: Permission[]; all?: Permission[] }[] = [
  { href: '/compiti', label: 'Compiti', any: ['tasks:work', 'tasks:view-all'] },
  { href: '/escalation', label: 'Escalation', any: ['tasks:work'] },
  { href: '/contatti/nuovo', label: 'Nuovo contatto', any: ['cup:contact', 'helpdesk:contact'] },
  { href: '/telefono', label: 'Telefono', any: ['voice:answer'] },
  { href: '/code', label: 'Code e operatori', any: ['voice:supervise'] },
  // The local stand-in of the telephone (the page says when Twilio is used instead).
  {
    href: '/simulatore',
    label: 'Simulatore',
    any: ['voice:answer', 'voice:supervise', 'models:view', 'cup:contact'],
  },
  // The backlog per mailbox is for who works the mail or oversees every task; the outbox for the former.
  { href: '/posta', label: 'Posta', any: ['helpdesk:manage', 'tasks:view-all'] },
  { href: '/istanze', label: 'Istanze', any: ['instances:view'] },
  { href: '/modellatore', label: 'Modellatore', any: ['models:view'] },
  { href: '/moduli', label: 'Moduli', any: ['models:view'] },
  // Who requests (analysts) or may approve (holders of a worker's permission), not the read-only Regione.
  {
    href: '/approvazioni',
    label: 'Approvazioni',
    any: ['models:deploy', 'cup:contact', 'cup:manage', 'retention:manage', 'helpdesk:manage'],
    all: ['models:view'],
  },
  { href: '/cruscotto', label: 'Cruscotto', any: ['kpi:view'] },
  { href: '/statistiche', label: 'Statistiche', any: ['kpi:view'] },
  { href: '/sla', label: 'Livelli di servizio', any: ['kpi:view'] },
  { href: '/report', label: 'Report', any: ['kpi:view'] },
  { href: '/dimensionamento', label: 'Dimensionamento', any: ['kpi:view'] },
  { href: '/indicatori-processo', label: 'Indicatori di processo', any: ['kpi:view', 'models:view'] },
  { href: '/configurazione-sla', label: 'Configurazione SLA', any: ['kpi:manage'] },
  { href: '/utenti', label: 'Utenti', any: ['users:manage'] },
  { href: '/registro', label: 'Registro accessi', any: ['audit:view'] },
];

function App() {
  const [session, setSession] = useState<SessionState>();
  const loc = useLocation();
  const main = useRef<HTMLElement>(null);
  const reload = async () => setSession(await loadSession());
  useEffect(() => {
    void reload();
    const expired = () => void reload();
    window.addEventListener(SESSION_EXPIRED, expired);
    return () => window.removeEventListener(SESSION_EXPIRED, expired);
  }, []);
  // Moves focus to the new page's heading, so keyboard and screen-reader users know it changed.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [loc.pathname, session?.user?.id]);

  if (!session) return <p aria-busy="true">Caricamento…</p>;
  const user = session.user;
  const allowed = NAV.filter((n) => n.any.some((p) => can(user, p)) && (n.all ?? []).every((p) => can(user, p)));
  let page;
  if (!user) page = <SignInPage />;
  else if (user.mustChangePassword || loc.pathname === '/account') {
    // A one-time password: the account page, at its own address, until it is changed.
    if (loc.pathname !== '/account') queueMicrotask(() => navigate('/account', true));
    page = <AccountPage />;
  } else {
    const p = loc.pathname;
    let m: Record<string, string> | undefined;
    if (p === '/' || p === '/accesso') {
      const first = allowed[0]?.href ?? '/account';
      queueMicrotask(() => navigate(first, true));
      page = null;
    } else if (p === '/compiti') page = <TasklistPage />;
    else if ((m = match('/compiti/:key', p))) page = <Lazy page="task" props={{ taskKey: m.key ?? '' }} />;
    else if ((m = match('/prenotazioni/:key', p))) page = <BookingOutcomePage instanceKey={m.key ?? ''} />;
    else if (p === '/escalation') page = <TasklistPage escalations />;
    else if (p === '/contatti/nuovo') page = <NewContactPage />;
    else if (p === '/contatti/disdetta') page = <CancellationPage />;
    else if (p === '/telefono') page = <VoiceConsolePage />;
    else if (p === '/simulatore') page = <CallSimulatorPage />;
    else if (p === '/code') page = <VoiceBoardPage />;
    else if (p === '/modellatore') page = <Lazy page="modeler" />;
    else if (p === '/moduli') page = <Lazy page="forms" />;
    else if (p === '/approvazioni') page = <Lazy page="approvals" />;
    else if (p === '/posta') page = <HelpDeskMailPage />;
    else if (p === '/istanze') page = <InstancesPage />;
    else if ((m = match('/istanze/:key', p))) page = <Lazy page="instance" props={{ instanceKey: m.key ?? '' }} />;
    else if (p === '/cruscotto') page = <Lazy page="wallboard" />;
    else if (p === '/statistiche') page = <Lazy page="distributions" />;
    else if (p === '/dimensionamento') page = <Lazy page="staffing" />;
    else if (p === '/sla') page = <Lazy page="sla" />;
    else if (p === '/report') page = <Lazy page="reports" />;
    else if ((m = match('/report/:id', p))) page = <Lazy page="reports" props={{ reportId: m.id ?? '' }} />;
    else if (p === '/indicatori-processo') page = <Lazy page="processKpis" />;
    else if (p === '/configurazione-sla') page = <Lazy page="kpiSettings" />;
    else if (p === '/utenti') page = <UsersPage />;
    else if (p === '/registro') page = <AuditPage />;
    else page = <h1 tabIndex={-1}>Pagina non trovata</h1>;
  }
  const signOut = async () => {
    await api('/api/session', { method: 'DELETE' }).catch(() => undefined);
    navigate('/accesso', true);
    await reload();
  };
  return (
    <SessionContext.Provider value={{ session, reload }}>
      <a class="skip-link" href="#contenuto">
        Vai al contenuto
      </a>
      <header class="app-header">
        <span class="brand">Contact center · Regione Basilicata</span>
        {user && (
          <nav aria-label="Sezioni">
            <ul>
              {allowed.map((n) => (
                <li key={n.href}>
                  <Link href={n.href} current={loc.pathname.startsWith(n.href)}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {user && (
          <div class="user">
            <Link href="/account">
              {user.displayName} <span class="muted">({user.roleLabels.join(', ')})</span>
            </Link>
            <button type="button" onClick={() => void signOut()}>
              Esci
            </button>
          </div>
        )}
      </header>
      <main id="contenuto" ref={main} tabIndex={-1}>
        {page}
      </main>
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
