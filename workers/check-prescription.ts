import { z } from 'zod';
import { checkNre } from '../domain/cup/prescription.js';
import { checkFiscalCode } from '../domain/cup/patient.js';
import { PRIORITY_CLASSES } from '../domain/cup/priority.js';
import { BpmnError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';
import { BPMN_ERRORS } from './framework/bpmn-errors.js';

/**
 * Checks the prescription and the patient before any slot is proposed: the NRE's form,
 * the patient on the CUP and their fiscal code (omocodia included). What fails goes to the
 * back office as a complex case, with the reason.
 */
export const checkPrescription = defineWorker({
  taskType: 'check-prescription',
  description:
    "Controlla ricetta (NRE), paziente e codice fiscale; un'anomalia passa al back office come caso complesso.",
  variables: z.object({
    prescriptionNre: z.string(),
    patientId: z.string().min(1),
    priorityClass: z.enum(PRIORITY_CLASSES).default('P'),
  }),
  headers: z.object({}),
  async handler({ variables, deps }) {
    const escalate = (reason: string): never => {
      throw new BpmnError('PRESCRIPTION_INVALID', BPMN_ERRORS.PRESCRIPTION_INVALID, { escalationReason: reason });
    };
    const nreProblem = checkNre(variables.prescriptionNre);
    if (nreProblem) escalate(nreProblem);
    const patient = await deps.cup.getPatient(variables.patientId);
    if (!patient) return escalate('Paziente non trovato sul CUP.');
    const cfProblem = checkFiscalCode(patient.fiscalCode);
    if (cfProblem) escalate(`Anagrafica del paziente da verificare: ${cfProblem}`);
    return { priorityClass: variables.priorityClass, escalationReason: null };
  },
});
