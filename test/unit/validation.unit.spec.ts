import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { validateSubmission } from '../../domain/tasks/form-validation.js';
import { checkNre } from '../../domain/cup/prescription.js';
import { encodeSms } from '../../domain/sms/encoding.js';
import { checkFiscalCode, normaliseItalianMobile } from '../../domain/cup/patient.js';
import { beyondPriorityLimit, maxWaitHours } from '../../domain/cup/priority.js';
import { parseJavaVersion, jvmFlagsFor } from '../../platform/engine/java.js';
import { parseRejection } from '../../platform/engine/deployer.js';

const chooseSlot: unknown = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'processes', 'cup-choose-slot.form'), 'utf8'),
);
const context = {
  slotOptions: [
    { value: '10', label: 'a' },
    { value: '11', label: 'b' },
  ],
};

describe('form submissions are checked against the form-js schema', () => {
  it('accepts a value among the offered options', () => {
    expect(validateSubmission(chooseSlot, { slotId: '11', operatorNote: 'ok' }, context)).toEqual([]);
  });
  it('requires what the form requires, in Italian', () => {
    expect(validateSubmission(chooseSlot, {}, context)).toEqual([
      { field: 'slotId', message: '«Slot concordato con il paziente» è obbligatorio.' },
    ]);
  });
  it('refuses an option that was not offered, a too long text, and fields the form does not have', () => {
    const errors = validateSubmission(
      chooseSlot,
      { slotId: '99', operatorNote: 'x'.repeat(501), businessKey: 'X' },
      context,
    );
    expect(errors.map((e) => e.field).sort()).toEqual(['businessKey', 'operatorNote', 'slotId']);
  });
  it('checks numbers, patterns and checkboxes inside groups', () => {
    const schema = {
      components: [
        { type: 'number', key: 'age', label: 'Età', validate: { min: 0, max: 120 } },
        {
          type: 'group',
          path: 'contact',
          components: [{ type: 'textfield', key: 'cap', label: 'CAP', validate: { pattern: '\\d{5}' } }],
        },
        { type: 'checkbox', key: 'consent', label: 'Consenso' },
      ],
    };
    expect(
      validateSubmission(schema, { age: 130, contact: { cap: '852' }, consent: 'yes' }, {}).map((e) => e.field),
    ).toEqual(['age', 'contact.cap', 'consent']);
    expect(validateSubmission(schema, { age: 40, contact: { cap: '85100' }, consent: true }, {})).toEqual([]);
  });
});

describe('prescription numbers (NRE)', () => {
  it('accepts 170 + two alphanumerics + ten digits', () => {
    expect(checkNre('170A10123456789')).toBeUndefined();
  });
  it('explains what is wrong', () => {
    expect(checkNre('170A1012345678')).toMatch(/15 caratteri/);
    expect(checkNre('120A10123456789')).toMatch(/170/);
    expect(checkNre('170A1012345678X')).toMatch(/dieci cifre/);
  });
});

describe('SMS encoding', () => {
  it('keeps Italian texts in GSM-7 and counts segments', () => {
    const short = encodeSms('Prenotazione confermata: è il 12/12 alle 9:00.');
    expect(short).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(encodeSms('a'.repeat(161))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
  });
  it('normalises typographic quotes and capital È where it changes nothing for the reader', () => {
    expect(encodeSms('L’ospedale «San Carlo» È aperto…')).toMatchObject({
      text: 'L\'ospedale "San Carlo" E\' aperto...',
      encoding: 'GSM-7',
    });
  });
  it('falls back to UCS-2 for characters GSM-7 lacks', () => {
    expect(encodeSms('Ciao 😀')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(encodeSms('ł'.repeat(71))).toMatchObject({ encoding: 'UCS-2', segments: 2 });
  });
  it('normalises Italian mobile numbers to E.164 and refuses landlines and foreign numbers', () => {
    expect(normaliseItalianMobile('333 123 4567')).toEqual({ e164: '+393331234567' });
    expect(normaliseItalianMobile('+39 340 000 0001')).toEqual({ e164: '+393400000001' });
    expect(normaliseItalianMobile('0971 123456')).toEqual({
      problem: 'Per gli SMS serve un numero di cellulare italiano.',
    });
    expect(normaliseItalianMobile('+44 7700 900123')).toHaveProperty('problem');
    expect(normaliseItalianMobile('12')).toEqual({ problem: 'Il numero di telefono non è valido.' });
  });
});

describe('patients and priority classes', () => {
  it('checks fiscal codes, omocodia included', () => {
    expect(checkFiscalCode('RSSMRA80A01G942K')).toBeUndefined();
    expect(checkFiscalCode('rssmra80a01g942k')).toBeUndefined();
    expect(checkFiscalCode('RSSMRAU0A01G942H')).toBeUndefined();
    expect(checkFiscalCode('RSSMRA80A01G942X')).toMatch(/carattere di controllo/);
    expect(checkFiscalCode('RSSMRA80A01G94')).toMatch(/16 caratteri/);
    expect(checkFiscalCode('1234567890123456')).toMatch(/forma prevista/);
  });
  it('knows the maximum wait of each class, visits and exams apart for D', () => {
    expect(maxWaitHours('U', 'visit')).toBe(72);
    expect(maxWaitHours('B', 'exam')).toBe(240);
    expect(maxWaitHours('D', 'visit')).toBe(30 * 24);
    expect(maxWaitHours('D', 'exam')).toBe(60 * 24);
    expect(maxWaitHours('P', 'visit')).toBe(120 * 24);
    const now = new Date('2026-11-23T09:00:00Z');
    expect(beyondPriorityLimit('D', 'visit', now, new Date('2026-12-24T09:00:00Z'))).toBe(true);
    expect(beyondPriorityLimit('D', 'exam', now, new Date('2026-12-24T09:00:00Z'))).toBe(false);
  });
});

describe('engine bootstrap helpers', () => {
  it('reads Java versions old and new', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15')).toEqual({ major: 17, version: '17.0.15' });
    expect(parseJavaVersion('openjdk version "25.0.3" 2026-04-21 LTS')?.major).toBe(25);
    expect(parseJavaVersion('java version "1.8.0_412"')?.major).toBe(8);
    expect(parseJavaVersion('nonsense')).toBeUndefined();
  });
  it('adds the memory-access flags only on JDK 24+', () => {
    expect(jvmFlagsFor(21)).toEqual([]);
    expect(jvmFlagsFor(25)).toContain('--sun-misc-unsafe-memory-access=allow');
  });
  it("turns the engine's rejection into file, element and reason", () => {
    const message =
      "Command 'CREATE' rejected with code 'INVALID_ARGUMENT': Expected to deploy new resources, but encountered the following errors:\n" +
      "'x.bpmn': - Element: task-1\n    - ERROR: Must have exactly one 'zeebe:taskDefinition' extension element\n";
    expect(parseRejection('x.bpmn', message)).toEqual([
      { file: 'x.bpmn', element: 'task-1', reason: "Must have exactly one 'zeebe:taskDefinition' extension element" },
    ]);
    expect(parseRejection('y.bpmn', "Command 'CREATE' rejected with code 'INVALID_ARGUMENT': not XML")).toEqual([
      { file: 'y.bpmn', element: undefined, reason: 'not XML' },
    ]);
  });
});
