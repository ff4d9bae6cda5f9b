import { z } from 'zod';

/**
 * What people read when a value is refused: zod's messages in Italian (its own `it` locale,
 * for every schema without a message of its own), and each field by the label a person knows
 * rather than its key in the API. Imported for its effect by the API and the workers.
 */
z.config(z.locales.it());

/** The Italian label of each field the API and the forms take. */
export const FIELD_LABELS: Record<string, string> = {
  prescriptionNre: 'Numero di ricetta elettronica (NRE)',
  serviceCode: 'Prestazione',
  patientId: 'Paziente',
  fiscalCode: 'Codice fiscale',
  structureId: 'Struttura',
  priorityClass: 'Classe di priorità',
  mobile: 'Cellulare',
  appointmentId: 'Prenotazione',
  cancellationNote: 'Nota della disdetta',
  rebook: 'Nuova prenotazione',
  channel: 'Canale',
  scheduleId: 'Agenda',
  from: 'Dal',
  to: 'Al',
  reminderDate: 'Giorno dei promemoria',
  clubName: 'Società sportiva',
  athletes: 'Atleti',
  notBefore: 'Non prima del',
  username: 'Nome utente',
  displayName: 'Nome e cognome',
  roles: 'Ruoli',
  password: 'Password',
  currentPassword: 'Password attuale',
  newPassword: 'Nuova password',
  comment: 'Commento',
  name: 'Nome del file',
  content: 'Contenuto',
  variables: 'Valori del modulo',
  slotId: 'Slot',
  limit: 'Numero di risultati',
  '(corpo)': 'Richiesta',
};

/** The label of a field path (`athletes.3` → "Atleti"), or the path itself. */
export function fieldLabel(path: string): string {
  return FIELD_LABELS[path] ?? FIELD_LABELS[path.split('.')[0] ?? ''] ?? path;
}
