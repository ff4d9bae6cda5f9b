import type { DataSource } from 'typeorm';
import { changedRows } from '../../platform/database/changed-rows.js';

/** The hash before the first entry of a chain nothing was ever removed from. */
export const GENESIS_HASH = '0'.repeat(64);

/** One place where the chain does not hold, by entry number. */
export interface ChainProblem {
  seq: string;
  problem: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Entries checked, and of them those retention emptied (hash checked by link only). */
  entries: number;
  pruned: number;
  /** Where the retained chain starts: the anchor (the last entry removed for good) and its hash. */
  anchor: { seq: string; hash: string };
  /** The last entry: note it outside the database to detect a rewrite of the whole tail later. */
  head: { seq: string; hash: string };
  problems: ChainProblem[];
}

interface ChainRow {
  seq: string;
  prev_hash: string;
  hash: string;
  recomputed: string;
  pruned: boolean;
  at: Date;
}

const BATCH = 5000;
/** A verification stops listing after this many problems (the first ones say where it broke). */
const MAX_PROBLEMS = 50;

/**
 * Walks the audit chain from its anchor to its head: numbers without gaps, each entry's
 * `prev_hash` the hash of the one before, each entry's hash recomputed from its fields (an
 * emptied entry's fields are gone, so only its links are checked, and it must be older than
 * retention's cut-off), the head row agreeing with the last entry. `expectHead` is a head noted
 * earlier (`seq:hash`): it must still be in the chain, with the same hash.
 */
export async function verifyAuditChain(
  db: DataSource,
  opts: { expectHead?: { seq: string; hash: string } | undefined } = {},
): Promise<ChainVerification> {
  const [chain] = await db.query<
    { head_seq: string; head_hash: string; anchor_seq: string; anchor_hash: string; pruned_before: Date | null }[]
  >(`SELECT head_seq::text, head_hash, anchor_seq::text, anchor_hash, pruned_before FROM audit_chain`);
  if (!chain) throw new Error('audit_chain is missing: the database has not been migrated');
  const problems: ChainProblem[] = [];
  const note = (seq: string, problem: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ seq, problem });
  };
  let prevSeq = BigInt(chain.anchor_seq);
  let prevHash = chain.anchor_hash;
  let entries = 0;
  let pruned = 0;
  let expectedSeen = false;
  for (;;) {
    const rows = await db.query<ChainRow[]>(
      `SELECT seq::text, prev_hash, hash, pruned, at,
              audit_event_digest(prev_hash, seq, at, actor, action, subject_type, subject_id, detail, ip) AS recomputed
         FROM audit_events WHERE seq > $1 ORDER BY audit_events.seq LIMIT ${BATCH}`,
      [prevSeq.toString()],
    );
    for (const r of rows) {
      const seq = BigInt(r.seq);
      if (seq !== prevSeq + 1n) note(r.seq, `manca la voce ${String(prevSeq + 1n)} (dopo la ${String(prevSeq)})`);
      if (r.prev_hash !== prevHash) note(r.seq, 'non è legata alla voce precedente (hash precedente diverso)');
      if (r.pruned) {
        pruned++;
        if (!chain.pruned_before || r.at >= chain.pruned_before) {
          note(r.seq, 'svuotata senza che la conservazione lo prevedesse');
        }
      } else if (r.recomputed !== r.hash) {
        note(r.seq, 'contenuto modificato (hash ricalcolato diverso)');
      }
      if (opts.expectHead && r.seq === opts.expectHead.seq) {
        expectedSeen = true;
        if (r.hash !== opts.expectHead.hash) note(r.seq, 'la testa annotata non coincide: la catena è stata riscritta');
      }
      prevSeq = seq;
      prevHash = r.hash;
      entries++;
    }
    if (rows.length < BATCH) break;
  }
  if (prevSeq.toString() !== chain.head_seq || prevHash !== chain.head_hash) {
    note(chain.head_seq, `la testa registrata (${chain.head_seq}) non è l'ultima voce (${String(prevSeq)})`);
  }
  if (opts.expectHead && !expectedSeen) {
    const at = BigInt(opts.expectHead.seq);
    if (at === BigInt(chain.anchor_seq)) {
      if (opts.expectHead.hash !== chain.anchor_hash) note(opts.expectHead.seq, 'la testa annotata non coincide');
    } else {
      note(
        opts.expectHead.seq,
        at < BigInt(chain.anchor_seq)
          ? 'la testa annotata è già stata rimossa dalla conservazione: non verificabile'
          : 'la testa annotata non è nella catena',
      );
    }
  }
  return {
    ok: problems.length === 0,
    entries,
    pruned,
    anchor: { seq: chain.anchor_seq, hash: chain.anchor_hash },
    head: { seq: chain.head_seq, hash: chain.head_hash },
    problems,
  };
}

/**
 * Retention of the audit trail (R2): entries older than `before` are emptied (their number,
 * time, action and hashes stay, so the chain still verifies), then the emptied entries at the
 * start of the chain are deleted and the anchor moves past them. Idempotent.
 */
export async function pruneAuditChain(db: DataSource, before: Date): Promise<{ emptied: number; removed: number }> {
  return db.transaction(async (m) => {
    await m.query(
      `UPDATE audit_chain SET pruned_before = GREATEST(coalesce(pruned_before, '-infinity'::timestamptz), $1)`,
      [before],
    );
    const emptied = await changedRows(
      m,
      `UPDATE audit_events SET pruned = true, actor = NULL, subject_id = NULL, detail = NULL, ip = NULL
        WHERE at < $1 AND NOT pruned`,
      [before],
    );
    // The chain's start up to the first entry still whole: all emptied, so removed for good.
    const [last] = await m.query<{ seq: string; hash: string }[]>(
      `SELECT seq::text, hash FROM audit_events
        WHERE seq < coalesce((SELECT min(seq) FROM audit_events WHERE NOT pruned),
                             (SELECT head_seq + 1 FROM audit_chain))
        ORDER BY audit_events.seq DESC LIMIT 1`,
    );
    let removed = 0;
    if (last) {
      await m.query(`UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2`, [last.seq, last.hash]);
      removed = await changedRows(m, `DELETE FROM audit_events WHERE seq <= $1`, [last.seq]);
    }
    return { emptied, removed };
  });
}
