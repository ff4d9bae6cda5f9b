import { z } from 'zod';
import { DEFAULT_SURVEY_OPTIONS, scoresOf } from '../domain/voice/surveys.js';
import { defineWorker } from './framework/define.js';

/**
 * Stores the survey's scores per contact and operator (V6) and says whether one was
 * insufficient (at or below the threshold), which opens the back office's follow-up. One
 * UPDATE, applied once: a retry finds the survey completed and answers the same.
 */
export const recordSurveyResult = defineWorker({
  taskType: 'record-survey-result',
  permission: 'voice:supervise',
  description:
    'Registra i punteggi del sondaggio per contatto e operatore; un punteggio insufficiente apre la richiamata del back office.',
  variables: z.object({
    surveyId: z.string().min(1),
    surveyStatus: z.string().max(32).nullish(),
    score1: z.string().max(8).nullish(),
    score2: z.string().max(8).nullish(),
    score3: z.string().max(8).nullish(),
  }),
  headers: z.object({
    lowScoreThreshold: z.coerce.number().int().min(1).max(5).default(DEFAULT_SURVEY_OPTIONS.lowScoreThreshold),
  }),
  async handler({ variables: v, headers, deps }) {
    const scores = scoresOf(v);
    const given = Object.values(scores).filter((s): s is number => s !== null);
    const lowScore = given.some((s) => s <= headers.lowScoreThreshold);
    const status = v.surveyStatus ?? (given.length === 3 ? 'completed' : given.length > 0 ? 'partial' : 'no-answer');
    await deps.db.query(
      `UPDATE voice_surveys SET status = $2, scores = $3, low_score = $4, completed_at = $5
        WHERE id = $1 AND completed_at IS NULL`,
      [v.surveyId, status, JSON.stringify(scores), lowScore, deps.now()],
    );
    const average = given.length > 0 ? given.reduce((a, b) => a + b, 0) / given.length : null;
    return { lowScore, surveyAverage: average, surveyResult: status };
  },
});
