import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { twiml } from '../../adapters/voice/twiml.js';
import { Templates } from '../../domain/templates.js';

const parse = (xml: string) =>
  new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as {
    Response: Record<string, unknown>;
  };

/** A value for every field the voice templates use. */
const SAMPLE = {
  lineName: 'CUP Basilicata',
  greenNumber: '848 821 821',
  position: 3,
  waitText: '4 minuti',
  callbackOffered: true,
  question: 'Quanto è soddisfatto della cortesia dell’operatore?',
};

describe('what the IVR says (templates/voice) and the TwiML it answers with', () => {
  const templates = new Templates(path.resolve('templates'));

  it('has every prompt of the lines, the menus, the queue, the operator code and the survey, in Italian', () => {
    const names = templates.names('voice').sort();
    for (const needed of [
      'cup-menu',
      'csb-menu',
      'invalid-choice',
      'default-queue',
      'closed-hours',
      'closed-holiday',
      'closed-closure',
      'retired-number',
      'second-level-refused',
      'all-lines-busy',
      'queue-position',
      'callback-booked',
      'operator-code',
      'survey-intro',
      'survey-q1',
      'survey-q2',
      'survey-q3',
      'queue-enter',
      'number-not-in-service',
      'technical-problem',
      'survey-thanks',
    ]) {
      expect(names).toContain(needed);
    }
    for (const name of names) {
      const text = templates.render('voice', name, SAMPLE);
      expect(text.trim().length, name).toBeGreaterThan(10);
      // Spoken text: no markup for the caller to hear, no field left out.
      expect(text, name).not.toMatch(/[<>{}]/);
    }
    expect(templates.render('voice', 'queue-position', { ...SAMPLE, callbackOffered: false })).not.toContain('prema 1');
    expect(templates.render('voice', 'retired-number', SAMPLE)).toContain('848 821 821');
  });

  it('asks a menu by key or Italian speech, posting to the flow also when nothing was said', () => {
    const xml = twiml.menu(templates.render('voice', 'cup-menu', SAMPLE), {
      action: '/webhooks/twilio/voice/gather?step=menu',
      hints: ['prenotare', 'disdire', 'disponibilità', 'informazioni'],
    });
    const gather = parse(xml).Response['Gather'] as Record<string, unknown>;
    expect(gather).toMatchObject({
      '@input': 'dtmf speech',
      '@language': 'it-IT',
      '@action': '/webhooks/twilio/voice/gather?step=menu',
      '@method': 'POST',
      '@numDigits': '1',
      '@actionOnEmptyResult': 'true',
      '@hints': 'prenotare, disdire, disponibilità, informazioni',
    });
    expect(gather['Say']).toMatchObject({ '@voice': 'Polly.Bianca-Neural', '@language': 'it-IT' });
    expect(String((gather['Say'] as Record<string, unknown>)['#text'])).toContain('Per prenotare');
  });

  it('says a closed line’s message and hangs up; refuses a call beyond the channels as busy; reads the operator code digit by digit', () => {
    const closed = parse(
      twiml.sayAndHangUp(templates.render('voice', 'closed-hours', SAMPLE), { voice: 'Google.it-IT-Neural2-A' }),
    );
    expect(closed.Response['Say']).toMatchObject({ '@voice': 'Google.it-IT-Neural2-A', '@language': 'it-IT' });
    expect(closed.Response).toHaveProperty('Hangup');
    expect(parse(twiml.busy()).Response['Reject']).toMatchObject({ '@reason': 'busy' });
    const code = twiml.operatorCode(templates.render('voice', 'operator-code', SAMPLE), '427');
    expect(code).toContain('<say-as interpret-as="digits">427</say-as>');
    expect(code).toContain("Le risponde l'operatore con codice");
  });
});
