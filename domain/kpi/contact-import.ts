import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { ValidationError } from '../errors.js';
import { CONTACT_CHANNELS, IMPORT_OPTIONAL_COLUMNS, IMPORT_REQUIRED_COLUMNS } from './types.js';

/**
 * The contact-record import (`npm run contacts:import -- FILE.csv` and the administrators'
 * upload page): one contact per row, header line, comma-separated, UTF-8. Every row is checked
 * before anything is written; a bad row is reported with its line number and reason and nothing
 * of the file is written. Importing the same file again changes nothing; a row whose
 * `contactId` was imported with other content is refused (records are not rewritten).
 */

export const REQUIRED_COLUMNS = IMPORT_REQUIRED_COLUMNS;
export const OPTIONAL_COLUMNS = IMPORT_OPTIONAL_COLUMNS;

/** The file's outcomes, as stored (the file may say `escalated-l2`, the records `escalated-level-2`). */
const OUTCOMES: Record<string, string> = {
  resolved: 'resolved',
  'out-of-scope': 'out-of-scope',
  'escalated-l2': 'escalated-level-2',
  'escalated-l3': 'escalated-level-3',
  'escalated-level-2': 'escalated-level-2',
  'escalated-level-3': 'escalated-level-3',
  abandoned: 'abandoned',
  busy: 'busy',
  'callback-requested': 'callback-requested',
  'out-of-hours': 'out-of-hours',
  'retired-number': 'retired-number',
  'not-allowed': 'not-allowed',
  positive: 'positive',
  negative: 'negative',
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
const TIMES = [
  'startedAt',
  'offeredAt',
  'answeredAt',
  'abandonedAt',
  'endedAt',
  'wrapUpEndedAt',
  'resolvedAt',
] as const;
type TimeColumn = (typeof TIMES)[number];

export interface ImportedContact {
  contactId: string;
  line: 'cup' | 'csb';
  channel: string;
  direction: 'inbound' | 'outbound';
  requestType: string | null;
  queue: string | null;
  priority: number | null;
  times: Record<TimeColumn, Date | null>;
  resolvedLevel: number | null;
  operator: string | null;
  outcome: string | null;
  hash: string;
  /** The file's line the row starts on. */
  sourceLine: number;
}

export interface RowError {
  line: number;
  message: string;
}

export class ImportRejected extends ValidationError {
  constructor(readonly rowErrors: RowError[]) {
    const shown = rowErrors.slice(0, 200);
    super(
      `Il file non è stato importato: ${rowErrors.length} ${rowErrors.length === 1 ? 'riga non valida' : 'righe non valide'}.`,
      shown.map((e) => ({ field: `line ${e.line}`, label: `Riga ${e.line}`, message: e.message })),
    );
  }
}

/** Reads and checks every row; throws ImportRejected with every bad row. */
export function parseContactsCsv(text: string): ImportedContact[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse<{ record: Record<string, string>; info: { lines: number } }>(text.replace(/^\uFEFF/, ''), {
      columns: (header: string[]) => header.map((h) => h.trim()),
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: false,
    });
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new ImportRejected([{ line: e.lines ?? 1, message: `CSV non leggibile: ${e.message}` }]);
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const columns = header.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new ImportRejected([{ line: 1, message: `colonne mancanti: ${missing.join(', ')}` }]);
  const errors: RowError[] = [];
  const out: ImportedContact[] = [];
  const seen = new Map<string, number>();
  for (const { record: r, info } of records) {
    const line = info.lines;
    const problems: string[] = [];
    const opt = (k: string) => {
      const v = r[k];
      return v === undefined || v === '' ? null : v;
    };
    const contactId = r.contactId ?? '';
    if (!contactId) problems.push('contactId vuoto');
    else if (contactId.length > 200) problems.push('contactId più lungo di 200 caratteri');
    else if (seen.has(contactId)) problems.push(`contactId ${contactId} ripetuto (riga ${seen.get(contactId)})`);
    else seen.set(contactId, line);
    const lineId = r.line;
    if (lineId !== 'cup' && lineId !== 'csb') problems.push(`line «${lineId ?? ''}» non valida (cup o csb)`);
    const channel = r.channel ?? '';
    if (!(CONTACT_CHANNELS as readonly string[]).includes(channel)) {
      problems.push(`channel «${channel}» non valido (${CONTACT_CHANNELS.join(', ')})`);
    }
    const direction = r.direction;
    if (direction !== 'inbound' && direction !== 'outbound') problems.push(`direction «${direction ?? ''}» non valida`);
    const times = {} as Record<TimeColumn, Date | null>;
    for (const k of TIMES) {
      const v = opt(k);
      if (v === null) times[k] = null;
      else if (!ISO.test(v) || Number.isNaN(Date.parse(v))) {
        problems.push(`${k} «${v}» non è una data ISO 8601 con fuso orario`);
        times[k] = null;
      } else times[k] = new Date(v);
    }
    if (!times.startedAt && !times.offeredAt) problems.push('manca l’inizio del contatto (startedAt o offeredAt)');
    const order: [TimeColumn, TimeColumn][] = [
      ['startedAt', 'offeredAt'],
      ['offeredAt', 'answeredAt'],
      ['offeredAt', 'abandonedAt'],
      ['answeredAt', 'endedAt'],
      ['endedAt', 'wrapUpEndedAt'],
    ];
    for (const [a, b] of order) {
      const x = times[a];
      const y = times[b];
      if (x && y && y < x) problems.push(`${b} precede ${a}`);
    }
    if (times.answeredAt && times.abandonedAt) problems.push('answeredAt e abandonedAt insieme');
    const rawOutcome = opt('outcome');
    const outcome = rawOutcome === null ? null : (OUTCOMES[rawOutcome] ?? null);
    if (rawOutcome !== null && outcome === null) problems.push(`outcome «${rawOutcome}» sconosciuto`);
    const int = (k: string, ok: (n: number) => boolean) => {
      const v = opt(k);
      if (v === null) return null;
      const n = Number(v);
      if (!Number.isInteger(n) || !ok(n)) {
        problems.push(`${k} «${v}» non valido`);
        return null;
      }
      return n;
    };
    const priority = int('priority', (n) => n >= 0 && n <= 100);
    const resolvedLevel = int('resolvedLevel', (n) => n === 2 || n === 3);
    if (problems.length > 0) {
      errors.push({ line, message: problems.join('; ') });
      continue;
    }
    const c = {
      contactId,
      line: lineId as 'cup' | 'csb',
      channel,
      direction: direction as 'inbound' | 'outbound',
      requestType: opt('requestType'),
      queue: opt('queue'),
      priority,
      times,
      resolvedLevel,
      operator: opt('operator'),
      outcome,
    };
    out.push({
      ...c,
      hash: createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 32),
      sourceLine: line,
    });
  }
  if (errors.length > 0) throw new ImportRejected(errors);
  if (out.length === 0) throw new ImportRejected([{ line: 1, message: 'il file non contiene righe' }]);
  return out;
}

