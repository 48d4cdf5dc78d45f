import { z } from 'zod';
import type { AnswerType } from '../answers/answer-type.js';
import type { Plan } from '../cascade/plan.js';

/**
 * A cascade chosen for a whole query class at one knob setting (by training, for a category): its
 * stages with their accept thresholds and the references the first stage is compared with. Later
 * stages are also compared with every earlier stage's answer (already paid for).
 */
export const cascadePolicySchema = z.object({
  stages: z.array(z.object({ model: z.string().min(1), acceptThreshold: z.number().min(0).max(1) })).min(1),
  referenceModels: z.array(z.string().min(1)),
});
export type CascadePolicy = z.infer<typeof cascadePolicySchema>;

/**
 * The plan of a policy for one query. One stage without references is a plain single-model plan (no
 * judges); otherwise a `verifier` judge scores each stage with the calibration `verifierId` names.
 */
export function planFromPolicy(
  policy: CascadePolicy,
  options: {
    router: string;
    verifierId: string;
    answerType: AnswerType;
    category?: string;
    maxCostUsd?: number;
    label?: string;
  },
): Plan {
  const judged = policy.stages.length > 1 || policy.referenceModels.length > 0;
  return {
    version: 1,
    router: options.router,
    ...(options.category === undefined ? {} : { category: options.category }),
    answerType: options.answerType,
    stages: judged ? policy.stages : policy.stages.map(({ model }) => ({ model })),
    judges: judged
      ? [
          {
            kind: 'verifier',
            verifierId: options.verifierId,
            referenceModels: policy.referenceModels,
            previousStages: true,
          },
        ]
      : [],
    aggregation: 'mean',
    acceptThreshold: 1,
    ...(options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd }),
    ...(options.label === undefined ? {} : { setting: options.label }),
  };
}
