import { z } from 'zod';

/**
 * `agreement`: compares the stage's extracted final answer with the extracted answers of other models
 * to the same query. Confidence = share of the available reference answers that agree.
 * The references are real model calls that cost money, unless the model's answer was already observed
 * (in any role), in which case it is reused.
 */
export const agreementJudgeSchema = z.object({
  kind: z.literal('agreement'),
  /** Fixed reference models (a stage's own model is skipped). */
  referenceModels: z.array(z.string().min(1)),
  /**
   * Also use the models of the next `nextStages` stages as references. Their answers are then reused
   * as those stages' answers if the cascade escalates, so escalation never pays twice.
   */
  nextStages: z.number().int().nonnegative().optional(),
});
export type AgreementJudgeSpec = z.infer<typeof agreementJudgeSchema>;

/**
 * `verifier`: a learned local scorer (query features, answer) → P(correct); costs nothing.
 * Evaluated through {@link CascadeContext.scoreVerifier}; without one it abstains.
 */
export const verifierJudgeSchema = z.object({
  kind: z.literal('verifier'),
  /** Which trained verifier (an artifact id) scores the answer. */
  verifierId: z.string().min(1),
});
export type VerifierJudgeSpec = z.infer<typeof verifierJudgeSchema>;

/** `format`: local check that a final answer could be extracted (1) or not (0). */
export const formatJudgeSchema = z.object({ kind: z.literal('format') });
export type FormatJudgeSpec = z.infer<typeof formatJudgeSchema>;

/** One judge of a plan; every stage's answer is scored by all of the plan's judges. */
export const judgeSpecSchema = z.discriminatedUnion('kind', [agreementJudgeSchema, verifierJudgeSchema, formatJudgeSchema]);
export type JudgeSpec = z.infer<typeof judgeSpecSchema>;

/**
 * How the non-abstaining judges' confidences combine into a stage confidence:
 * `mean`, `min`, or `majority` (share of judges with confidence ≥ 0.5). All abstain → no confidence.
 */
export const aggregationSchema = z.enum(['mean', 'min', 'majority']);
export type Aggregation = z.infer<typeof aggregationSchema>;
