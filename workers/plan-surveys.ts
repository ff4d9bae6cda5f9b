import { z } from 'zod';
import { dayInRome } from '../domain/time.js';
import { DEFAULT_SURVEY_OPTIONS, Surveys } from '../domain/voice/surveys.js';
import { defineWorker } from './framework/define.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Draws the day's satisfaction-survey sample (V6: 10 % of the calls handled, seeded by the day
 * so the draw can be checked) and starts one `voice-survey` instance per surveyed contact,
 * each once (a second run of the day, or a retry after a crash, starts nothing more).
 */
export const planSurveys = defineWorker({
  taskType: 'plan-surveys',
  permission: 'voice:supervise',
  description:
    'Estrae il campione giornaliero (10 %) dei contatti gestiti per il sondaggio di soddisfazione e avvia una richiamata per ciascuno.',
  variables: z.object({ surveyDay: z.string().regex(DAY).nullish() }),
  headers: z.object({
    samplePercent: z.coerce.number().min(1).max(100).default(DEFAULT_SURVEY_OPTIONS.samplePercent),
    quietDays: z.coerce.number().int().min(0).max(365).default(DEFAULT_SURVEY_OPTIONS.quietDays),
  }),
  async handler({ variables, headers, deps, job }) {
    const day = variables.surveyDay ?? dayInRome(deps.now());
    const surveys = new Surveys(deps.db);
    const planned = await surveys.plan(day, { ...DEFAULT_SURVEY_OPTIONS, ...headers });
    for (const s of planned) {
      if (s.processInstanceId) continue;
      const started = await deps.starter.start({
        bpmnProcessId: 'voice-survey',
        businessKey: s.id,
        variables: { surveyId: s.id, line: s.line, surveyDay: day },
        startedBy: `process:${job.processInstanceKey}`,
        idempotencyKey: `voice-survey:${s.id}`,
      });
      await surveys.setInstance(s.id, started.processInstanceKey);
    }
    return { surveyDay: day, surveysPlanned: planned.length };
  },
});
