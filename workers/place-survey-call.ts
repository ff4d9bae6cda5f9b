import { z } from 'zod';
import { VoiceProviderError } from '../adapters/voice/twilio-voice.js';
import { VOICE_STATUS_WEBHOOK, VOICE_WEBHOOKS } from '../domain/voice/ivr.js';
import { Surveys } from '../domain/voice/surveys.js';
import { EffectInProgressError, PermanentError, TransientError } from './framework/errors.js';
import { defineWorker } from './framework/define.js';

/** Twilio's answer to a call create comes within its 10 s timeout; after that an attempt is in doubt. */
const IN_DOUBT_MS = 15_000;

/**
 * Calls the surveyed citizen back from the line's number (Twilio's Calls API), at the account's
 * pace (VOICE_CALLS_PER_SECOND across every worker). Exactly once: the placing is claimed in
 * the survey's row before the call, and recorded after; an attempt that died in between (in
 * doubt) asks Twilio for a call to that number since it began before placing another.
 */
export const placeSurveyCall = defineWorker({
  taskType: 'place-survey-call',
  permission: 'voice:supervise',
  description: 'Chiama il cittadino estratto per il sondaggio di soddisfazione, dal numero della linea.',
  variables: z.object({ surveyId: z.string().regex(/^SURVEY-CA[0-9a-f]{32}$/) }),
  headers: z.object({ callsPerSecond: z.coerce.number().min(0.1).max(100).default(1) }),
  async handler({ variables, headers, deps }) {
    const surveys = new Surveys(deps.db);
    const survey = await surveys.get(variables.surveyId);
    if (!survey?.toNumber)
      throw new PermanentError(`Sondaggio ${variables.surveyId} senza numero da chiamare (dati cancellati?).`);
    if (survey.surveyCallSid) return { surveyCallSid: survey.surveyCallSid };
    const base = deps.publicBaseUrl().replace(/\/$/, '');
    if (!base) throw new TransientError("l'indirizzo pubblico dei webhook non è ancora noto");
    const now = deps.now();
    const claim = await surveys.claimPlacing(survey.id, now, IN_DOUBT_MS);
    if (claim === 'placed') return { surveyCallSid: (await surveys.get(survey.id))?.surveyCallSid ?? null };
    if (claim === 'busy') throw new EffectInProgressError('la chiamata del sondaggio è in corso di avvio', 2000);
    if (claim === 'in-doubt') {
      const found = await deps.voice
        .findCall({ to: survey.toNumber, from: survey.fromNumber, since: survey.placingSince ?? now })
        .catch((err: unknown) => {
          throw new TransientError((err as Error).message);
        });
      if (found) {
        await surveys.placed(survey.id, found);
        return { surveyCallSid: found };
      }
      await surveys.reclaim(survey.id, now);
    }
    const slot = await surveys.pace(headers.callsPerSecond, now);
    const wait = slot.getTime() - now.getTime();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, 10_000)));
    let sid: string;
    try {
      sid = await deps.voice.call({
        to: survey.toNumber,
        from: survey.fromNumber,
        url: `${base}${VOICE_WEBHOOKS}/survey?survey=${survey.id}`,
        statusCallback: `${base}${VOICE_STATUS_WEBHOOK}?survey=${survey.id}`,
      });
    } catch (err) {
      // Refused by Twilio (an invalid number): nothing was placed, the attempt may start over later.
      if (err instanceof VoiceProviderError) throw new TransientError(err.message);
      throw err;
    }
    await surveys.placed(survey.id, sid);
    return { surveyCallSid: sid };
  },
});
