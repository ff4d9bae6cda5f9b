/**
 * The help desk's queues, seeded in the local store by migration 1763900000018 and created in
 * Request Tracker by the test setup, so the app, the local store and RT share one list.
 * First-level queues receive the citizens' requests (by channel or subject); third-level ones
 * are the departments a first-level operator escalates to.
 */
export const HELP_DESK_QUEUES = {
  firstLevel: ['Generale', 'Tributi CSB', 'Formazione', 'PEC', 'Servizi on line', 'Firma digitale'],
  thirdLevel: ['Dipartimento Tributi', 'Dipartimento Sanità', 'Dipartimento Sistemi informativi'],
} as const;

export type HelpDeskQueue = (typeof HELP_DESK_QUEUES.firstLevel)[number] | (typeof HELP_DESK_QUEUES.thirdLevel)[number];

/** Every help desk queue, first level first. */
export const ALL_HELP_DESK_QUEUES: readonly HelpDeskQueue[] = [
  ...HELP_DESK_QUEUES.firstLevel,
  ...HELP_DESK_QUEUES.thirdLevel,
];
