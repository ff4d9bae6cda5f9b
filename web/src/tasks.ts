import { api, query } from './api';

export interface Task {
  key: string;
  name: string;
  processInstanceKey: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  processVersion: number | null;
  elementId: string;
  candidateGroups: string[];
  assignee: string | null;
  formKey: string | null;
  dueDate: string | null;
  priority: number;
  businessKey: string | null;
  state: 'CREATED' | 'COMPLETED' | 'CANCELED';
  createdAt: string;
  claimedAt: string | null;
  completedAt: string | null;
  completedBy: string | null;
  reason: string | null;
}

export interface TaskDetail extends Task {
  variables: Record<string, unknown>;
  form: unknown;
}

/** How the flows are called on screen. */
export const PROCESS_LABELS: Record<string, string> = {
  'cup-booking': 'Prenotazione CUP',
  'cup-cancellation': 'Disdetta e spostamento',
  'cup-recall': 'Richiamo pazienti',
  'cup-agenda-cleanup': 'Pulitura agenda',
  'cup-sms-reminders': 'Promemoria SMS',
  'cup-sports-group': 'Medicina dello sport',
  'cup-information': 'Contatto informativo',
  'platform-retention': 'Conservazione dei dati',
  'helpdesk-mail-intake': "Posta dell'help desk",
  'helpdesk-tributi-check': 'Verifica documentale tributi',
  'helpdesk-third-level': 'Terzo livello',
  'helpdesk-phone-contact': "Contatto dell'help desk",
  'helpdesk-pec-issuance': 'Rilascio casella PEC',
  'helpdesk-pec-change': 'Modifica casella PEC',
  'campaign-outbound': 'Campagna in uscita',
  'inbound-call': 'Chiamata in ingresso',
  'voice-survey': 'Sondaggio di soddisfazione',
  'voice-survey-daily': 'Sondaggi del giorno',
};

export const GROUP_LABELS: Record<string, string> = {
  'cup-operators': 'Operatori CUP',
  'cup-back-office': 'Back office 1° livello',
  'cup-back-office-2': 'Back office 2° livello',
  'helpdesk-operators': "Operatori dell'help desk",
  'helpdesk-back-office': "Back office dell'help desk",
  'helpdesk-back-office-2': "Back office dell'help desk (2° livello)",
  'helpdesk-third-level': 'Terzo livello',
};

export const processLabel = (id: string) => PROCESS_LABELS[id] ?? id;
export const groupLabel = (id: string) => GROUP_LABELS[id] ?? id;

/** Waits for the operator's task of a just-started instance and takes it. */
export async function takeTaskOf(processInstanceKey: string, process: string): Promise<Task | undefined> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const list = await api<{ items: Task[] }>(`/api/tasks${query({ process, claim: 'unassigned' })}`);
    const task = list.items.find((t) => t.processInstanceKey === processInstanceKey);
    if (task) {
      await api(`/api/tasks/${task.key}/claim`, { method: 'POST' });
      return task;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
  return undefined;
}
