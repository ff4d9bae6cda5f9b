import { describe, expect, it } from 'vitest';
import { MAX_CONTACTS, readContactList } from '../../domain/campaigns/contact-list.js';
import { serviceHoursBetween } from '../../domain/campaigns/service-hours.js';
import { packageReport } from '../../domain/campaigns/campaigns.js';
import {
  CAMPAIGN_KINDS,
  CLEANUP_OUTCOME_CODES,
  OUTCOME_CATALOGUES,
  cleanupOutcomeOf,
  outcomeOf,
} from '../../domain/campaigns/outcomes.js';

/** A valid fiscal code (check character included). */
const FISCAL_CODE = 'RSSMRA80A01H501U';

describe('a list of contacts for an outbound campaign', () => {
  it('reads a spreadsheet export with ; and quotes, keeping the other columns and the rows as the spreadsheet numbers them', () => {
    const csv = [
      '\uFEFFNome;Cognome;Telefono;E-mail;Codice fiscale;Comune;Note',
      `Mario;Rossi;333 123 4567;mario.rossi@example.it;${FISCAL_CODE.toLowerCase()};Potenza;`,
      '',
      '"Anna Maria";"D\'Amico";0971 471373;;;Matera;"Chiamare dopo le 10; ufficio"',
      '"Luca";"Bianchi";+39 347 765 4321;;;"Lauria";"due',
      'righe"',
    ].join('\r\n');
    const list = readContactList(csv);
    expect(list.usable).toBe(true);
    expect(list.report).toEqual({ rowsRead: 3, accepted: 3, rejectedRows: 0, rejected: [], fileProblems: [] });
    expect(list.contacts).toEqual([
      {
        row: 2,
        name: 'Mario Rossi',
        phone: '+393331234567',
        email: 'mario.rossi@example.it',
        fiscalCode: FISCAL_CODE,
        extra: { Comune: 'Potenza' },
      },
      {
        row: 4,
        name: "Anna Maria D'Amico",
        phone: '+390971471373',
        email: null,
        fiscalCode: null,
        extra: { Comune: 'Matera', Note: 'Chiamare dopo le 10; ufficio' },
      },
      {
        row: 5,
        name: 'Luca Bianchi',
        phone: '+393477654321',
        email: null,
        fiscalCode: null,
        extra: { Comune: 'Lauria', Note: 'due\r\nrighe' },
      },
    ]);
  });

  it('leaves out each bad row with its row, column and reason in Italian, and uses the others', () => {
    const csv = [
      'nominativo,telefono,email,cf',
      'Mario Rossi,3331234567,,',
      ',3331234568,,', // no name
      'Giulia Verdi,12345,,', // not a number
      'John Smith,+44 20 7946 0958,,', // not Italian
      'Anna Neri,3331234567,,', // same number as row 2
      'Paolo Gialli,3331234569,paolo@,', // email
      'Sara Blu,3331234570,,RSSMRA80A01H501X', // check character
      'Piero Viola,3331234571,,,in più', // one value too many
      'Elena Rosa,3331234572,elena@example.it,',
    ].join('\n');
    const list = readContactList(csv);
    expect(list.usable).toBe(true);
    expect(list.contacts.map((c) => c.row)).toEqual([2, 10]);
    expect(list.report.rowsRead).toBe(9);
    expect(list.report.accepted).toBe(2);
    expect(list.report.rejectedRows).toBe(7);
    expect(list.report.rejected).toEqual([
      { row: 3, column: 'nominativo', reason: 'Il nome è obbligatorio.' },
      { row: 4, column: 'telefono', reason: 'Il numero di telefono non è valido.' },
      { row: 5, column: 'telefono', reason: 'Il numero di telefono non è italiano.' },
      {
        row: 6,
        column: 'telefono',
        reason: 'Lo stesso numero è già alla riga 2: ogni contatto è chiamato una volta.',
      },
      { row: 7, column: 'email', reason: "L'indirizzo email non è valido." },
      {
        row: 8,
        column: 'cf',
        reason: 'Il carattere di controllo del codice fiscale non corrisponde: verificare le lettere e le cifre.',
      },
      { row: 9, column: null, reason: "La riga ha 5 valori, l'intestazione ne prevede 4." },
    ]);
  });

  it('reports every problem of a row, and a row mangled by the wrong encoding', () => {
    const list = readContactList('nome;telefono;email\n;abc;x@\nNiccol\uFFFD Rossi;3331234567;\n');
    expect(list.usable).toBe(false);
    expect(list.report.rejected).toEqual([
      { row: 2, column: 'nome', reason: 'Il nome è obbligatorio.' },
      { row: 2, column: 'telefono', reason: 'Il numero di telefono non è valido.' },
      { row: 2, column: 'email', reason: "L'indirizzo email non è valido." },
      { row: 3, column: null, reason: 'La riga contiene caratteri non leggibili: salvare il file come «CSV UTF-8».' },
    ]);
    expect(list.report.rejectedRows).toBe(2);
    expect(list.report.fileProblems).toEqual([
      'Nessuna riga è utilizzabile: correggere le righe indicate e caricare di nuovo il file.',
    ]);
  });

  it('refuses a file it cannot use at all, saying why, with no contacts', () => {
    const cases: [string, string][] = [
      ['', 'Il file è vuoto.'],
      ['\uFEFF \r\n ', 'Il file è vuoto.'],
      ['nome;email\nMario;m@example.it', 'Manca la colonna del telefono: intestarla «telefono».'],
      [
        'telefono\n3331234567',
        'Manca la colonna del nome: intestarla «nome» (o «nominativo»; «cognome» può stare a parte).',
      ],
      ['nome;telefono\n', "Il file non contiene contatti sotto l'intestazione."],
      [
        'nome;telefono;cellulare\nMario;333;334',
        'Le colonne «telefono» e «cellulare» indicano lo stesso dato: tenerne una.',
      ],
      [
        'nome;telefono\nMario;3331234567\n"Anna;3331234568\n',
        'Il file non si può leggere dalla riga 3: un valore apre le virgolette e non le chiude. Salvarlo di nuovo come CSV.',
      ],
    ];
    for (const [csv, problem] of cases) {
      const list = readContactList(csv);
      expect(list.usable, JSON.stringify(csv)).toBe(false);
      expect(list.contacts).toEqual([]);
      expect(list.report.fileProblems, JSON.stringify(csv)).toEqual([problem]);
    }
    const tooMany = ['nome,telefono', ...Array.from({ length: MAX_CONTACTS + 1 }, (_, i) => `N${i},333${i}`)];
    expect(readContactList(tooMany.join('\n')).report.fileProblems[0]).toMatch(/dividerlo in più campagne/);
  });
});

