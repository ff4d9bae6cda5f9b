import { XMLParser } from 'fast-xml-parser';

/**
 * The kinds of PEC message a provider sends (DM 2 November 2005, technical rules of the PEC,
 * the `tipo` attribute of `daticert.xml`): the certified message itself, and the receipts and
 * notices about a message we sent.
 */
export const PEC_TYPES = [
  'posta-certificata',
  'accettazione',
  'non-accettazione',
  'presa-in-carico',
  'avvenuta-consegna',
  'errore-consegna',
  'preavviso-errore-consegna',
  'rilevazione-virus',
] as const;
export type PecType = (typeof PEC_TYPES)[number];

/** What `daticert.xml` certifies about one PEC message: kept as evidence on its ticket. */
export interface Daticert {
  tipo: PecType;
  /** `nessuno` when all went well, else the provider's error class (`no-dest`, `virus`, …). */
  errore: string;
  mittente: string;
  destinatari: { address: string; tipo: 'certificato' | 'esterno' }[];
  risposte: string | undefined;
  oggetto: string;
  gestoreEmittente: string;
  /** The provider's time, as an ISO 8601 instant (the XML gives day, time and zone apart). */
  data: string;
  /** The PEC identifier the provider gave the message (its `X-Riferimento-Message-ID` on receipts). */
  identificativo: string;
  /** The original Message-ID, without the angle brackets. */
  msgid: string | undefined;
  /** For a delivery receipt: the mailbox it was delivered to. */
  consegna: string | undefined;
  /** The provider's own words on an error. */
  erroreEsteso: string | undefined;
}

/** `daticert.xml` is not what the PEC rules describe: the envelope is quarantined with this reason. */
export class DaticertError extends Error {
  override name = 'DaticertError';
}

const MAX_BYTES = 64 * 1024;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // The DTD is named, never fetched; no entity of the document is expanded beyond XML's own.
  processEntities: true,
  htmlEntities: false,
  trimValues: true,
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => name === 'destinatari',
});

type Node = string | { '#text'?: string; [k: string]: unknown };
const text = (n: unknown): string | undefined => {
  if (typeof n === 'string') return n.trim() || undefined;
  if (n && typeof n === 'object' && '#text' in n) return String(n['#text']).trim() || undefined;
  return undefined;
};
const attr = (n: unknown, name: string): string | undefined =>
  n && typeof n === 'object' ? ((n as Record<string, unknown>)[`@${name}`] as string | undefined) : undefined;

/** `01/12/2026`, `10:15:30`, `+0100` → `2026-12-01T10:15:30+01:00`. */
function instant(day: string | undefined, time: string | undefined, zone: string | undefined): string {
  const d = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(day ?? '');
  const t = /^(\d{2}):(\d{2}):(\d{2})$/.exec(time ?? '');
  const z = /^([+-])(\d{2})(\d{2})$/.exec(zone ?? '');
  if (!d || !t || !z)
    throw new DaticertError(`data non valida in daticert.xml (${day ?? '?'} ${time ?? '?'} ${zone ?? '?'})`);
  const iso = `${d[3]}-${d[2]}-${d[1]}T${t[1]}:${t[2]}:${t[3]}${z[1]}${z[2]}:${z[3]}`;
  if (Number.isNaN(Date.parse(iso))) throw new DaticertError(`data non valida in daticert.xml (${iso})`);
  return new Date(iso).toISOString();
}

/**
 * Reads a PEC envelope's `daticert.xml`. Refuses (`DaticertError`, in Italian) anything the
 * rules do not describe: an unknown `tipo`, a missing sender, identifier or date, more than
 * 64 KiB. Pure: no I/O.
 */
export function readDaticert(xml: string | Buffer): Daticert {
  const source = typeof xml === 'string' ? xml : xml.toString('utf8');
  if (Buffer.byteLength(source) > MAX_BYTES) throw new DaticertError('daticert.xml troppo grande');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(source) as Record<string, unknown>;
  } catch (err) {
    throw new DaticertError(`daticert.xml non leggibile: ${(err as Error).message}`);
  }
  const root = doc['postacert'] as Record<string, Node> | undefined;
  if (!root || typeof root !== 'object') throw new DaticertError('daticert.xml senza elemento postacert');
  const tipo = attr(root, 'tipo');
  if (!PEC_TYPES.includes(tipo as PecType))
    throw new DaticertError(`tipo di messaggio PEC sconosciuto: ${tipo ?? '?'}`);
  const head = (root['intestazione'] ?? {}) as Record<string, unknown>;
  const dati = (root['dati'] ?? {}) as Record<string, unknown>;
  const mittente = text(head['mittente']);
  const identificativo = text(dati['identificativo']);
  if (!mittente) throw new DaticertError('daticert.xml senza mittente');
  if (!identificativo) throw new DaticertError('daticert.xml senza identificativo');
  const data = dati['data'] as Record<string, unknown> | undefined;
  const destinatari = ((head['destinatari'] as unknown[] | undefined) ?? []).flatMap((d) => {
    const address = text(d);
    if (!address) return [];
    return [{ address, tipo: attr(d, 'tipo') === 'esterno' ? ('esterno' as const) : ('certificato' as const) }];
  });
  const msgid = text(dati['msgid'])?.replace(/^<|>$/g, '');
  return {
    tipo: tipo as PecType,
    errore: attr(root, 'errore') ?? 'nessuno',
    mittente,
    destinatari,
    risposte: text(head['risposte']),
    oggetto: text(head['oggetto']) ?? '',
    gestoreEmittente: text(dati['gestore-emittente']) ?? '',
    data: instant(text(data?.['giorno']), text(data?.['ora']), attr(data, 'zona')),
    identificativo,
    msgid,
    consegna: text(dati['consegna']),
    erroreEsteso: text(dati['errore-esteso']),
  };
}

/** A receipt or notice about a message we sent (never a new ticket), as opposed to the citizen's certified message. */
export const isReceipt = (d: Pick<Daticert, 'tipo'>): boolean => d.tipo !== 'posta-certificata';

/**
 * A notice that a message we sent was not (or may not be) delivered: refused by our provider,
 * not delivered, no delivery receipt within 12 hours, or stopped for a virus. The back office
 * must reach the requester another way.
 */
export const isDeliveryFailure = (d: Pick<Daticert, 'tipo'>): boolean =>
  d.tipo === 'non-accettazione' ||
  d.tipo === 'errore-consegna' ||
  d.tipo === 'preavviso-errore-consegna' ||
  d.tipo === 'rilevazione-virus';
