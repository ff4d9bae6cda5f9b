import { CsvError, parse } from 'csv-parse/sync';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { checkFiscalCode } from '../cup/patient.js';

/**
 * The list of contacts the Regione or a supervisor uploads for an outbound campaign (R6): a
 * CSV with a header row, as a spreadsheet saves it (`;` or `,` or tab between values, quotes
 * around values that hold them, UTF-8 with or without BOM). Columns are recognised by their
 * header, in Italian or English: the name (or first and last name), the phone, optionally the
 * email and the fiscal code; any other column is kept as it is and shown to the operator.
 *
 * Each row is checked on its own: a bad row is left out and reported (row number as the
 * spreadsheet shows it, header = row 1, the column, the reason, in Italian) and the others
 * are used. A file that cannot be read as a whole, lacks a required column or has no usable
 * row is unusable: the report says why, and no campaign starts.
 */

/** One contact of the list, checked. */
export interface ListedContact {
  /** The row of the file it comes from (the header is row 1). */
  row: number;
  name: string;
  /** E.164 (`+39…`). */
  phone: string;
  email: string | null;
  fiscalCode: string | null;
  /** The other columns, by their header, blank values left out. */
  extra: Record<string, string>;
}

/** One reason a row was left out. A row with several problems appears once per problem. */
export interface RejectedRow {
  row: number;
  /** The column's header as written in the file; null when the row as a whole is wrong. */
  column: string | null;
  reason: string;
}

export interface ContactListReport {
  /** Rows of contacts read under the header, blank rows not counted. */
  rowsRead: number;
  accepted: number;
  /** How many rows were left out (each may have several entries in `rejected`). */
  rejectedRows: number;
  rejected: RejectedRow[];
  /** Why the file cannot be used at all; empty when it can. */
  fileProblems: string[];
}

export interface ContactList {
  contacts: ListedContact[];
  report: ContactListReport;
  /** Some contacts are usable and the file as a whole is. */
  usable: boolean;
}

/** More than this is not one campaign: 200 packages of 100. */
export const MAX_CONTACTS = 20_000;
const MAX_NAME = 200;
const MAX_VALUE = 500;

type Field = 'name' | 'surname' | 'phone' | 'email' | 'fiscalCode';

/** Headers, normalised (lower case, no accents, words separated by one space). */
const HEADERS: Record<Field, readonly string[]> = {
  name: ['nome', 'nominativo', 'nome e cognome', 'nome cognome', 'cognome e nome', 'name', 'full name', 'contatto'],
  surname: ['cognome', 'surname', 'last name', 'family name'],
  phone: [
    'telefono',
    'tel',
    'cellulare',
    'numero',
    'numero di telefono',
    'recapito',
    'recapito telefonico',
    'phone',
    'mobile',
  ],
  email: ['email', 'e mail', 'mail', 'posta elettronica', 'indirizzo email', 'pec'],
  fiscalCode: ['codice fiscale', 'cf', 'cod fiscale', 'codicefiscale', 'fiscal code'],
};

const normaliseHeader = (h: string) =>
  h
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The separator of the header line: the one of `;`, `,`, tab it holds most of, outside quotes. */
function separatorOf(text: string): string {
  const line =
    text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .find((l) => l.trim() !== '') ?? '';
  const counts = new Map<string, number>([
    [';', 0],
    [',', 0],
    ['\t', 0],
  ]);
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  let most = 0;
  for (const [sep, n] of counts) {
    if (n > most) [best, most] = [sep, n];
  }
  return best;
}

/** A phone number any Italian line can be called on, as E.164; or why not. */
export function normaliseItalianPhone(value: string): { e164: string } | { problem: string } {
  const parsed = parsePhoneNumberFromString(value.trim(), 'IT');
  if (!parsed?.isValid()) return { problem: 'Il numero di telefono non è valido.' };
  if (parsed.country !== 'IT') return { problem: 'Il numero di telefono non è italiano.' };
  return { e164: parsed.number };
}

/** A record as csv-parse gives it with `info`: `records` counts it, so it is its row (header = 1). */
interface ParsedRecord {
  record: string[];
  info: { records: number };
}

function unusable(fileProblems: string[], rowsRead = 0, rejected: RejectedRow[] = []): ContactList {
  const rejectedRows = new Set(rejected.map((r) => r.row)).size;
  return { contacts: [], usable: false, report: { rowsRead, accepted: 0, rejectedRows, rejected, fileProblems } };
}

