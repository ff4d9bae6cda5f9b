import type { DataSource } from 'typeorm';

/** What an audit entry is about: an action by a person on a subject. */
export interface AuditEntry {
  actor: string;
  action: string;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  /** Short, non-personal context (a query's shape, a reason); never the data that was read. */
  detail?: Record<string, unknown> | undefined;
  ip?: string | undefined;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'detail' | 'ip'>> {
  id: string;
  at: string;
  detail: Record<string, unknown> | null;
  ip: string | null;
}

/**
 * The audit trail (P3): every read of a person's booking or contact data, every sign-in,
 * every deployment and account change. Append-only: the app never updates or deletes rows
 * (retention is the database owner's job).
 */
export class AuditLog {
  constructor(private readonly db: DataSource) {}

  async record(e: AuditEntry): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_events (actor, action, subject_type, subject_id, detail, ip) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        e.actor,
        e.action,
        e.subjectType ?? null,
        e.subjectId ?? null,
        e.detail ? JSON.stringify(e.detail) : null,
        e.ip ?? null,
      ],
    );
  }

  async list(f: {
    actor?: string | undefined;
    action?: string | undefined;
    subjectId?: string | undefined;
    limit?: number | undefined;
  }): Promise<AuditRecord[]> {
    const rows: (Omit<AuditRecord, 'at'> & { at: Date })[] = await this.db.query(
      // Ordered by the number, not by its text (`id` alone would be the text column: 9 before 33).
      `SELECT id::text, at, actor, action, subject_type AS "subjectType", subject_id AS "subjectId", detail, ip
         FROM audit_events
        WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2) AND ($3::text IS NULL OR subject_id = $3)
        ORDER BY audit_events.id DESC LIMIT $4`,
      [f.actor ?? null, f.action ?? null, f.subjectId ?? null, f.limit ?? 200],
    );
    return rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  }
}
