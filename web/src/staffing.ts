/** The staffing page's shapes are the server's own (domain/staffing). */
export type { StaffingAnswer as StaffingReport } from '../../domain/staffing/report';
export type { StaffingRequestInput as StaffingRequest } from '../../domain/staffing/request';
export type { PlanDay } from '../../domain/staffing/demand';

/** Monday to Saturday, the days a roster is planned for (the line is closed on Sunday). */
export const PLAN_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export const DAY_LABELS: Record<(typeof PLAN_DAYS)[number], string> = {
  mon: 'Lunedì',
  tue: 'Martedì',
  wed: 'Mercoledì',
  thu: 'Giovedì',
  fri: 'Venerdì',
  sat: 'Sabato',
};
