/**
 * Outcome codes that close an information contact (C7), from the specification's
 * information services (§4.1.2). First-contact resolution is measured over them, with
 * out-of-scope contacts excluded as the SLA table prescribes (§6).
 */
export const INFORMATION_OUTCOMES = {
  'INFO-TICKET-ESENZIONI': 'Ticket ed esenzioni',
  'INFO-ORIENTAMENTO': 'Orientamento ai servizi sanitari',
  'INFO-PAGAMENTI': 'Pagamenti',
  'INFO-PRENOTAZIONI': 'Stato di prenotazioni e liste di attesa',
  'FUORI-AMBITO': 'Fuori ambito',
} as const;

export type InformationOutcome = keyof typeof INFORMATION_OUTCOMES;
export const INFORMATION_OUTCOME_CODES = Object.keys(INFORMATION_OUTCOMES) as [
  InformationOutcome,
  ...InformationOutcome[],
];

/** Outcomes that do not count towards first-contact resolution. */
export const OUT_OF_SCOPE: readonly InformationOutcome[] = ['FUORI-AMBITO'];
