import { Router } from 'express';
import type { ApiDeps } from '../app.js';

/** Placeholder while the process KPIs (K5) are written (issue 12); replaced by its owner. */
export function processKpiRoutes(_deps: ApiDeps): Router {
  return Router();
}
