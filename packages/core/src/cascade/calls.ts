import { z } from 'zod';

const callRoleSchema = z.enum(['answer', 'judge']);

/** The ledger key of a settled call whose text an LLM judge reads, with the model that wrote it. */
export const answerReferenceSchema = z.object({
  stage: z.number().int().nonnegative(),
  role: callRoleSchema,
  slot: z.number().int().nonnegative(),
  model: z.string().min(1),
});
export type AnswerReference = z.infer<typeof answerReferenceSchema>;

/**
 * What to send. `query`: the user's prompt exactly as submitted (answer and agreement-reference calls,
 * so a replayed recording matches). `judge`: an LLM judge's verdict request on the answer held by the
 * call `answer` names; the executor builds the messages (question + that answer, the task type's
 * judge prompt) from its own store, so a request never carries prompt or answer text.
 */
export const callInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('query') }),
  z.object({ kind: z.literal('judge'), answer: answerReferenceSchema }),
]);
export type CallInput = z.infer<typeof callInputSchema>;

/**
 * A model call the cascade wants made. `(query, stage, role, slot)` is unique and stable for a plan,
 * so it can key the attempt ledger: a retried job finding a completed attempt reuses it.
 * Answer calls have slot 0; judge calls are numbered per stage from the plan alone.
 */
export const callRequestSchema = z.object({
  stage: z.number().int().nonnegative(),
  role: callRoleSchema,
  slot: z.number().int().nonnegative(),
  model: z.string().min(1),
  input: callInputSchema,
});
export type CallRequest = z.infer<typeof callRequestSchema>;

/**
 * The settled result of a {@link CallRequest}, echoing its key. Only final results belong here:
 * a retryable failure is retried by the executor and recorded once it succeeds or gives up.
 */
export const callObservationSchema = z.object({
  stage: z.number().int().nonnegative(),
  role: callRoleSchema,
  slot: z.number().int().nonnegative(),
  model: z.string().min(1),
  ok: z.boolean(),
  /** The model's full output (ok calls); an LLM judge's verdict document. */
  text: z.string().optional(),
  /** Unified finish reason of an ok call (`stop`, `length`, `content-filter`, …), when known. */
  finishReason: z.string().optional(),
  /** Actual cost as a decimal string, also for failed calls (often "0"). */
  costUsd: z.string().regex(/^\d+(\.\d+)?$/, 'a non-negative decimal string'),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type CallObservation = z.infer<typeof callObservationSchema>;
