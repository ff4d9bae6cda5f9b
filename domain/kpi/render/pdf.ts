import type { SlaReport } from '../types.js';
import { definitionsLine, eur, TABLE_HEADER, tableRows, title, when } from './format.js';

/** WinAnsi (the standard fonts' encoding): Latin-1 plus € and the typographic quotes. */
function winAnsi(s: string): Buffer {
  const map: Record<string, number> = {
    '€': 0x80,
    '…': 0x85,
    '’': 0x92,
    '‘': 0x91,
    '“': 0x93,
    '”': 0x94,
    '—': 0x97,
    '–': 0x96,
  };
  const bytes: number[] = [];
  for (const ch of s.replaceAll('≥', '>=').replaceAll('≤', '<=').replaceAll('′', "'").replaceAll('″', '"')) {
    const code = map[ch] ?? ch.charCodeAt(0);
    bytes.push(code < 256 ? code : 0x3f);
  }
  return Buffer.from(bytes);
}
const text = (s: string) =>
  Buffer.concat([
    Buffer.from('('),
    Buffer.from(
      winAnsi(s)
        .toString('latin1')
        .replace(/([\\()])/g, '\\$1'),
      'latin1',
    ),
    Buffer.from(') Tj'),
  ]);

/** Words in lines of at most `max` characters. */
function wrap(s: string, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line && line.length + 1 + word.length > max) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** A4 landscape, Helvetica: the SLA table in seed 003's column order, KO in red and in words. */
export function slaReportPdf(report: SlaReport): Promise<Buffer> {
  const W = 842;
  const H = 595;
  const cols = [150, 190, 50, 55, 55, 30, 45, 45, 45, 45, 60];
  const parts: Buffer[] = [];
  const at = (x: number, y: number, s: string, size: number, red = false) =>
    parts.push(
      Buffer.from(`BT ${red ? '0.8 0 0 rg' : '0 0 0 rg'} /F1 ${size} Tf ${x} ${y} Td `),
      text(s),
      Buffer.from(' ET\n'),
    );
  const clip = (s: string, width: number, size: number) => {
    const max = Math.floor(width / (size * 0.5));
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
  };
  at(40, H - 50, title(report), 14);
  // Helvetica 8 averages under 4.4 pt a character: 170 fit in the 762 pt of the line.
  const lines = wrap(definitionsLine(report), 170);
  lines.forEach((l, i) => at(40, H - 68 - i * 11, l, 8));
  let y = H - 95 - (lines.length - 1) * 11;
  let x = 40;
  TABLE_HEADER.forEach((h, i) => {
    at(x, y, clip(h, cols[i] ?? 50, 7), 7);
    x += cols[i] ?? 50;
  });
  for (const row of tableRows(report)) {
    y -= 28;
    x = 40;
    row.forEach((cell, i) => {
      at(x, y, clip(cell, cols[i] ?? 50, 7), 7, i === 5 && cell === 'KO');
      x += cols[i] ?? 50;
    });
  }
  y -= 34;
  for (const p of report.otherPenalties) {
    at(40, y, `${p.label}: ${p.quantity} — ${eur(p.penaltyEur)}`, 8);
    y -= 14;
  }
  at(40, y, `Totale penali: ${eur(report.penaltyTotalEur)}`, 9);
  at(40, 30, `Generato il ${when(report.computedAt)} — pagina 1 di 1`, 7);
  const content = Buffer.concat(parts);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${W} ${H}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets: number[] = [];
  let length = chunks[0]?.length ?? 0;
  const push = (b: Buffer) => {
    chunks.push(b);
    length += b.length;
  };
  objects.forEach((o, i) => {
    offsets.push(length);
    push(Buffer.from(`${i + 1} 0 obj\n${o}\nendobj\n`, 'latin1'));
  });
  offsets.push(length);
  push(
    Buffer.concat([
      Buffer.from(`5 0 obj\n<< /Length ${content.length} >>\nstream\n`),
      content,
      Buffer.from('\nendstream\nendobj\n'),
    ]),
  );
  const xref = length;
  push(
    Buffer.from(
      `xref\n0 6\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}` +
        `trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Promise.resolve(Buffer.concat(chunks));
}
