import { z } from 'zod';
import { defineWorker } from './framework/define.js';
import { MailboxUnavailableError } from '../adapters/mail/mailbox.js';
import { ARCHIVE_FOLDER } from '../domain/helpdesk/mail-intake.js';
import { TransientError } from './framework/errors.js';
import { pruneAuditChain } from '../domain/access/audit-chain.js';
import { changedRows as count, type Queryable as Db } from '../platform/database/changed-rows.js';

const DAY_MS = 86_400_000;

/** Archived mail older than `before`: emptied; raw bytes and attachments no message refers to any more, deleted. */
async function destroyMail(db: Db, before: Date): Promise<{ mailEmptied: number; mailBlobsDeleted: number }> {
  const mailEmptied = await count(
    db,
    `UPDATE mail_messages SET text_body = NULL, html_body = NULL, subject = NULL, from_address = NULL,
            from_name = NULL, reply_to = NULL, attachments = '[]', raw_sha256 = NULL, original_sha256 = NULL, pec = NULL
      WHERE archived_at < $1
        AND (raw_sha256 IS NOT NULL OR text_body IS NOT NULL OR from_address IS NOT NULL OR attachments <> '[]')`,
    [before],
  );
  await count(db, `DELETE FROM local_mailbox_messages WHERE folder <> 'INBOX' AND received_at < $1`, [before]);
  // The front office's contacts for calls: who called, the notes, the documents.
  await count(
    db,
    `UPDATE helpdesk_contacts SET notes = NULL, caller_name = NULL, fiscal_code = NULL, phone = NULL, email = NULL,
            attachments = '[]'
      WHERE opened_at < $1 AND (notes IS NOT NULL OR caller_name IS NOT NULL OR fiscal_code IS NOT NULL
            OR phone IS NOT NULL OR email IS NOT NULL OR attachments <> '[]')`,
    [before],
  );
  await count(
    db,
    `UPDATE mail_outbox SET text_body = '', to_address = '', subject = '' WHERE created_at < $1 AND text_body <> ''`,
    [before],
  );
  const mailBlobsDeleted = await count(
    db,
    `DELETE FROM mail_blobs b WHERE b.created_at < $1
        AND NOT EXISTS (SELECT 1 FROM mail_messages m WHERE m.raw_sha256 = b.sha256)
        AND NOT EXISTS (SELECT 1 FROM mail_messages m WHERE m.original_sha256 = b.sha256)
        AND NOT EXISTS (SELECT 1 FROM mail_messages m
                         WHERE m.attachments @> jsonb_build_array(jsonb_build_object('sha256', b.sha256)))
        AND NOT EXISTS (SELECT 1 FROM helpdesk_contacts c
                         WHERE c.attachments @> jsonb_build_array(jsonb_build_object('sha256', b.sha256)))`,
    [before],
  );
  // Pieces of a file whose writer died before naming it (a crash mid-intake): nobody will read them.
  await count(
    db,
    `DELETE FROM file_chunks c WHERE c.created_at < now() - interval '1 day'
        AND NOT EXISTS (SELECT 1 FROM mail_blobs b WHERE b.file_id = c.file_id)
        AND NOT EXISTS (SELECT 1 FROM ticket_attachments t WHERE t.file_id = c.file_id)
        AND NOT EXISTS (SELECT 1 FROM local_mailbox_messages l WHERE l.file_id = c.file_id)`,
    [],
  );
  return { mailEmptied, mailBlobsDeleted };
}

/**
 * Retention of personal data (P3): what the platform itself keeps of people (SMS texts and
 * numbers, contact notes, the people of finished campaigns) is emptied once older than `personalDataDays`; audit entries older
 * than `auditDays` are emptied, and removed once nothing whole comes before them (the chain stays verifiable). The records stay (who did what, when, with which outcome),
 * their personal content goes. Task and instance variables live in the engine's history,
 * which the engine removes itself (`historyTimeToLive` of each process, history cleanup).
 * Idempotent: a second run finds nothing left to empty.
 */
