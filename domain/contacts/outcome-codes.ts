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

/**
 * Outcome codes that close a help-desk contact of the regional contact center (R1, seed
 * §2.2.1): the service it was about, resolved in line or forwarded; out of scope excluded
 * from first-contact resolution as for the CUP.
 */
export const HELPDESK_OUTCOMES = {
  'CSB-TRIBUTI': 'Tributi regionali',
  'CSB-PEC': 'Caselle PEC',
  'CSB-FIRMA-DIGITALE': 'Firma digitale',
  'CSB-SERVIZI-ON-LINE': 'Servizi on line',
  'CSB-FORMAZIONE': 'Formazione',
  'FUORI-AMBITO': 'Fuori ambito',
} as const;

export type HelpDeskOutcome = keyof typeof HELPDESK_OUTCOMES;
export const HELPDESK_OUTCOME_CODES = Object.keys(HELPDESK_OUTCOMES) as [HelpDeskOutcome, ...HelpDeskOutcome[]];
