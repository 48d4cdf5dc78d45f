import { z } from 'zod';

/** A chat message for {@link CallInput} kind 'messages'. */
export const callMessageSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
});

/**
 * What to send. `query`: the user's prompt exactly as submitted (what answer and agreement-reference
 * calls use, so a replayed recording matches). `messages`: a constructed conversation (LLM judges).
 */
export const callInputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('query') }),
  z.object({ kind: z.literal('messages'), system: z.string().optional(), messages: z.array(callMessageSchema).min(1) }),
]);
export type CallInput = z.infer<typeof callInputSchema>;

/**
 * A model call the cascade wants made. `(query, stage, role, slot)` is unique and stable for a plan,
 * so it can key the attempt ledger: a retried job finding a completed attempt reuses it.
 * Answer calls have slot 0; judge calls are numbered per stage from the plan alone.
 */
export const callRequestSchema = z.object({
  stage: z.number().int().nonnegative(),
  role: z.enum(['answer', 'judge']),
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
  role: z.enum(['answer', 'judge']),
  slot: z.number().int().nonnegative(),
  model: z.string().min(1),
  ok: z.boolean(),
  /** The model's full output (ok calls). */
  text: z.string().optional(),
  /** Actual cost as a decimal string, also for failed calls (often "0"). */
  costUsd: z.string().regex(/^\d+(\.\d+)?$/, 'a non-negative decimal string'),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type CallObservation = z.infer<typeof callObservationSchema>;