export const applyRetention = defineWorker({
  taskType: 'apply-retention',
  permission: 'retention:manage',
  description: 'Applica i tempi di conservazione dei dati personali e del registro degli accessi.',
  variables: z.object({}).passthrough(),
  headers: z.object({
    personalDataDays: z.coerce.number().int().min(1).max(3650),
    auditDays: z.coerce.number().int().min(30).max(3650),
    /**
     * R2 (§2.2.7): the help desk's mail is archived for the contract's duration, then
     * destroyed: what it said, who sent it, its raw bytes and attachments, and our answers'
     * texts. The record that a message came and was dealt with stays.
     */
    mailDays: z.coerce.number().int().min(30).max(7300).optional(),
  }),
  async handler({ headers, job, deps }) {
    const now = deps.now();
    const personalBefore = new Date(now.getTime() - headers.personalDataDays * DAY_MS);
    const auditBefore = new Date(now.getTime() - headers.auditDays * DAY_MS);
    const db = deps.db;
    const sms = await count(
      db,
      `UPDATE sms_messages SET body = '', to_number = ''
        WHERE created_at < $1 AND (body <> '' OR to_number <> '')`,
      [personalBefore],
    );
    const notes = await count(db, `UPDATE contact_outcomes SET note = NULL WHERE closed_at < $1 AND note IS NOT NULL`, [
      personalBefore,
    ]);
    // The people an outbound campaign called (R6): kept while it runs, emptied once it has been
    // over for the period; the outcome codes stay for its efficacy and efficiency.
    const campaignContacts = await count(
      db,
      `UPDATE campaign_contacts c SET name = NULL, phone = NULL, email = NULL, fiscal_code = NULL, extra = '{}', note = NULL
         FROM campaigns k
        WHERE k.id = c.campaign_id AND k.status = 'completed' AND k.completed_at < $1
          AND (c.name IS NOT NULL OR c.phone IS NOT NULL OR c.email IS NOT NULL OR c.fiscal_code IS NOT NULL
               OR c.extra <> '{}' OR c.note IS NOT NULL)`,
      [personalBefore],
    );
    // Who called (V8): the record of the call stays for the KPIs, the caller's number goes.
    const callNumbers = await count(
      db,
      `UPDATE call_records SET from_number = NULL WHERE arrived_at < $1 AND from_number IS NOT NULL`,
      [personalBefore],
    );
    // The number a call-back would dial, and the surveyed number (the scores stay, per contact and operator).
    await db.query(
      `UPDATE voice_queue_entries SET callback_number = NULL WHERE updated_at < $1 AND callback_number IS NOT NULL`,
      [personalBefore],
    );
    await db.query(`UPDATE voice_surveys SET to_number = NULL WHERE created_at < $1 AND to_number IS NOT NULL`, [
      personalBefore,
    ]);
    // Emptied, not deleted, so that the chain of the audit trail still verifies (audit-chain.ts).
    const audit = await pruneAuditChain(db, auditBefore);
    const mailBefore = headers.mailDays ? new Date(now.getTime() - headers.mailDays * DAY_MS) : undefined;
    const mail = mailBefore ? await destroyMail(db, mailBefore) : {};
    // The mail servers' own copies in each mailbox's archive folder go too (R2).
    let archivedDeleted = 0;
    if (mailBefore) {
      for (const [name, mailbox] of deps.mail.mailboxes) {
        try {
          archivedDeleted += await mailbox.purge(ARCHIVE_FOLDER, mailBefore);
        } catch (err) {
          if (err instanceof MailboxUnavailableError) {
            throw new TransientError(
              `Conservazione: ${err.message}; l'archivio della casella ${name} sarà ripulito al prossimo tentativo.`,
            );
          }
          throw err;
        }
      }
    }
    const summary = {
      sms,
      notes,
      campaignContacts,
      callNumbers,
      auditPruned: audit.emptied,
      auditRemoved: audit.removed,
      ...mail,
      ...(mailBefore ? { archivedDeleted } : {}),
    };
    // One record per run, even when a delivery that died after writing it is repeated.
    await db.query(
      `INSERT INTO audit_events (actor, action, subject_type, detail)
       SELECT 'sistema', 'retention.applied', 'platform', $1::jsonb
        WHERE NOT EXISTS (SELECT 1 FROM audit_events WHERE action = 'retention.applied' AND detail->>'run' = $2)`,
      [
        JSON.stringify({
          ...summary,
          personalDataDays: headers.personalDataDays,
          auditDays: headers.auditDays,
          ...(headers.mailDays ? { mailDays: headers.mailDays } : {}),
          run: job.processInstanceKey,
        }),
        job.processInstanceKey,
      ],
    );
    return { retention: { appliedAt: now.toISOString(), ...summary } };
  },
});
