import { z } from 'zod';

/**
 * A judge model's recorded verdict on one response (an LLM judge call made when the dataset was
 * recorded): `switchyard eval` replays it instead of calling the judge.
 */
export const recordedVerdictSchema = z.object({
  verdict: z.enum(['pass', 'fail']),
  confidence: z.number().min(0).max(1),
  /** What the judge call cost. */
  costUsd: z.number().nonnegative(),
  reason: z.string().optional(),
});
export type RecordedVerdict = z.infer<typeof recordedVerdictSchema>;

/** One model's recorded response to a record's prompt. */
export const recordedResponseSchema = z.object({
  text: z.string(),
  /** Answer extracted by the benchmark's own logic; null = none extracted. */
  answer: z.string().nullable(),
  correct: z.boolean(),
  inputTokens: z.number().int().nonnegative().nullable(),
  outputTokens: z.number().int().nonnegative().nullable(),
  costUsd: z.number().nonnegative(),
  /** Optional: LLM judges' recorded verdicts on this response, by judge model id. */
  judges: z.record(z.string(), recordedVerdictSchema).optional(),
});
export type RecordedResponse = z.infer<typeof recordedResponseSchema>;

export const answerTypeSchema = z.enum(['number', 'latex', 'choice', 'literal', 'code']);
export type AnswerType = z.infer<typeof answerTypeSchema>;

/** One line of a dataset's `*.jsonl`: a prompt and every pool model's recorded response. */
export const benchRecordSchema = z.object({
  id: z.string().min(1),
  benchmark: z.string().min(1),
  category: z.string().min(1),
  prompt: z.string(),
  reference: z.string(),
  answerType: answerTypeSchema,
  responses: z.record(z.string(), recordedResponseSchema),
});
export type BenchRecord = z.infer<typeof benchRecordSchema>;

/** One entry of a dataset's `models.json`. */
export const datasetModelSchema = z.looseObject({
  id: z.string().min(1),
  displayName: z.string().optional(),
  family: z.string().optional(),
  /** 1 = cheapest. */
  tier: z.number().int().positive(),
  inputUsdPerMTok: z.number().nonnegative(),
  outputUsdPerMTok: z.number().nonnegative(),
  priceSource: z.string().optional(),
});
export type DatasetModel = z.infer<typeof datasetModelSchema>;
