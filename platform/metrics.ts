import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one app process, exposed at `/metrics`. */
export class Metrics {
  readonly registry = new Registry();
  readonly jobsHandled = new Counter({
    name: 'cc_jobs_handled_total',
    help: 'Jobs handled by the workers, by job type and outcome (completed, bpmn_error).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({
    name: 'cc_jobs_failed_total',
    help: 'Jobs failed by the workers, by job type and outcome (retry, incident).',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly handlerSeconds = new Histogram({
    name: 'cc_job_handler_duration_seconds',
    help: 'Time spent in a job handler, by job type.',
    labelNames: ['type'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cc_' });
  }
}
