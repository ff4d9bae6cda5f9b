import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { backoffMs, decideOutcome, type IncomingJob } from '../../workers/framework/runner.js';
import { defineWorker, type WorkerDefinition, type WorkerDeps } from '../../workers/framework/define.js';
import { BpmnError, PermanentError, TransientError } from '../../workers/framework/errors.js';
import type { EffectStore } from '../../workers/framework/idempotency.js';

const job = (over: Partial<IncomingJob> = {}): IncomingJob => ({
  key: '1',
  type: 'do-thing',
  processInstanceKey: '2',
  bpmnProcessId: 'p',
  elementId: 'task',
  retries: 3,
  variables: { n: 1 },
  customHeaders: {},
  ...over,
});
const deps = {} as WorkerDeps;
const effects = { once: (_k: string, _m: unknown, fn: () => Promise<unknown>) => fn() } as unknown as EffectStore;
const worker = (handler: () => Promise<Record<string, unknown>>) =>
  defineWorker({
    taskType: 'do-thing',
    description: 'test',
    variables: z.object({ n: z.number() }),
    headers: z.object({}),
    handler,
  }) as unknown as WorkerDefinition;

describe('the three outcomes of a job, decided in one place', () => {
  it('completes with the handler variables', async () => {
    expect(
      await decideOutcome(
        worker(() => Promise.resolve({ ok: true })),
        job(),
        deps,
        effects,
      ),
    ).toEqual({
      kind: 'completed',
      variables: { ok: true },
    });
  });

  it('turns a business outcome into a BPMN error with its code', async () => {
    const o = await decideOutcome(
      worker(() => Promise.reject(new BpmnError('SLOT_TAKEN', 'preso'))),
      job(),
      deps,
      effects,
    );
    expect(o).toMatchObject({ kind: 'bpmn_error', code: 'SLOT_TAKEN' });
  });

  it('retries a transient fault with backoff while retries remain, then raises an incident', async () => {
    const failing = worker(() => Promise.reject(new TransientError('HTTP 503')));
    expect(await decideOutcome(failing, job({ retries: 3 }), deps, effects)).toEqual({
      kind: 'retry',
      message: 'HTTP 503',
      retries: 2,
      backoffMs: backoffMs(2),
    });
    const last = await decideOutcome(failing, job({ retries: 1 }), deps, effects);
    expect(last.kind).toBe('incident');
    expect((last as { message: string }).message).toMatch(/Tentativi esauriti.*HTTP 503/);
  });

  it('raises an incident at once for a permanent fault, with its message', async () => {
    const o = await decideOutcome(
      worker(() => Promise.reject(new PermanentError('correggere il numero'))),
      job(),
      deps,
      effects,
    );
    expect(o).toEqual({ kind: 'incident', message: 'correggere il numero' });
  });

  it('raises an incident naming the invalid variable, without its value', async () => {
    const o = await decideOutcome(
      worker(() => Promise.resolve({})),
      job({ variables: { n: 'RSSMRA80A01G942K' } }),
      deps,
      effects,
    );
    expect(o.kind).toBe('incident');
    expect((o as { message: string }).message).toMatch(/n:/);
    expect((o as { message: string }).message).not.toContain('RSSMRA80A01G942K');
  });

  it('backs off exponentially up to a minute', () => {
    expect(backoffMs(2)).toBe(2000);
    expect(backoffMs(1)).toBe(4000);
    expect(backoffMs(-10)).toBe(60_000);
  });
});
