import twilio from 'twilio';

const { VoiceResponse } = twilio.twiml;
type Say = Parameters<InstanceType<typeof VoiceResponse>['say']>[0];

/** How the IVR speaks: an Italian voice of Twilio's text to speech (configurable per deployment). */
export interface VoiceSettings {
  /** E.g. `Polly.Bianca-Neural`, `Google.it-IT-Neural2-A`. */
  voice: string;
}

export const DEFAULT_VOICE: VoiceSettings = { voice: 'Polly.Bianca-Neural' };

const sayAttributes = (v: VoiceSettings) => ({ voice: v.voice, language: 'it-IT' }) as Say;

/**
 * The TwiML the IVR answers with, built with the `twilio` package's own VoiceResponse (the
 * wire format Twilio reads). Every text is Italian and comes from `templates/voice/`.
 */
export const twiml = {
  /** Says `text` and ends the call (closed line, retired number, dissuaded caller). */
  sayAndHangUp(text: string, v: VoiceSettings = DEFAULT_VOICE): string {
    const r = new VoiceResponse();
    r.say(sayAttributes(v), text);
    r.hangup();
    return r.toString();
  },

  /**
   * A menu: the caller answers with a key or in Italian speech; `action` gets `Digits` or
   * `SpeechResult`, also when nothing came (so the flow decides to repeat or to queue).
   */
  menu(
    text: string,
    opts: { action: string; hints?: string[]; numDigits?: number; timeoutSeconds?: number },
    v: VoiceSettings = DEFAULT_VOICE,
  ): string {
    const r = new VoiceResponse();
    const gather = r.gather({
      input: ['dtmf', 'speech'],
      language: 'it-IT',
      action: opts.action,
      method: 'POST',
      numDigits: opts.numDigits ?? 1,
      timeout: opts.timeoutSeconds ?? 5,
      speechTimeout: 'auto',
      speechModel: 'phone_call',
      actionOnEmptyResult: true,
      ...(opts.hints?.length ? { hints: opts.hints.join(', ') } : {}),
    });
    gather.say(sayAttributes(v), text);
    return r.toString();
  },

  /** A call beyond the line's channels: refused as busy before it is answered (nothing billed). */
  busy(): string {
    const r = new VoiceResponse();
    r.reject({ reason: 'busy' });
    return r.toString();
  },

  /** What the queued caller hears when an operator takes the call (V5): the operator's code, digit by digit. */
  operatorCode(intro: string, code: string, v: VoiceSettings = DEFAULT_VOICE): string {
    const r = new VoiceResponse();
    const say = r.say(sayAttributes(v), intro);
    say.sayAs({ 'interpret-as': 'digits' }, code);
    return r.toString();
  },
};
