import { callInputSchema } from '@switchyard/core';
import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';

/** The queues of the system. Names are literal; a deployment separates them with a prefix. */
export const QUEUE_NAMES = { route: 'route', cascade: 'cascade', webhook: 'webhook', batch: 'batch' } as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

const uuid = z.string().uuid();

/** route: classify one query and store its plan. */
export const routeJobSchema = z.object({ queryId: uuid });
export type RouteJob = z.infer<typeof routeJobSchema>;

/**
 * cascade/call: one model or judge call, keyed like its ledger row. It carries no prompt or answer
 * text (the ops dashboard shows job data): `input` is `{kind: 'query'}` or, for an LLM judge,
 * `{kind: 'judge', answer: {stage, role, slot, model}}` naming the attempt whose output is judged;
 * the worker reads the texts from Postgres.
 */
export const callJobSchema = z.object({
  queryId: uuid,
  stage: z.number().int().nonnegative(),
  role: z.enum(['answer', 'judge']),
  slot: z.number().int().nonnegative(),
  model: z.string().min(1),
  input: callInputSchema,
  /**
   * The decide round this call's job runs itself once the call is settled: set when the call is the
   * only one of its round (no flow parent; one job and one flow less per round). Without it, the call
   * is a child of its round's decide job.
   */
  thenDecide: z.number().int().positive().optional(),
});
export type CallJob = z.infer<typeof callJobSchema>;

/** cascade/decide: aggregate what the calls so far observed; accept, escalate or finish. */
export const decideJobSchema = z.object({
  queryId: uuid,
  round: z.number().int().nonnegative(),
  /** Enqueued by the reconciler for a stalled query: may re-run calls whose job failed for good. */
  recovery: z.boolean().optional(),
});
export type DecideJob = z.infer<typeof decideJobSchema>;

/** webhook/deliver: one signed callback delivery. */
export const webhookJobSchema = z.object({ deliveryId: uuid });
export type WebhookJob = z.infer<typeof webhookJobSchema>;

/**
 * batch/expand: turn the next lines of a batch's input into query rows and route jobs, from the
 * cursor stored on the batch row. batch/finalize: write the batch's output and error file rows and
 * its final status once every line has ended.
 */
export const batchJobSchema = z.object({ batchId: uuid });
export type BatchJob = z.infer<typeof batchJobSchema>;
export type BatchJobName = 'expand' | 'finalize';

export type CascadeJobName = 'call' | 'decide';

/**
 * Job ids derive from database rows, so enqueueing the same work twice is a no-op.
 * (BullMQ forbids ':' in custom ids.)
 */
export const jobIds = {
  route: (queryId: string) => `route_${queryId}`,
  call: (job: Pick<CallJob, 'queryId' | 'stage' | 'role' | 'slot'>) =>
    `call_${job.queryId}_${job.stage}_${job.role}_${job.slot}`,
  decide: (queryId: string, round: number) => `decide_${queryId}_${round}`,
  webhook: (deliveryId: string) => `webhook_${deliveryId}`,
  /** One expand job per cursor position, so a continuation or a reconciler's enqueue is a no-op twice. */
  expand: (batchId: string, expandedLines: number) => `expand_${batchId}_${expandedLines}`,
  finalizeBatch: (batchId: string) => `finalize_${batchId}`,
};

/** Retry settings for provider calls; the backoff honours a provider's `retry-after`. */
export interface RetrySettings {
  /** Tries of one call job, including the first. */
  callAttempts: number;
  /** First backoff delay; doubles per retry unless the provider said how long to wait. */
  callBackoffMs: number;
  webhookAttempts: number;
  webhookBackoffMs: number;
}

export const defaultRetrySettings: RetrySettings = {
  callAttempts: 5,
  callBackoffMs: 1_000,
  webhookAttempts: 8,
  webhookBackoffMs: 2_000,
};

/**
 * Keep finished jobs long enough that a duplicate enqueue finds them and is ignored. No stack traces
 * are stored with failed jobs: the dashboard shows the error message only, not file paths.
 */
const keep: Pick<DefaultJobOptions, 'removeOnComplete' | 'removeOnFail' | 'stackTraceLimit'> = {
  removeOnComplete: { age: 24 * 3600, count: 100_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
  stackTraceLimit: 0,
};

export function defaultJobOptions(queue: QueueName, retry: RetrySettings): DefaultJobOptions {
  switch (queue) {
    case 'route':
      return { ...keep, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } };
    case 'cascade':
      return { ...keep, attempts: retry.callAttempts, backoff: { type: 'provider', delay: retry.callBackoffMs } };
    case 'batch':
      return { ...keep, attempts: 10, backoff: { type: 'exponential', delay: 1_000 } };
    case 'webhook':
      return {
        ...keep,
        attempts: retry.webhookAttempts,
        backoff: { type: 'exponential', delay: retry.webhookBackoffMs },
      };
  }
}
