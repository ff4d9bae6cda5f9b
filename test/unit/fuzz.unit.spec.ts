import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { readContactList, normaliseItalianPhone } from '../../domain/campaigns/contact-list.js';
import { checkFiscalCode, normaliseItalianMobile } from '../../domain/cup/patient.js';
import { checkNre } from '../../domain/cup/prescription.js';
import { inspectMail } from '../../domain/helpdesk/mail-inspection.js';
import { ImportRejected, parseContactsCsv } from '../../domain/kpi/contact-import.js';
import { IMPORT_REQUIRED_COLUMNS } from '../../domain/kpi/types.js';
import { validateSubmission } from '../../domain/tasks/form-validation.js';
import { normaliseNumber } from '../../domain/voice/lines.js';
import { ValidationError } from '../../domain/errors.js';

/**
 * Property-based fuzzing of every validator and parser at the platform's boundaries (issue 13):
 * whatever comes in, none crashes; each answers a value or a clear Italian message (a
 * `ValidationError` with its fields, for the files). Seeded, so a failure reproduces.
 */
const RUNS = { numRuns: 400, seed: 13 };
/** Strings that look like the field's input: its alphabet, separators, spaces, anything else. */
const near = (alphabet: string, maxLength = 24) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: fc.constantFrom(...alphabet.split('')), maxLength }),
    fc.string({ unit: 'binary', maxLength }),
  );
/** An Italian sentence for the operator: starts with a capital, ends with a full stop. */
const isMessage = (m: unknown) => typeof m === 'string' && /^[A-ZÈÀ\p{Lu}].*[.:]$/su.test(m);