/** Reads and checks a list of contacts (see the module's comment). Never throws on bad input. */
export function readContactList(text: string): ContactList {
  if (text.replace(/^\uFEFF/, '').trim() === '') return unusable(['Il file è vuoto.']);
  let records: ParsedRecord[];
  try {
    // With `info`, each record comes with its position (the types do not say so).
    records = parse(text, {
      delimiter: separatorOf(text),
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
    }) as unknown as ParsedRecord[];
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const row = (err as CsvError & { records?: number }).records ?? 0;
    const why =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'un valore apre le virgolette e non le chiude'
        : 'il testo non ha la forma di un CSV';
    return unusable([`Il file non si può leggere dalla riga ${row + 1}: ${why}. Salvarlo di nuovo come CSV.`]);
  }
  const blank = (r: string[]) => r.every((v) => v.trim() === '');
  const headerAt = records.findIndex((r) => !blank(r.record));
  const headerRecord = records[headerAt];
  if (!headerRecord) return unusable(['Il file è vuoto.']);
  const headers = headerRecord.record.map((h, i) => h.trim() || `Colonna ${i + 1}`);

  // Which column holds which field.
  const columnOf: Partial<Record<Field, number>> = {};
  const fileProblems: string[] = [];
  headers.forEach((h, i) => {
    const n = normaliseHeader(h);
    const field = (Object.keys(HEADERS) as Field[]).find((f) => HEADERS[f].includes(n));
    if (!field) return;
    if (columnOf[field] !== undefined) {
      fileProblems.push(
        `Le colonne «${headers[columnOf[field]] ?? ''}» e «${h}» indicano lo stesso dato: tenerne una.`,
      );
    } else columnOf[field] = i;
  });
  if (columnOf.name === undefined) {
    fileProblems.push('Manca la colonna del nome: intestarla «nome» (o «nominativo»; «cognome» può stare a parte).');
  }
  if (columnOf.phone === undefined) fileProblems.push('Manca la colonna del telefono: intestarla «telefono».');
  const rows = records.slice(headerAt + 1).filter((r) => !blank(r.record));
  if (fileProblems.length === 0 && rows.length === 0) {
    fileProblems.push("Il file non contiene contatti sotto l'intestazione.");
  }
  if (rows.length > MAX_CONTACTS) {
    fileProblems.push(
      `Il file ha ${rows.length} contatti, più dei ${MAX_CONTACTS} di una campagna: dividerlo in più campagne.`,
    );
  }
  if (fileProblems.length > 0) return unusable(fileProblems, rows.length);

  const known = new Set(Object.values(columnOf));
  const contacts: ListedContact[] = [];
  const rejected: RejectedRow[] = [];
  const seenPhones = new Map<string, number>();
  for (const { record, info } of rows) {
    const row = info.records;
    const problems: RejectedRow[] = [];
    const problem = (column: number | null, reason: string) =>
      problems.push({ row, column: column === null ? null : (headers[column] ?? null), reason });
    const cell = (i: number | undefined) => (i === undefined ? '' : (record[i] ?? '').trim());

    if (record.length > headers.length && record.slice(headers.length).some((v) => v.trim() !== '')) {
      problem(null, `La riga ha ${record.length} valori, l'intestazione ne prevede ${headers.length}.`);
    }
    if (record.some((v) => v.includes('\uFFFD'))) {
      problem(null, 'La riga contiene caratteri non leggibili: salvare il file come «CSV UTF-8».');
    }
    const name = [cell(columnOf.name), cell(columnOf.surname)].filter(Boolean).join(' ');
    if (name === '') problem(columnOf.name ?? null, 'Il nome è obbligatorio.');
    else if (name.length > MAX_NAME) problem(columnOf.name ?? null, `Il nome supera i ${MAX_NAME} caratteri.`);

    let phone: string | undefined;
    const rawPhone = cell(columnOf.phone);
    if (rawPhone === '') problem(columnOf.phone ?? null, 'Il numero di telefono è obbligatorio.');
    else {
      const n = normaliseItalianPhone(rawPhone);
      if ('problem' in n) problem(columnOf.phone ?? null, n.problem);
      else if (seenPhones.has(n.e164)) {
        problem(
          columnOf.phone ?? null,
          `Lo stesso numero è già alla riga ${seenPhones.get(n.e164)}: ogni contatto è chiamato una volta.`,
        );
      } else phone = n.e164;
    }

    const email = cell(columnOf.email);
    if (email !== '' && !EMAIL.test(email)) problem(columnOf.email ?? null, "L'indirizzo email non è valido.");
    const fiscalCode = cell(columnOf.fiscalCode).toUpperCase();
    const fiscalProblem = fiscalCode === '' ? undefined : checkFiscalCode(fiscalCode);
    if (fiscalProblem) problem(columnOf.fiscalCode ?? null, fiscalProblem);

    const extra: Record<string, string> = {};
    headers.forEach((h, i) => {
      if (known.has(i)) return;
      const v = cell(i);
      if (v === '') return;
      if (v.length > MAX_VALUE) problem(i, `Il valore supera i ${MAX_VALUE} caratteri.`);
      else extra[h] = v;
    });

    if (problems.length > 0 || phone === undefined) {
      rejected.push(...problems);
      continue;
    }
    seenPhones.set(phone, row);
    contacts.push({
      row,
      name,
      phone,
      email: email === '' ? null : email,
      fiscalCode: fiscalCode === '' ? null : fiscalCode,
      extra,
    });
  }
  const report: ContactListReport = {
    rowsRead: rows.length,
    accepted: contacts.length,
    rejectedRows: new Set(rejected.map((r) => r.row)).size,
    rejected,
    fileProblems: [],
  };
  if (contacts.length === 0) {
    report.fileProblems.push('Nessuna riga è utilizzabile: correggere le righe indicate e caricare di nuovo il file.');
    return { contacts, report, usable: false };
  }
  return { contacts, report, usable: true };
}
