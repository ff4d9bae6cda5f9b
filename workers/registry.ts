import type { WorkerDefinition } from './framework/define.js';
import { bookSlot } from './book-slot.js';
import { checkPrescription } from './check-prescription.js';
import { proposeSlots } from './propose-slots.js';
import { sendSms } from './send-sms.js';
import { sendReminderBatch } from './send-reminder-batch.js';
import { cancelAppointment } from './cancel-appointment.js';
import { moveAppointment } from './move-appointment.js';
import { startRecall } from './start-recall.js';
import { findRecallCandidate } from './find-recall-candidate.js';
import { recordRecallOutcome } from './record-recall-outcome.js';
import { recordContactOutcome } from './record-contact-outcome.js';
import { planCleanupPackages } from './plan-cleanup-packages.js';
import { loadCleanupContact } from './load-cleanup-contact.js';
import { recordCleanupOutcome } from './record-cleanup-outcome.js';
import { planCampaignPackages } from './plan-campaign-packages.js';
import { openCampaignPackage } from './open-campaign-package.js';
import { loadCampaignContact } from './load-campaign-contact.js';
import { recordCampaignOutcome } from './record-campaign-outcome.js';
import { closeCampaignPackage } from './close-campaign-package.js';
import { planSportsGroup } from './plan-sports-group.js';
import { bookSportsGroup } from './book-sports-group.js';
import { closeSportsGroup } from './close-sports-group.js';
import { applyRetention } from './apply-retention.js';
import { produceKpiReports } from './produce-kpi-reports.js';
import { openTicket } from './open-ticket.js';
import { sendMail } from './send-mail.js';
import { archiveMail } from './archive-mail.js';
import { planDeadlines } from './plan-deadlines.js';
import { updateTicket } from './update-ticket.js';
import { linkReply } from './link-reply.js';
import { readTicketOutcome } from './read-ticket-outcome.js';
import { checkIdentity } from './check-identity.js';
import { createPecMailbox } from './create-pec-mailbox.js';
import { changePecMailbox } from './change-pec-mailbox.js';
import { deliverPecCredentials } from './deliver-pec-credentials.js';
import { notifyPecHolder } from './notify-pec-holder.js';
import { voiceWrapUp } from './voice-wrap-up.js';
import { planSurveys } from './plan-surveys.js';
import { placeSurveyCall } from './place-survey-call.js';
import { recordSurveyResult } from './record-survey-result.js';

/** Every job worker of the platform. A worker runs only if it is listed here. */
export const WORKERS: readonly WorkerDefinition[] = [
  checkPrescription,
  proposeSlots,
  bookSlot,
  sendSms,
  sendReminderBatch,
  cancelAppointment,
  moveAppointment,
  startRecall,
  findRecallCandidate,
  recordRecallOutcome,
  recordContactOutcome,
  planCleanupPackages,
  loadCleanupContact,
  recordCleanupOutcome,
  planCampaignPackages,
  openCampaignPackage,
  loadCampaignContact,
  recordCampaignOutcome,
  closeCampaignPackage,
  planSportsGroup,
  bookSportsGroup,
  closeSportsGroup,
  applyRetention,
  produceKpiReports,
  openTicket,
  sendMail,
  archiveMail,
  planDeadlines,
  updateTicket,
  linkReply,
  readTicketOutcome,
  checkIdentity,
  createPecMailbox,
  changePecMailbox,
  deliverPecCredentials,
  notifyPecHolder,
  voiceWrapUp,
  planSurveys,
  placeSurveyCall,
  recordSurveyResult,
];

/**
 * Workers that change nothing (they read the CUP, a prescription, a contact's data, or plan
 * from a read): no kill test, and a model may call them without anyone's approval unless
 * what they return is personal data (their `permission` says so). Every other worker changes
 * something and has its scenario in test/integration/kill.integration.spec.ts.
 */
export const READS_ONLY: readonly string[] = [
  'check-identity',
  'check-prescription',
  'find-recall-candidate',
  'load-campaign-contact',
  'load-cleanup-contact',
  'plan-campaign-packages',
  'plan-cleanup-packages',
  'plan-deadlines',
  'read-ticket-outcome',
  'propose-slots',
];
