import { z } from 'zod';

/** Which other models' answers to the same query a judge reads (shared by agreement and verifier). */
const referenceFields = {
  /** Fixed reference models (a stage's own model is skipped). */
  referenceModels: z.array(z.string().min(1)),
  /**
   * Also the models of the next `nextStages` stages. Their answers are then reused as those stages'
   * answers if the cascade escalates, so escalation never pays twice.
   */
  nextStages: z.number().int().nonnegative().optional(),
  /** Also every earlier stage's model: already paid for when the stage runs, so free. */
  previousStages: z.boolean().optional(),
};

/**
 * `agreement`: compares the stage's extracted final answer with the extracted answers of other models
 * to the same query. Confidence = share of the available reference answers that agree.
 * The references are real model calls that cost money, unless the model's answer was already observed
 * (in any role), in which case it is reused.
 */
export const agreementJudgeSchema = z.object({ kind: z.literal('agreement'), ...referenceFields });
export type AgreementJudgeSpec = z.infer<typeof agreementJudgeSchema>;

/**
 * `verifier`: a learned local scorer (query features, answer, which references agree) → P(correct);
 * the scoring costs nothing, its references are called like an agreement judge's (default: none).
 * Evaluated through `CascadeContext.scoreVerifier`; without one it abstains.
 */
export const verifierJudgeSchema = z.object({
  kind: z.literal('verifier'),
  /** Which trained verifier (an artifact id) scores the answer. */
  verifierId: z.string().min(1),
  referenceModels: referenceFields.referenceModels.optional(),
  nextStages: referenceFields.nextStages,
  previousStages: referenceFields.previousStages,
});
export type VerifierJudgeSpec = z.infer<typeof verifierJudgeSchema>;

/** `format`: local check that a final answer could be extracted (1) or not (0). */
export const formatJudgeSchema = z.object({ kind: z.literal('format') });
export type FormatJudgeSpec = z.infer<typeof formatJudgeSchema>;

/**
 * `llm`: a panel of judge models, each reading the question and the stage's answer and returning a
 * structured verdict `{verdict: pass|fail, confidence, reason}` (see `parseJudgeVerdict`). Each panel
 * model is one judge call (its own job and ledger attempt) and one `JudgeVerdict`; a model never judges
 * its own answer. A malformed verdict or a failed call is an abstention, never a pass, and a stage is
 * accepted only when at least `quorum` panel models gave a valid verdict (default: all of them).
 */
export const llmJudgeSchema = z.object({
  kind: z.literal('llm'),
  /** The judge panel, in slot order. */
  models: z
    .array(z.string().min(1))
    .min(1)
    .refine((models) => new Set(models).size === models.length, 'a judge model is listed twice'),
  /** Valid verdicts needed before the stage may be accepted; default every panel model judging the stage. */
  quorum: z.number().int().positive().optional(),
});
export type LlmJudgeSpec = z.infer<typeof llmJudgeSchema>;

/** One judge of a plan; every stage's answer is scored by all of the plan's judges. */
export const judgeSpecSchema = z.discriminatedUnion('kind', [
  agreementJudgeSchema,
  verifierJudgeSchema,
  formatJudgeSchema,
  llmJudgeSchema,
]);
export type JudgeSpec = z.infer<typeof judgeSpecSchema>;

/**
 * How the non-abstaining judges' confidences combine into a stage confidence:
 * `mean`, `min`, or `majority` (share of judges with confidence ≥ 0.5). All abstain → no confidence.
 */
export const aggregationSchema = z.enum(['mean', 'min', 'majority']);
export type Aggregation = z.infer<typeof aggregationSchema>;
