/** Priority classes of a prescription (Piano nazionale di governo delle liste di attesa). */
export const PRIORITY_CLASSES = ['U', 'B', 'D', 'P'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];
export type ServiceKind = 'visit' | 'exam';

export const PRIORITY_LABELS: Record<PriorityClass, string> = {
  U: 'Urgente (entro 72 ore)',
  B: 'Breve (entro 10 giorni)',
  D: 'Differibile (entro 30 giorni per le visite, 60 per gli esami strumentali)',
  P: 'Programmabile (entro 120 giorni)',
};

/** The longest wait the class allows, in hours. */
export function maxWaitHours(priority: PriorityClass, kind: ServiceKind): number {
  switch (priority) {
    case 'U':
      return 72;
    case 'B':
      return 10 * 24;
    case 'D':
      return (kind === 'visit' ? 30 : 60) * 24;
    case 'P':
      return 120 * 24;
  }
}

/** True when an appointment at `start`, booked at `requestedAt`, is beyond the class limit. */
export function beyondPriorityLimit(
  priority: PriorityClass,
  kind: ServiceKind,
  requestedAt: Date,
  start: Date,
): boolean {
  return start.getTime() - requestedAt.getTime() > maxWaitHours(priority, kind) * 3_600_000;
}
