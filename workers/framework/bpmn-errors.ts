/**
 * Every BPMN error code a worker may throw, with what it means. A contract test checks that
 * each code is caught somewhere in `processes/*.bpmn`.
 */
export const BPMN_ERRORS = {
  NO_FREE_SLOT: 'Nessuno slot libero per la prestazione richiesta nel periodo consultabile.',
  SLOT_TAKEN: 'Lo slot scelto non è più libero: un altro operatore lo ha prenotato.',
} as const;

export type BpmnErrorCode = keyof typeof BPMN_ERRORS;
