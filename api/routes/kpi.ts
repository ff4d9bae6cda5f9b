import { Router } from 'express';
import type { ApiDeps } from '../app.js';

/** Placeholder while the KPI routes are written (issue 12). */
export function kpiRoutes(_deps: ApiDeps): Router {
  return Router();
}