export interface ImportResult {
  rows: number;
  inserted: number;
  unchanged: number;
}

const BATCH = 5000;

/** Writes the checked rows in one transaction: all of them, or none. */
export async function importContacts(db: DataSource, file: string, rows: ImportedContact[]): Promise<ImportResult> {
  return db.transaction(async (m) => {
    await m.query(`CREATE TEMP TABLE import_batch (LIKE imported_contacts INCLUDING DEFAULTS) ON COMMIT DROP`);
    for (let i = 0; i < rows.length; i += BATCH) {
      const b = rows.slice(i, i + BATCH);
      const col = <T>(f: (c: ImportedContact) => T) => b.map(f);
      await m.query(
        `INSERT INTO import_batch (contact_id, line, channel, direction, request_type, queue, priority, started_at,
                                   offered_at, answered_at, abandoned_at, ended_at, wrap_up_ended_at, resolved_at,
                                   resolved_level, operator, outcome, row_hash, import_file)
         SELECT *, $18 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
                                   $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[],
                                   $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::int[], $16::text[],
                                   $17::text[], $19::text[])`,
        [
          col((c) => c.contactId),
          col((c) => c.line),
          col((c) => c.channel),
          col((c) => c.direction),
          col((c) => c.requestType),
          col((c) => c.queue),
          col((c) => c.priority),
          col((c) => c.times.startedAt),
          col((c) => c.times.offeredAt),
          col((c) => c.times.answeredAt),
          col((c) => c.times.abandonedAt),
          col((c) => c.times.endedAt),
          col((c) => c.times.wrapUpEndedAt),
          col((c) => c.times.resolvedAt),
          col((c) => c.resolvedLevel),
          col((c) => c.operator),
          col((c) => c.outcome),
          file,
          col((c) => c.hash),
        ],
      );
    }
    const conflicts = await m.query<{ contact_id: string }[]>(
      `SELECT b.contact_id FROM import_batch b JOIN imported_contacts i USING (contact_id)
        WHERE i.row_hash <> b.row_hash ORDER BY b.contact_id LIMIT 200`,
    );
    if (conflicts.length > 0) {
      const lineOf = new Map(rows.map((r) => [r.contactId, r.sourceLine]));
      throw new ImportRejected(
        conflicts.map((c) => ({
          line: lineOf.get(c.contact_id) ?? 0,
          message: `contactId ${c.contact_id} già importato con dati diversi: i contatti importati non si riscrivono`,
        })),
      );
    }
    const inserted = await m.query<{ n: number }[]>(
      `WITH ins AS (INSERT INTO imported_contacts SELECT * FROM import_batch ON CONFLICT (contact_id) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
    );
    const n = inserted[0]?.n ?? 0;
    return { rows: rows.length, inserted: n, unchanged: rows.length - n };
  });
}
