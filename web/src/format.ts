const dateTime = new Intl.DateTimeFormat('it-IT', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Rome' });

export function when(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** "3 g 2 h", "2 h 15 min", "4 min": how long ago, for queues. */
export function age(iso: string, now = Date.now()): string {
  const min = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} g ${h % 24} h`;
}

export const STATE_LABELS: Record<string, string> = {
  CREATED: 'Aperto',
  COMPLETED: 'Completato',
  CANCELED: 'Annullato',
  ACTIVE: 'In corso',
  INCIDENT: 'Con incidente',
};

export const OUTCOME_LABELS: Record<string, string> = {
  completed: 'Completato',
  bpmn_error: 'Errore di processo',
  retry: 'Ritentato',
  incident: 'Incidente',
  retried: 'Nuovo tentativo',
};

export function priorityLabel(p: number): string {
  if (p >= 75) return `Urgente (${p})`;
  if (p >= 50) return `Normale (${p})`;
  return `Bassa (${p})`;
}

/** Saves text as a file download (export of BPMN and forms). */
export function download(name: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The properties panels apply typed values after a short debounce; waiting for it before
 * saving makes sure the last keystrokes are in what gets deployed.
 */
export function settleProperties(): Promise<void> {
  (document.activeElement as HTMLElement | null)?.blur();
  return new Promise((resolve) => setTimeout(resolve, 400));
}
