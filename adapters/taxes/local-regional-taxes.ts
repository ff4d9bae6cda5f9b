import type { RegionalTaxes, TaxPosition } from './regional-taxes.js';

/**
 * SITR on the embedded default: the positions of the demo people the local identity registry
 * knows (migration 1763900000020), fixed in code because nothing here writes them.
 */
const POSITIONS: TaxPosition[] = [
  {
    fiscalCode: 'RSSMRA80A01G942K',
    holder: 'Mario Rossi',
    vehicles: [
      { plate: 'FG123AB', kind: 'autovettura', year: 2024, status: 'pagato', amount: 212.4 },
      { plate: 'FG123AB', kind: 'autovettura', year: 2025, status: 'non pagato', amount: 212.4 },
    ],
    exemptions: [],
    amountsDue: [
      { tax: 'tassa automobilistica', year: 2025, amount: 212.4, dueDate: '2026-01-31', act: null },
      { tax: 'tassa automobilistica', year: 2023, amount: 251.8, dueDate: '2026-03-15', act: 'AVV-2026-004512' },
    ],
  },
  {
    fiscalCode: 'BNCGLI92L55F052T',
    holder: 'Giulia Bianchi',
    vehicles: [{ plate: 'GA456CD', kind: 'autovettura', year: 2025, status: 'esente', amount: 0 }],
    exemptions: [
      { kind: 'tassa automobilistica', from: '2024-01-01', to: null, reason: 'veicolo adattato (L. 104/1992)' },
    ],
    amountsDue: [],
  },
  {
    fiscalCode: 'LRSNTN75C20F104N',
    holder: 'Antonio Loreto',
    vehicles: [{ plate: 'EZ789EF', kind: 'motociclo', year: 2025, status: 'pagato', amount: 48 }],
    exemptions: [],
    amountsDue: [{ tax: 'addizionale regionale IRPEF', year: 2024, amount: 96.3, dueDate: '2026-06-30', act: null }],
  },
];

export class LocalRegionalTaxes implements RegionalTaxes {
  readonly provider = 'local' as const;

  position(fiscalCode: string): Promise<TaxPosition | undefined> {
    const code = fiscalCode.trim().toUpperCase();
    return Promise.resolve(POSITIONS.find((p) => p.fiscalCode === code));
  }
}
