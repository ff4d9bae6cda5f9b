/**
 * Outbound campaigns (R6, §2.2.8; the CUP's "pulitura agende", C4) and the outcome codes an
 * operator closes each call with. The SLA on outbound efficacy (§6.2) counts the calls
 * "resolved with a positive outcome (information acquired, service delivered, …)" over the
 * calls made, so every code says whether it is positive; the flag is stored with the outcome,
 * so a later change of a catalogue does not rewrite the reports of past packages.
 */
export const CAMPAIGN_KINDS = ['agenda-cleanup', 'information', 'satisfaction', 'call-for-proposals'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

/** How each kind is called on screen. */
export const CAMPAIGN_KIND_LABELS: Record<CampaignKind, string> = {
  'agenda-cleanup': 'Pulitura agenda CUP',
  information: 'Campagna informativa',
  satisfaction: 'Rilevazione della soddisfazione',
  'call-for-proposals': 'Contatto per bandi e provvedimenti regionali',
};

/** Kinds a list of contacts is uploaded for; a cleanup's contacts come from the CUP's agenda. */
export const LIST_CAMPAIGN_KINDS = ['information', 'satisfaction', 'call-for-proposals'] as const;
export type ListCampaignKind = (typeof LIST_CAMPAIGN_KINDS)[number];

export interface OutcomeCode {
  code: string;
  label: string;
  /** Counts as a positive outcome for the package's efficacy (§6.2). */
  positive: boolean;
}

/** The calls that reach nobody or are refused: the same codes in every list campaign. */
const UNREACHED: readonly OutcomeCode[] = [
  { code: 'RIFIUTA', label: 'Non disponibile, rifiuta il contatto', positive: false },
  { code: 'NON-RISPONDE', label: 'Non risponde', positive: false },
  { code: 'NUMERO-ERRATO', label: 'Numero inesistente o di altra persona', positive: false },
];

export const OUTCOME_CATALOGUES: Record<CampaignKind, readonly OutcomeCode[]> = {
  // Confirming and cancelling both acquire what the cleanup asks (will the patient come?).
  'agenda-cleanup': [
    { code: 'PRESENZA-CONFERMATA', label: 'Conferma la presenza', positive: true },
    { code: 'PRENOTAZIONE-DISDETTA', label: 'Disdice la prenotazione', positive: true },
    { code: 'NON-RISPONDE', label: 'Non risponde', positive: false },
  ],
  information: [
    { code: 'INFORMATO', label: 'Informato sul servizio', positive: true },
    { code: 'GIA-INFORMATO', label: 'Conosceva già il servizio', positive: true },
    ...UNREACHED,
  ],
  satisfaction: [
    { code: 'INTERVISTA-COMPLETA', label: 'Intervista completata', positive: true },
    { code: 'INTERVISTA-INTERROTTA', label: 'Intervista interrotta prima della fine', positive: false },
    ...UNREACHED,
  ],
  'call-for-proposals': [
    { code: 'INFORMATO-BANDO', label: 'Informato sul bando o provvedimento', positive: true },
    { code: 'ASSISTITO-DOMANDA', label: 'Assistito nella presentazione della domanda', positive: true },
    ...UNREACHED,
  ],
};

/** The code of a kind's catalogue, or undefined. */
export function outcomeOf(kind: CampaignKind, code: string): OutcomeCode | undefined {
  return OUTCOME_CATALOGUES[kind].find((o) => o.code === code);
}

/** The options of the call form's outcome field (form-js `valuesKey`). */
export function outcomeOptions(kind: CampaignKind): { value: string; label: string }[] {
  return OUTCOME_CATALOGUES[kind].map((o) => ({ value: o.code, label: o.label }));
}

/**
 * The cleanup's own answers (its form `cup-cleanup-call`, its flow's `presenceOutcome`) and
 * the codes of the shared catalogue they are stored as.
 */
export const CLEANUP_OUTCOME_CODES = {
  confirmed: 'PRESENZA-CONFERMATA',
  cancelled: 'PRENOTAZIONE-DISDETTA',
  'no-answer': 'NON-RISPONDE',
} as const satisfies Record<string, string>;
export type CleanupOutcome = keyof typeof CLEANUP_OUTCOME_CODES;

/** The cleanup's answer a stored code stands for (its progress speaks the cleanup's words). */
export function cleanupOutcomeOf(code: string): CleanupOutcome | undefined {
  return (Object.keys(CLEANUP_OUTCOME_CODES) as CleanupOutcome[]).find((k) => CLEANUP_OUTCOME_CODES[k] === code);
}
