import type { KpiContact, SlaReport } from '../types.js';
import { definitionsLine, eur, TABLE_HEADER, tableRows, title, when } from './format.js';

/**
 * CSV for Italian spreadsheets: UTF-8 with a BOM, `;` as separator (the decimal comma is
 * taken), CRLF, fields quoted when they hold the separator, a quote or a line break.
 */
function csv(rows: string[][]): string {
  const q = (v: string) => (/[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `\uFEFF${rows.map((r) => r.map(q).join(';')).join('\r\n')}\r\n`;
}

export function slaReportCsv(report: SlaReport): string {
  const rows: string[][] = [
    [title(report)],
    [definitionsLine(report)],
    ...(report.stored ? [[`Report ${report.stored.id}, prodotto il ${when(report.stored.producedAt)}`]] : []),
    [],
    TABLE_HEADER,
    ...tableRows(report),
    [],
    ...report.otherPenalties.map((p) => [p.label, String(p.quantity), eur(p.penaltyEur)]),
    ['Totale penali', eur(report.penaltyTotalEur)],
  ];
  return csv(rows);
}

const CONTACT_COLUMNS: [keyof KpiContact, string][] = [
  ['contactId', 'Contatto'],
  ['source', 'Origine'],
  ['originalLine', 'Linea'],
  ['channel', 'Canale'],
  ['direction', 'Direzione'],
  ['requestType', 'Richiesta'],
  ['queue', 'Coda'],
  ['startedAt', 'Inizio'],
  ['offeredAt', 'In coda'],
  ['answeredAt', 'Risposta'],
  ['abandonedAt', 'Abbandono'],
  ['endedAt', 'Fine'],
  ['wrapUpEndedAt', 'Fine post-chiamata'],
  ['resolvedAt', 'Chiusura'],
  ['operator', 'Operatore'],
  ['outcome', 'Esito'],
  ['caller', 'Chiamante'],
];

export function contactsCsv(contacts: KpiContact[]): string {
  return csv([
    CONTACT_COLUMNS.map(([, h]) => h),
    ...contacts.map((c) => CONTACT_COLUMNS.map(([k]) => (c[k] === null ? '' : String(c[k])))),
  ]);
}
