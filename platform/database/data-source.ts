import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Foundation1763900000000 } from '../../migrations/1763900000000-Foundation.js';
import { Recall1763900000001 } from '../../migrations/1763900000001-Recall.js';
import { SportsMedicine1763900000002 } from '../../migrations/1763900000002-SportsMedicine.js';
import { ContactOutcomes1763900000003 } from '../../migrations/1763900000003-ContactOutcomes.js';
import { AgendaCleanup1763900000004 } from '../../migrations/1763900000004-AgendaCleanup.js';
import { SlotSearchIndexes1763900000005 } from '../../migrations/1763900000005-SlotSearchIndexes.js';
import { JobOutcomeElementInstance1763900000006 } from '../../migrations/1763900000006-JobOutcomeElementInstance.js';
import { AppointmentPriority1763900000007 } from '../../migrations/1763900000007-AppointmentPriority.js';
import { Access1763900000008 } from '../../migrations/1763900000008-Access.js';
import { OperatonEngine1763900000009 } from '../../migrations/1763900000009-OperatonEngine.js';
import { ExternalIdentity1763900000010 } from '../../migrations/1763900000010-ExternalIdentity.js';
import { AppointmentIdentifiers1763900000011 } from '../../migrations/1763900000011-AppointmentIdentifiers.js';
import { SmsReconciliation1763900000012 } from '../../migrations/1763900000012-SmsReconciliation.js';
import { ModelApprovals1763900000013 } from '../../migrations/1763900000013-ModelApprovals.js';
import { CleanupContactsByCupId1763900000014 } from '../../migrations/1763900000014-CleanupContactsByCupId.js';
import { RecallContactsByCupId1763900000015 } from '../../migrations/1763900000015-RecallContactsByCupId.js';
import { ExternalBindingAllowed1763900000016 } from '../../migrations/1763900000016-ExternalBindingAllowed.js';
import { ApprovalClaim1763900000017 } from '../../migrations/1763900000017-ApprovalClaim.js';
import { LocalTickets1763900000018 } from '../../migrations/1763900000018-LocalTickets.js';
import { HelpDeskMail1763900000019 } from '../../migrations/1763900000019-HelpDeskMail.js';
import { PecMailboxes1763900000020 } from '../../migrations/1763900000020-PecMailboxes.js';
import { MailBounces1763900000021 } from '../../migrations/1763900000021-MailBounces.js';
import { Campaigns1763900000022 } from '../../migrations/1763900000022-Campaigns.js';
import { HelpDeskContacts1763900000023 } from '../../migrations/1763900000023-HelpDeskContacts.js';
import { ChunkedFiles1763900000024 } from '../../migrations/1763900000024-ChunkedFiles.js';
import { ApiRequests1763900000025 } from '../../migrations/1763900000025-ApiRequests.js';
import { CallRecords1763900000026 } from '../../migrations/1763900000026-CallRecords.js';
import { VoiceRouting1763900000027 } from '../../migrations/1763900000027-VoiceRouting.js';
import { VoiceOccupancy1763900000028 } from '../../migrations/1763900000028-VoiceOccupancy.js';
import { VoiceSurveys1763900000029 } from '../../migrations/1763900000029-VoiceSurveys.js';
import { VoiceCallbackLeg1763900000030 } from '../../migrations/1763900000030-VoiceCallbackLeg.js';
import { Kpi1763900000031 } from '../../migrations/1763900000031-Kpi.js';
import { KpiContract1763900000032 } from '../../migrations/1763900000032-KpiContract.js';
import { AuditChain1763900000033 } from '../../migrations/1763900000033-AuditChain.js';
import { CallProviderCheck1763900000034 } from '../../migrations/1763900000034-CallProviderCheck.js';

/** Every migration, in order. Schema changes are only ever made by adding one here. */
export const MIGRATIONS = [
  Foundation1763900000000,
  Recall1763900000001,
  SportsMedicine1763900000002,
  ContactOutcomes1763900000003,
  AgendaCleanup1763900000004,
  SlotSearchIndexes1763900000005,
  JobOutcomeElementInstance1763900000006,
  AppointmentPriority1763900000007,
  Access1763900000008,
  OperatonEngine1763900000009,
  ExternalIdentity1763900000010,
  AppointmentIdentifiers1763900000011,
  SmsReconciliation1763900000012,
  ModelApprovals1763900000013,
  CleanupContactsByCupId1763900000014,
  RecallContactsByCupId1763900000015,
  ExternalBindingAllowed1763900000016,
  ApprovalClaim1763900000017,
  LocalTickets1763900000018,
  HelpDeskMail1763900000019,
  PecMailboxes1763900000020,
  MailBounces1763900000021,
  Campaigns1763900000022,
  HelpDeskContacts1763900000023,
  ChunkedFiles1763900000024,
  ApiRequests1763900000025,
  CallRecords1763900000026,
  VoiceRouting1763900000027,
  VoiceOccupancy1763900000028,
  VoiceSurveys1763900000029,
  VoiceCallbackLeg1763900000030,
  Kpi1763900000031,
  KpiContract1763900000032,
  AuditChain1763900000033,
  CallProviderCheck1763900000034,
];

const MIGRATION_LOCK = 7_123_001;

export function createDataSource(url: string, poolSize = 20): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, application_name: 'contact-center' },
  });
}

/**
 * Connects and applies pending migrations. An advisory lock makes concurrent starts of
 * several app processes against one database safe.
 */
export async function openDatabase(url: string, poolSize?: number): Promise<DataSource> {
  const ds = createDataSource(url, poolSize);
  await ds.initialize();
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
  return ds;
}
