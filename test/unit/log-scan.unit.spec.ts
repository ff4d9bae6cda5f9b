import { describe, expect, it } from 'vitest';
import { scanText } from '../support/log-scan.js';

const line = (o: Record<string, unknown>) => JSON.stringify({ level: 'info', time: '2026-12-03T10:00:00.000Z', ...o });

describe('the test-log scanner', () => {
  it('finds a fiscal code, an NRE, a phone number and a person’s e-mail, masked', () => {
    const text = [
      line({ msg: 'paziente RSSMRA80A01H501U' }),
      line({ msg: 'ricetta 170A10123456789' }),
      line({ msg: 'chiamata da +39 347 1234567' }),
      line({ msg: 'mail from mario.rossi@example.it' }),
      line({ from: 'Mario Rossi <mario.rossi@example.it>' }),
      line({ msg: 'richiamare lo 0971 668111' }),
    ].join('\n');
    const found = scanText(text, 'x.ndjson');
    expect(found.map((f) => [f.line, f.kind])).toEqual([
      [1, 'fiscal code'],
      [2, 'NRE'],
      [3, 'phone number'],
      [4, 'e-mail address'],
      [5, 'e-mail address'],
      [6, 'phone number'],
    ]);
    // The report does not repeat the datum.
    for (const f of found) expect(text).not.toContain(f.sample);
  });

  it('leaves what only looks like one: a wrong check character, message ids, machine mailboxes, times and ids', () => {
    const text = [
      line({ msg: 'token RSSMRA80A01H501X' }),
      line({ messageId: '<a1b2c3@example.test>', msg: 'archived' }),
      line({ from: 'helpdesk@regione.basilicata.it', to: 'noreply@example.test' }),
      line({ ms: 3471234567, pid: 3331234567, msg: 'took' }),
      line({ callSid: 'CA0123456789abcdef0123456789abcdef', sid: 'CA9f3471234567e0ab' }),
      line({ id: '0b9c2a1e-8e2f-4c1d-a3471234567b', key: 'f3-3471234567-x', at: '2026-12-03T10:00:00.000Z' }),
      line({ messageId: '<mario.rossi.1234@example.test>', inReplyTo: '<x1@example.test>' }),
    ].join('\n');
    expect(scanText(text)).toEqual([]);
  });
});