describe("the contact center's service hours (§2.2: Mon–Fri 8–20, Sat 8–14, Europe/Rome)", () => {
  const rome = (s: string) => new Date(s);

  it('counts the hours the service is open, and nothing at night, on Saturday afternoon or on Sunday', () => {
    // Wednesday 2027-03-10, 09:30 → 11:00 (CET, UTC+1).
    expect(serviceHoursBetween(rome('2027-03-10T09:30:00+01:00'), rome('2027-03-10T11:00:00+01:00'))).toBe(1.5);
    // A whole weekday is 12 hours; the night adds nothing.
    expect(serviceHoursBetween(rome('2027-03-10T00:00:00+01:00'), rome('2027-03-11T00:00:00+01:00'))).toBe(12);
    // Friday 19:00 → Saturday 09:00: one hour on Friday, one on Saturday.
    expect(serviceHoursBetween(rome('2027-03-12T19:00:00+01:00'), rome('2027-03-13T09:00:00+01:00'))).toBe(2);
    // Saturday 13:00 → Monday 09:00: one hour on Saturday, none on Sunday, one on Monday.
    expect(serviceHoursBetween(rome('2027-03-13T13:00:00+01:00'), rome('2027-03-15T09:00:00+01:00'))).toBe(2);
    // A week: 5 × 12 + 6.
    expect(serviceHoursBetween(rome('2027-03-15T00:00:00+01:00'), rome('2027-03-22T00:00:00+01:00'))).toBe(66);
    expect(serviceHoursBetween(rome('2027-03-10T11:00:00+01:00'), rome('2027-03-10T09:00:00+01:00'))).toBe(0);
  });

  it('is closed on national holidays, and follows Rome across the change to summer time', () => {
    // Tuesday 2027-06-01 (CEST) 19:00 → Thursday 2027-06-03 09:00: 2 June is Festa della Repubblica.
    expect(serviceHoursBetween(rome('2027-06-01T19:00:00+02:00'), rome('2027-06-03T09:00:00+02:00'))).toBe(2);
    // Easter Monday 2027-03-29 is closed too.
    expect(serviceHoursBetween(rome('2027-03-29T00:00:00+02:00'), rome('2027-03-30T00:00:00+02:00'))).toBe(0);
    // Friday 2027-03-26 08:00 CET → Monday 2027-03-29 is a holiday → Tuesday 08:00 CEST: 12 + 6.
    expect(serviceHoursBetween(rome('2027-03-26T08:00:00+01:00'), rome('2027-03-30T08:00:00+02:00'))).toBe(18);
  });

  it('makes 24 service hours two working days, so 100 contacts may run from Monday 8:00 to Tuesday 20:00', () => {
    expect(serviceHoursBetween(rome('2027-03-15T08:00:00+01:00'), rome('2027-03-16T20:00:00+01:00'))).toBe(24);
  });
});

