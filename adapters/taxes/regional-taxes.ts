/**
 * The Regione's tax information system (SITR): a taxpayer's position on the regional taxes the
 * help desk answers about (car tax, IRAP, the regional IRPEF surcharge), their exemptions and
 * what is due. Read only: the operator looks, the tributi offices decide. The region's SITR
 * cannot be reached from here; `LocalRegionalTaxes` is the embedded default's stand-in.
 */
export interface RegionalTaxes {
  readonly provider: 'local' | 'sitr';
  /** The position of a fiscal code (a person's or a company's VAT number); undefined when SITR knows none. */
  position(fiscalCode: string): Promise<TaxPosition | undefined>;
}

export interface TaxPosition {
  fiscalCode: string;
  holder: string;
  vehicles: { plate: string; kind: string; year: number; status: 'pagato' | 'non pagato' | 'esente'; amount: number }[];
  exemptions: { kind: string; from: string; to: string | null; reason: string }[];
  amountsDue: { tax: string; year: number; amount: number; dueDate: string; act: string | null }[];
}

/** SITR could not be asked: worth retrying, the operator is told so. */
export class RegionalTaxesUnavailableError extends Error {
  override name = 'RegionalTaxesUnavailableError';
}
