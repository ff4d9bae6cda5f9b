/**
 * Every BPMN error code a worker may throw, with what it means. A contract test checks that
 * each code is caught somewhere in `processes/*.bpmn`.
 */
export const BPMN_ERRORS = {
  NO_FREE_SLOT: 'Nessuno slot libero per la prestazione richiesta nel periodo consultabile.',
  APPOINTMENT_NOT_ACTIVE: 'La prenotazione non è attiva (già disdetta o eseguita).',
  NO_RECALL_CANDIDATE: 'Nessun paziente prenotato al 31°/61° giorno da richiamare per lo slot liberato.',
  SLOT_NO_LONGER_FREE: 'Lo slot liberato non è più disponibile.',
  PRESCRIPTION_INVALID: 'Ricetta o anagrafica del paziente da verificare: il caso passa al back office.',
  NOTHING_TO_CLEAN: "Nessuna prenotazione attiva nell'agenda per il periodo indicato.",
  SLOT_TAKEN: 'Lo slot scelto non è più libero: un altro operatore lo ha prenotato.',
  SPORTS_GROUP_NO_ROOM:
    'La struttura non ha abbastanza posti liberi per gli atleti della società nel periodo consultabile: il back office concorda altre date.',
  SPORTS_GROUP_SLOT_TAKEN:
    'Uno slot del piano del gruppo sportivo non è più libero: le prenotazioni già fatte sono annullate e si ripianifica.',
} as const;

export type BpmnErrorCode = keyof typeof BPMN_ERRORS;