describe('fuzzing the boundaries: no crash, a clear error', () => {
  it('NRE, fiscal code: undefined or an Italian message, never an exception', () => {
    fc.assert(
      fc.property(near('170ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -'), (s) => {
        const m = checkNre(s);
        expect(m === undefined || isMessage(m)).toBe(true);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(near('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789LMNPQRSTUV ', 20), (s) => {
        const m = checkFiscalCode(s);
        expect(m === undefined || isMessage(m)).toBe(true);
      }),
      RUNS,
    );
  });

  it('and the validators still tell right from wrong: valid NREs and codes pass, other lengths and check characters do not', () => {
    const alnum = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.split(''));
    const digit = fc.constantFrom(...'0123456789'.split(''));
    const nre = fc
      .tuple(
        fc.string({ unit: alnum, minLength: 2, maxLength: 2 }),
        fc.string({ unit: digit, minLength: 10, maxLength: 10 }),
      )
      .map(([a, b]) => `170${a}${b}`);
    fc.assert(
      fc.property(nre, (v) => {
        expect(checkNre(v)).toBeUndefined();
        expect(checkNre(` ${v.toLowerCase()} `)).toBeUndefined();
      }),
      RUNS,
    );
    fc.assert(
      fc.property(
        fc.string({ unit: alnum, maxLength: 30 }).filter((v) => v.length !== 15),
        (v) => {
          expect(checkNre(v)).toMatch(/15 caratteri/);
        },
      ),
      RUNS,
    );
    expect(checkFiscalCode('RSSMRA80A01H501U')).toBeUndefined();
    fc.assert(
      fc.property(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTVWXYZ'.split('')), (c) => {
        expect(checkFiscalCode(`RSSMRA80A01H501${c}`)).toMatch(/carattere di controllo/);
      }),
      RUNS,
    );
  });

  it('phone numbers: E.164 or a reason, for SMS, campaigns and voice lines', () => {
    fc.assert(
      fc.property(near('+0123456789 ()-./', 22), (s) => {
        for (const r of [normaliseItalianMobile(s), normaliseItalianPhone(s)]) {
          if ('e164' in r) expect(r.e164).toMatch(/^\+39\d{6,12}$/);
          else expect(isMessage(r.problem)).toBe(true);
        }
        expect(typeof normaliseNumber(s)).toBe('string');
      }),
      RUNS,
    );
  });

  it('the contact-record import: rows or a refusal naming each bad line, never another error', () => {
    const header = IMPORT_REQUIRED_COLUMNS.join(',');
    const cell = fc.oneof(
      fc.constantFrom('', 'cup', 'csb', 'voice', 'email', 'inbound', 'outbound', 'resolved', 'abandoned'),
      fc.constantFrom('2024-10-01T09:00:00+02:00', '2024-13-45T99:00', 'ieri', '"', '""', ',', '\n'),
      fc.string({ maxLength: 12 }),
    );
    const file = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .array(fc.array(cell, { minLength: 1, maxLength: IMPORT_REQUIRED_COLUMNS.length + 2 }), { maxLength: 6 })
        .map((rows) => [header, ...rows.map((r) => r.join(','))].join('\n')),
    );
    fc.assert(
      fc.property(file, (text) => {
        try {
          const rows = parseContactsCsv(text);
          expect(Array.isArray(rows)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ValidationError);
          if (err instanceof ImportRejected) {
            expect(err.rowErrors.length).toBeGreaterThan(0);
            for (const e of err.rowErrors) expect(e.line).toBeGreaterThanOrEqual(1);
          }
          expect(isMessage((err as Error).message)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('a campaign’s contact list: a report for any file, never an exception', () => {
    const line = fc
      .array(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('347 1234567', '+39 333 1234567', '"', ';')), {
        maxLength: 5,
      })
      .map((cells) => cells.join(';'));
    const file = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(line, { maxLength: 8 }).map((ls) => ['Nominativo;Telefono;Email', ...ls].join('\r\n')),
    );
    fc.assert(
      fc.property(file, (text) => {
        const list = readContactList(text);
        expect(list.report.accepted).toBe(list.contacts.length);
        if (!list.usable) expect(list.contacts).toEqual([]);
        for (const p of list.report.fileProblems) expect(isMessage(p)).toBe(true);
        for (const r of list.report.rejected) expect(isMessage(r.reason)).toBe(true);
      }),
      RUNS,
    );
  });

  it('mail intake: any bytes are read or quarantined with a reason, never thrown', async () => {
    const headerish = fc.constantFrom(
      'From: a@b.it\r\n',
      'Content-Type: multipart/mixed; boundary="x"\r\n',
      'Content-Transfer-Encoding: base64\r\n',
      '\r\n--x\r\n',
      '\r\n--x--\r\n',
      'Subject: =?utf-8?B?w6g=?=\r\n',
      '\r\n',
    );
    const raw = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
      fc
        .array(fc.oneof(headerish, fc.string({ maxLength: 40 })), { maxLength: 20 })
        .map((p) => Buffer.from(p.join(''))),
    );
    await fc.assert(
      fc.asyncProperty(raw, async (bytes) => {
        const mail = await inspectMail(bytes, { loopId: 'fuzz', maxAttachmentBytes: 1_000_000, pecExpected: false });
        expect(mail).toBeTypeOf('object');
        if (mail.quarantineReason !== undefined) expect(mail.quarantineReason.length).toBeGreaterThan(0);
      }),
      { ...RUNS, numRuns: 150 },
    );
  });

  it('form submissions: any values against every form of the repository give field errors, never an exception', () => {
    const forms = readdirSync(path.join(PROJECT_ROOT, 'processes'))
      .filter((f) => f.endsWith('.form'))
      .map((f) => JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'processes', f), 'utf8')) as unknown);
    expect(forms.length).toBeGreaterThan(10);
    const keys = forms.flatMap((f) => JSON.stringify(f).match(/"key":"[^"]+"/g) ?? []).map((k) => k.slice(7, -1));
    const submitted = fc.dictionary(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 8 })), fc.jsonValue(), {
      maxKeys: 8,
    });
    // A form with a required field refuses a submission without it, whatever else comes with it.
    const withRequired = forms.find((f) => /"required":\s*true/.test(JSON.stringify(f)));
    expect(withRequired).toBeDefined();
    expect(validateSubmission(withRequired, {}, {}).length).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.constantFrom(...forms), submitted, fc.dictionary(fc.string(), fc.jsonValue()), (form, s, ctx) => {
        const errors = validateSubmission(form, s, ctx);
        for (const e of errors) {
          expect(typeof e.field).toBe('string');
          expect(e.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });
});
