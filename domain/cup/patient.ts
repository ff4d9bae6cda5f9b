import cfPackage from 'codice-fiscale-js';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

// The package's CommonJS build exports `{ CodiceFiscale }` while its types declare a default class.
const CodiceFiscale = (cfPackage as unknown as { CodiceFiscale: { check(cf: string): boolean } }).CodiceFiscale;

/**
 * Checks an Italian fiscal code, omocodia included (letters replacing digits when two
 * people would share a code). Returns an Italian message for the operator, else undefined.
 */
export function checkFiscalCode(value: string): string | undefined {
  const v = value.trim().toUpperCase();
  if (v.length !== 16) return `Il codice fiscale deve avere 16 caratteri, ne ha ${v.length}.`;
  if (!/^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$/.test(v)) {
    return 'Il codice fiscale non ha la forma prevista (6 lettere, anno, mese, giorno, comune, carattere di controllo).';
  }
  if (!CodiceFiscale.check(v))
    return 'Il carattere di controllo del codice fiscale non corrisponde: verificare le lettere e le cifre.';
  return undefined;
}

/**
 * Normalises an Italian mobile number to E.164 (`+393…`). Returns the number, or an
 * Italian message when it is not a valid Italian mobile.
 */
export function normaliseItalianMobile(value: string): { e164: string } | { problem: string } {
  const parsed = parsePhoneNumberFromString(value.trim(), 'IT');
  if (!parsed?.isValid()) return { problem: 'Il numero di telefono non è valido.' };
  if (parsed.country !== 'IT' || parsed.getType() !== 'MOBILE') {
    return { problem: 'Per gli SMS serve un numero di cellulare italiano.' };
  }
  return { e164: parsed.number };
}
