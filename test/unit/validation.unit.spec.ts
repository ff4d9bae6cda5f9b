import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { validateSubmission } from '../../domain/tasks/form-validation.js';
import { checkNre } from '../../domain/cup/prescription.js';
import { encodeSms } from '../../domain/sms/encoding.js';
import { checkFiscalCode, normaliseItalianMobile } from '../../domain/cup/patient.js';
import { beyondPriorityLimit, maxWaitHours } from '../../domain/cup/priority.js';
import { parseJavaVersion } from '../../platform/engine/java.js';
import { EngineError } from '../../platform/engine/operaton.js';
import { jdbcFromUrl } from '../../platform/engine/local-engine.js';
import { fromEngineVariables, toEngineVariables } from '../../platform/engine/variables.js';
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
  it('gives the engine the JDBC form of a PostgreSQL URL, credentials apart', () => {
    expect(jdbcFromUrl('postgres://cc:p%40ss@db.example:6543/contact_center?sslmode=require')).toEqual({
      url: 'jdbc:postgresql://db.example:6543/contact_center?sslmode=require',
      user: 'cc',
      password: 'p@ss',
    });
    expect(jdbcFromUrl('postgres://u:p@localhost/x').url).toBe('jdbc:postgresql://localhost:5432/x');
  });
  it("turns the engine's rejection into file, element and reason", () => {
    // The body Operaton answers a deployment with an invalid model (HTTP 400, ParseException).
    const rejected = new EngineError(400, 'ParseException', 'ENGINE-09005 Could not parse BPMN process.', {
      'x.bpmn': {
        errors: [
          {
            message:
              "One of the attributes 'class', 'delegateExpression', 'type', or 'expression' is mandatory on serviceTask. | x.bpmn | line 5 | column 40",
            line: 5,
            column: 40,
            mainElementId: 'task-1',
            elementIds: ['task-1'],
          },
        ],
        warnings: [],
      },
    });
    expect(parseRejection('x.bpmn', rejected)).toEqual([
      {
        file: 'x.bpmn',
        element: 'task-1',
        reason:
          "One of the attributes 'class', 'delegateExpression', 'type', or 'expression' is mandatory on serviceTask.",
      },
    ]);
    expect(parseRejection('y.bpmn', new EngineError(400, 'ParseException', 'not XML'))).toEqual([
      { file: 'y.bpmn', element: undefined, reason: 'not XML' },
    ]);
  });
  it('sends scalars as engine types and objects as JSON, and reads them back unchanged', () => {
    const values = {
      s: 'testo',
      b: true,
      i: 7,
      big: 2 ** 40,
      d: 1.5,
      n: null,
      list: [{ value: '1' }],
      obj: { a: [1] },
    };
    const wire = toEngineVariables(values);
    expect(wire['i']).toEqual({ type: 'Integer', value: 7 });
    expect(wire['big']?.type).toBe('Long');
    expect(wire['list']).toMatchObject({
      type: 'Object',
      valueInfo: { objectTypeName: 'java.util.ArrayList', serializationDataFormat: 'application/json' },
    });
    expect(wire['obj']?.valueInfo?.['objectTypeName']).toBe('java.util.LinkedHashMap');
    expect(fromEngineVariables(wire)).toEqual(values);
    // A text that merely looks like JSON stays a text.
    expect(fromEngineVariables(toEngineVariables({ note: '[1,2]' }))).toEqual({ note: '[1,2]' });
  });
});
