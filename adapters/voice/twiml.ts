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

  /** The caller joins `queue`; Twilio requests `waitUrl` for what to hear while waiting, `action` when they leave it. */
  enqueue(
    text: string,
    queue: string,
    opts: { waitUrl: string; action: string },
    v: VoiceSettings = DEFAULT_VOICE,
  ): string {
    const r = new VoiceResponse();
    if (text) r.say(sayAttributes(v), text);
    r.enqueue({ waitUrl: opts.waitUrl, waitUrlMethod: 'POST', action: opts.action, method: 'POST' }, queue);
    return r.toString();
  },

  /**
   * What a waiting caller hears (waitUrl): the announcement, optionally as a one-key choice
   * (`action` gets the key), then a pause; Twilio asks again when it is over.
   */
  waitAnnouncement(
    text: string,
    opts: { choiceAction?: string | undefined; pauseSeconds: number },
    v: VoiceSettings = DEFAULT_VOICE,
  ): string {
    const r = new VoiceResponse();
    if (opts.choiceAction) {
      const g = r.gather({ input: ['dtmf'], numDigits: 1, timeout: 5, action: opts.choiceAction, method: 'POST' });
      g.say(sayAttributes(v), text);
    } else if (text) {
      r.say(sayAttributes(v), text);
    }
    r.pause({ length: opts.pauseSeconds });
    return r.toString();
  },

  /** Says `text` and leaves the queue (the caller asked to be called back). */
  sayAndLeave(text: string, v: VoiceSettings = DEFAULT_VOICE): string {
    const r = new VoiceResponse();
    r.say(sayAttributes(v), text);
    r.leave();
    return r.toString();
  },

  /** The operator's code on the caller's leg (V5), then the bridge to the operator's softphone. */
  connect(
    intro: string,
    code: string,
    client: string,
    opts: { action: string; callerId?: string | undefined },
    v: VoiceSettings = DEFAULT_VOICE,
  ): string {
    const r = new VoiceResponse();
    const say = r.say(sayAttributes(v), `${intro} `);
    say.sayAs({ 'interpret-as': 'digits' }, code);
    const dial = r.dial({ action: opts.action, method: 'POST', ...(opts.callerId ? { callerId: opts.callerId } : {}) });
    dial.client(client);
    return r.toString();
  },

  /** Nothing to say yet: a short pause, then Twilio asks `url` again. */
  hold(url: string, seconds = 1): string {
    const r = new VoiceResponse();
    r.pause({ length: seconds });
    r.redirect({ method: 'POST' }, url);
    return r.toString();
  },

  /** Ends the call, or (as an action's answer) says nothing more. */
  hangUp(): string {
    const r = new VoiceResponse();
    r.hangup();
    return r.toString();
  },

  /** An empty document: the caller goes on with what they were doing (waiting in the queue). */
  nothing(): string {
    return new VoiceResponse().toString();
  },
};