describe('a package against the outbound SLAs (§6.2)', () => {
  const monday8 = new Date('2027-03-15T08:00:00+01:00');
  const base = { packageNo: 1, contacts: 100, startedAt: monday8 };

  it('is effective with at least half positive outcomes, and efficient with all contacts done within 24 service hours', () => {
    const done = packageReport({
      ...base,
      done: 100,
      positive: 50,
      lastDoneAt: new Date('2027-03-16T19:00:00+01:00'),
      now: new Date('2027-03-20T10:00:00+01:00'),
    });
    expect(done).toMatchObject({
      done: 100,
      positiveShare: 0.5,
      efficacious: true,
      completedAt: '2027-03-16T18:00:00.000Z',
      serviceHours: 23,
      efficient: true,
      hoursOverLimit: 0,
    });
  });

  it('is not effective under half, late past the 24 hours with the hours begun beyond them, and undecided while open', () => {
    const late = packageReport({
      ...base,
      done: 100,
      positive: 49,
      lastDoneAt: new Date('2027-03-17T09:30:00+01:00'),
      now: new Date('2027-03-20T10:00:00+01:00'),
    });
    expect(late).toMatchObject({ positiveShare: 0.49, efficacious: false, serviceHours: 25.5, efficient: false });
    expect(late.hoursOverLimit).toBe(2);
    const open = packageReport({
      ...base,
      done: 40,
      positive: 30,
      lastDoneAt: null,
      now: new Date('2027-03-15T12:00:00+01:00'),
    });
    expect(open).toMatchObject({
      completedAt: null,
      efficient: null,
      serviceHours: 4,
      efficacious: true,
      positiveShare: 0.75,
    });
    const openLate = packageReport({
      ...base,
      done: 40,
      positive: 30,
      lastDoneAt: null,
      now: new Date('2027-03-17T10:00:00+01:00'),
    });
    expect(openLate).toMatchObject({ efficient: false, hoursOverLimit: 2 });
    const untouched = packageReport({ ...base, done: 0, positive: 0, lastDoneAt: null, now: monday8 });
    expect(untouched).toMatchObject({ positiveShare: null, efficacious: null, efficient: null });
    // A cleanup recorded before packages had a start: efficacy only.
    const unknownStart = packageReport({
      ...base,
      startedAt: null,
      done: 100,
      positive: 80,
      lastDoneAt: monday8,
      now: monday8,
    });
    expect(unknownStart).toMatchObject({ efficacious: true, serviceHours: null, efficient: null });
  });
});

describe('the outcome catalogues', () => {
  it('give every kind positive and negative codes, each once, with an Italian label', () => {
    for (const kind of CAMPAIGN_KINDS) {
      const codes = OUTCOME_CATALOGUES[kind];
      expect(new Set(codes.map((c) => c.code)).size, kind).toBe(codes.length);
      expect(codes.some((c) => c.positive) && codes.some((c) => !c.positive), kind).toBe(true);
      for (const c of codes) expect(c.label.length, `${kind} ${c.code}`).toBeGreaterThan(3);
    }
  });

  it("map the cleanup's confirmed, cancelled and no-answer into its catalogue and back", () => {
    expect(outcomeOf('agenda-cleanup', CLEANUP_OUTCOME_CODES.confirmed)?.positive).toBe(true);
    expect(outcomeOf('agenda-cleanup', CLEANUP_OUTCOME_CODES.cancelled)?.positive).toBe(true);
    expect(outcomeOf('agenda-cleanup', CLEANUP_OUTCOME_CODES['no-answer'])?.positive).toBe(false);
    for (const [answer, code] of Object.entries(CLEANUP_OUTCOME_CODES)) expect(cleanupOutcomeOf(code)).toBe(answer);
    expect(outcomeOf('information', 'PRESENZA-CONFERMATA')).toBeUndefined();
  });
});
