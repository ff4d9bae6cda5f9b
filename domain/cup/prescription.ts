/**
 * The electronic prescription number (NRE): 15 characters, the region's code (Basilicata
 * 170), two alphanumerics and ten digits.
 */
export const NRE_PATTERN = /^170[A-Z0-9]{2}\d{10}$/;

/** Returns an Italian message for the operator when the NRE is malformed, else undefined. */
export function checkNre(nre: string): string | undefined {
  const v = nre.trim().toUpperCase();
  if (v.length !== 15) return `Il numero di ricetta (NRE) deve avere 15 caratteri, ne ha ${v.length}.`;
  if (!v.startsWith('170'))
    return 'Il numero di ricetta (NRE) deve iniziare con 170, il codice della Regione Basilicata.';
  if (!NRE_PATTERN.test(v))
    return 'Il numero di ricetta (NRE) deve avere, dopo 170, due lettere o cifre e dieci cifre.';
  return undefined;
}
