import type { BpmnErrorCode } from './bpmn-errors.js';

/**
 * A business outcome the model catches: the job ends with a BPMN error of this code.
 * The code must come from the one list in `bpmn-errors.ts`.
 */
export class BpmnError extends Error {
  override name = 'BpmnError';
  constructor(
    readonly code: BpmnErrorCode,
    message: string,
    readonly variables: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A fault that may pass (network, timeout, 5xx): the job fails and is retried with backoff. */
export class TransientError extends Error {
  override name = 'TransientError';
}

/**
 * A fault that retrying cannot fix (bad data, rejected by the provider): the job raises an
 * incident at once. The message is read by a person in Italian and says what to do.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/**
 * The effect is claimed by another delivery that has not finished: the task waits until that
 * claim's lease ends, without spending an attempt (a crashed worker must not lead to an incident).
 */
export class EffectInProgressError extends TransientError {
  override name = 'EffectInProgressError';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}
