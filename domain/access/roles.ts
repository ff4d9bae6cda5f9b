/**
 * Roles and what they may do. One table, read by the API's guards, the web workspace's
 * navigation and the tests, so "who may do what" is decided in exactly one place.
 */
export const ROLES = [
  'operator',
  'back-office-1',
  'back-office-2',
  'helpdesk-operator',
  'helpdesk-back-office-1',
  'helpdesk-back-office-2',
  'third-level',
  'analyst',
  'supervisor',
  'regione',
  'admin',
] as const;
export type Role = (typeof ROLES)[number];

/** How each role is called on screen. */
export const ROLE_LABELS: Record<Role, string> = {
  operator: 'Operatore front office',
  'back-office-1': 'Back office (1° livello)',
  'back-office-2': 'Back office (2° livello)',
  'helpdesk-operator': 'Operatore help desk regionale',
  'helpdesk-back-office-1': 'Back office help desk (1° livello)',
  'helpdesk-back-office-2': 'Back office help desk (2° livello)',
  'third-level': 'Terzo livello (uffici regionali)',
  analyst: 'Analista dei processi',
  supervisor: 'Supervisore',
  regione: 'Regione Basilicata (sola lettura, salvo richiedere campagne outbound)',
  admin: 'Amministratore',
};

export const PERMISSIONS = [
  /** See the tasks of one's own groups, claim, complete. */
  'tasks:work',
  /** See every open task, read-only (no claim). */
  'tasks:view-all',
  /** Read a person's data: task variables, booking and contact records, SMS texts. Audited. */
  'personal:read',
  /** Start contacts with citizens: bookings, cancellations, information calls, sports groups. */
  'cup:contact',
  /** Run back-office batches: reminder runs, agenda cleanups. */
  'cup:manage',
  /** List and open process instances (variables masked without personal:read). */
  'instances:view',
  /** Retry an incident once its cause is fixed. */
  'incidents:retry',
  /** Read deployed processes and forms, their versions and diffs. */
  'models:view',
  /** Deploy processes and forms, roll back. */
  'models:deploy',
  /** Manage accounts and roles. */
  'users:manage',
  /** Read the audit log. */
  'audit:view',
  /**
   * Set how long personal data and the audit log are kept: a model calling the retention
   * worker deletes what is older, so deploying one needs this (or an approver who holds it).
   */
  'retention:manage',
  /** Open help-desk contacts for citizens (a phone call closed in line or forwarded as a ticket). */
  'helpdesk:contact',
  /**
   * Work the help desk's mail and tickets: pre-check and classify messages, open and move
   * tickets in Request Tracker, send the requester our acknowledgements and answers.
   */
  'helpdesk:manage',
  /** Read help-desk tickets and their history (third level, the Regione). */
  'tickets:view',
  /**
   * Start outbound campaigns from a list of contacts and follow their packages (R6, §2.2.8:
   * "su precisa richiesta dell'Ente"): the one thing the Regione's otherwise read-only role does.
   */
  'campaigns:manage',
  /** Take calls: set one's presence, accept the calls offered, close them with an outcome. */
  'voice:answer',
  /** See the queues and every operator's presence (the supervisor's board). */
  'voice:supervise',
  /** Read the KPIs: the live wallboard, distributions, the SLA table and stored reports (K1–K5). */
  'kpi:view',
  /**
   * Publish a stored SLA report to the Regione (the supplier's act §5 dates: due by the 15th,
   * late publication is a penalty).
   */
  'kpi:publish',
  /**
   * Configure what the SLA report computes: import contact records, enter service values and
   * planned maintenance windows, add a version of the definitions.
   */
  'kpi:manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** How each permission is called on screen (a model awaiting approval says which it needs). */
export const PERMISSION_LABELS: Record<Permission, string> = {
  'tasks:work': 'lavorare i compiti',
  'tasks:view-all': 'vedere tutti i compiti',
  'personal:read': 'leggere i dati personali',
  'cup:contact': 'agire sul CUP per i cittadini (prenotare, disdire, spostare, inviare SMS)',
  'cup:manage': 'avviare le elaborazioni del back office (promemoria, pulitura delle agende)',
  'instances:view': 'vedere le istanze',
  'incidents:retry': 'riprovare gli incidenti',
  'models:view': 'vedere i modelli',
  'models:deploy': 'distribuire i modelli',
  'users:manage': 'gestire utenti e ruoli',
  'audit:view': 'leggere il registro degli accessi',
  'retention:manage': 'decidere la conservazione dei dati (cancellare i dati personali scaduti)',
  'helpdesk:contact': "aprire contatti dell'help desk per i cittadini",
  'helpdesk:manage': "lavorare posta e ticket dell'help desk (aprire ticket, rispondere ai richiedenti)",
  'tickets:view': "leggere i ticket dell'help desk",
  'campaigns:manage': 'avviare le campagne outbound (elenchi di contatti) e seguirne i pacchetti',
  'voice:answer': 'rispondere alle chiamate (presenza, accettazione, esito)',
  'voice:supervise': 'vedere code e presenze degli operatori telefonici',
  'kpi:view': 'vedere indicatori, cruscotto e report dei livelli di servizio',
  'kpi:publish': 'pubblicare i report dei livelli di servizio alla Regione',
  'kpi:manage': 'importare i contatti e configurare valori del servizio, manutenzioni e definizioni degli SLA',
};

const GRANTS: Record<Role, readonly Permission[]> = {
  operator: ['tasks:work', 'personal:read', 'cup:contact', 'voice:answer'],
  'back-office-1': ['tasks:work', 'personal:read', 'cup:contact', 'cup:manage', 'instances:view'],
  'back-office-2': ['tasks:work', 'personal:read', 'cup:contact', 'cup:manage', 'instances:view', 'incidents:retry'],
  'helpdesk-operator': ['tasks:work', 'personal:read', 'helpdesk:contact', 'tickets:view', 'voice:answer'],
  'helpdesk-back-office-1': [
    'tasks:work',
    'personal:read',
    'helpdesk:contact',
    'helpdesk:manage',
    'tickets:view',
    'instances:view',
  ],
  'helpdesk-back-office-2': [
    'tasks:work',
    'personal:read',
    'helpdesk:contact',
    'helpdesk:manage',
    'tickets:view',
    'instances:view',
    'incidents:retry',
  ],
  'third-level': ['tasks:work', 'personal:read', 'tickets:view'],
  analyst: ['models:view', 'models:deploy', 'instances:view', 'incidents:retry'],
  supervisor: [
    'tasks:work',
    'tasks:view-all',
    'personal:read',
    'cup:contact',
    'cup:manage',
    'instances:view',
    'incidents:retry',
    'models:view',
    'audit:view',
    'helpdesk:contact',
    'helpdesk:manage',
    'tickets:view',
    'campaigns:manage',
    'voice:answer',
    'voice:supervise',
    'kpi:view',
    'kpi:publish',
  ],
  regione: [
    'tasks:view-all',
    'instances:view',
    'models:view',
    'tickets:view',
    'campaigns:manage',
    'voice:supervise',
    'kpi:view',
  ],
  admin: ['users:manage', 'audit:view', 'models:view', 'instances:view', 'retention:manage', 'kpi:view', 'kpi:manage'],
};

/**
 * The candidate groups (as written in the BPMN models) whose tasks each role works.
 * Level 2 sees level 1's queue too, since escalations climb.
 */
const GROUPS: Record<Role, readonly string[]> = {
  operator: ['cup-operators'],
  'back-office-1': ['cup-back-office'],
  'back-office-2': ['cup-back-office', 'cup-back-office-2'],
  'helpdesk-operator': ['helpdesk-operators'],
  'helpdesk-back-office-1': ['helpdesk-back-office'],
  'helpdesk-back-office-2': ['helpdesk-back-office', 'helpdesk-back-office-2'],
  'third-level': ['helpdesk-third-level'],
  analyst: [],
  supervisor: [
    'cup-operators',
    'cup-back-office',
    'cup-back-office-2',
    'helpdesk-operators',
    'helpdesk-back-office',
    'helpdesk-back-office-2',
  ],
  regione: [],
  admin: [],
};

/** Every candidate group some role works; the lint rule checks models use only these. */
export const KNOWN_GROUPS = [...new Set(Object.values(GROUPS).flat())].sort();

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function permissionsOf(roles: readonly Role[]): Permission[] {
  return [...new Set(roles.flatMap((r) => GRANTS[r]))].sort();
}

export function groupsOf(roles: readonly Role[]): string[] {
  return [...new Set(roles.flatMap((r) => GROUPS[r]))].sort();
}
