import { z } from 'zod';
import {
  ANSWERED_WITHIN_VARIANTS,
  POINT_ROUNDING,
  SLA_IDS,
  SOLUTION_TIME_FROM,
  type DefinitionOverrides,
  type KpiDefinitions,
  type SlaId,
  type SlaRule,
} from './types.js';

const rule = (
  comparison: 'min' | 'max',
  thresholdPct: number,
  targetPct: number | null,
  penaltyPctPerPoint: number,
  penaltyBase: 'service' | 'outbound' = 'service',
): SlaRule => ({ comparison, thresholdPct, targetPct, penaltyPctPerPoint, penaltyBase });

/**
 * The contract's definitions (seed 000 §6.1–§6.4; docs/kpi.md explains each and the seed
 * sentence it implements). The first stored version; an administrator adds others, and a
 * report always names the version it was computed with. Targets are seed 003's (2024)
 * "valori da raggiungere", shown beside the contract's thresholds.
 */
export const CONTRACT_DEFINITIONS: KpiDefinitions = {
  version: 'contratto-2026.1',
  answeredWithin: 'contract',
  shortAbandonS: 5,
  solutionTimeFrom: 'call-start',
  pointRounding: 'begun',
  waitLimitS: 20,
  firstContactLimitS: { cup: 240, csb: 540 },
  secondLevelLimitS: 4 * 3600,
  writtenLimitBusinessHours: 24,
  outboundPackageHours: 24,
  outboundPackageSize: 100,
  outboundLatePenaltyPctPerHour: 3,
  lateReportEurPerDay: 500,
  reportDueDay: 15,
  operatorDowntimeEurPerHour: 5000,
  sla: {
    'answered-within-20s': rule('min', 90, 95, 0.5),
    'written-contacts-24h': rule('min', 100, 100, 0.5),
    'lost-calls': rule('max', 10, 5, 0.5),
    'first-contact-resolution': rule('min', 70, 95, 0.5),
    'first-contact-solution-time': rule('min', 90, null, 0.5),
    'second-level-resolution': rule('min', 90, 100, 1),
    'second-level-solution-time': rule('min', 80, 100, 1),
    'outbound-efficacy': rule('min', 50, null, 1, 'outbound'),
    'outbound-efficiency': rule('min', 100, null, 0, 'outbound'),
    'ivr-continuity': rule('min', 95, 99.5, 0.5),
  },
};

const ruleSchema = z.object({
  comparison: z.enum(['min', 'max']),
  thresholdPct: z.number().min(0).max(100),
  targetPct: z.number().min(0).max(100).nullable(),
  penaltyPctPerPoint: z.number().min(0).max(100),
  penaltyBase: z.enum(['service', 'outbound']),
});

/** What an administrator may store as a new version (every field, validated). */
export const definitionsSchema = z.object({
  version: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'versione: lettere minuscole, cifre, punto, trattino (2–64 caratteri)'),
  answeredWithin: z.enum(ANSWERED_WITHIN_VARIANTS),
  shortAbandonS: z.number().int().min(0).max(120),
  solutionTimeFrom: z.enum(SOLUTION_TIME_FROM),
  pointRounding: z.enum(POINT_ROUNDING),
  waitLimitS: z.number().int().min(1).max(600),
  firstContactLimitS: z.object({ cup: z.number().int().min(1), csb: z.number().int().min(1) }),
  secondLevelLimitS: z.number().int().min(1),
  writtenLimitBusinessHours: z.number().min(1).max(1000),
  outboundPackageHours: z.number().min(1).max(1000),
  outboundPackageSize: z.number().int().min(1).max(100_000),
  outboundLatePenaltyPctPerHour: z.number().min(0).max(100),
  lateReportEurPerDay: z.number().min(0),
  reportDueDay: z.number().int().min(1).max(28),
  operatorDowntimeEurPerHour: z.number().min(0),
  sla: z.object(Object.fromEntries(SLA_IDS.map((id) => [id, ruleSchema])) as Record<SlaId, typeof ruleSchema>),
}) satisfies z.ZodType<KpiDefinitions>;

/** A stored version with a report's variants on top; the version states both. */
export function withOverrides(defs: KpiDefinitions, o: DefinitionOverrides): KpiDefinitions {
  return {
    ...defs,
    answeredWithin: o.answeredWithin ?? defs.answeredWithin,
    shortAbandonS: o.shortAbandonS ?? defs.shortAbandonS,
    solutionTimeFrom: o.solutionTimeFrom ?? defs.solutionTimeFrom,
  };
}
