import { z } from 'zod';
import { answerTypeSchema } from '../answers/answer-type.js';
import { aggregationSchema, judgeSpecSchema } from '../judges/judge-spec.js';
import { judgeTaskSchema } from '../judges/judge-task.js';

/** One cascade stage: the model that answers at that stage, and optionally its own accept threshold. */
export const planStageSchema = z.object({
  model: z.string().min(1),
  /** Overrides `plan.acceptThreshold` for this stage (e.g. lower where escalating is expensive). */
  acceptThreshold: z.number().min(0).max(1).optional(),
});
export type PlanStage = z.infer<typeof planStageSchema>;

/**
 * The routing decision for one query, made once by a router and stored as plain JSON (Query row).
 * Everything the cascade does afterwards follows from the plan plus the observed calls.
 */
export const planSchema = z
  .object({
    version: z.literal(1),
    /** Which router made the plan: 'fixed' | 'taxonomy' | 'learned' | ... */
    router: z.string().min(1),
    /** The query class the router saw, if any (e.g. "math", "knowledge:law"). */
    category: z.string().optional(),
    answerType: answerTypeSchema,
    /** Which judge prompt LLM judges use; default from category and answer type (`judgeTaskFor`). */
    judgeTask: judgeTaskSchema.optional(),
    /** Cheapest → most expensive; each model at most once. */
    stages: z.array(planStageSchema).min(1),
    /** Judges scoring every stage's answer. Empty = accept the first answer. */
    judges: z.array(judgeSpecSchema),
    /** Combination of judge confidences; default 'mean'. */
    aggregation: aggregationSchema.optional(),
    /** Accept a stage's answer when its aggregated confidence ≥ this value (unless the stage sets its own). */
    acceptThreshold: z.number().min(0).max(1),
    /** Per-query spending cap in USD over every call of the cascade. */
    maxCostUsd: z.number().nonnegative().optional(),
    /** Label of the knob setting that produced the plan, e.g. "quality=0.5". */
    setting: z.string().optional(),
    /** Id of the stored router artifact whose trained verifiers score this plan's judges. */
    artifactId: z.string().optional(),
    /**
     * Recording (`switchyard record`): no stage is ever accepted, so every stage's model answers and
     * every answer is judged (by its plan's judges); the cascade ends `exhausted` with a fused answer.
     */
    record: z.literal(true).optional(),
  })
  .refine((plan) => new Set(plan.stages.map((stage) => stage.model)).size === plan.stages.length, {
    message: 'a model appears in more than one stage',
    path: ['stages'],
  });
export type Plan = z.infer<typeof planSchema>;
