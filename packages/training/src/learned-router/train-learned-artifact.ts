import { calibrateKnob, chooseLearnedModel, type LearnedArtifact, PRICE_OF_ACCURACY_SETTINGS } from '@switchyard/core';
import { singleModelPerformance, type TrainingContext } from '../context/training-context.js';

/**
 * Packages the learned router (RouteLLM-style: one model per query, the best predicted P(correct | prompt)
 * − λ × mean cost) as an artifact. Its knob calibration routes each training record with the
 * out-of-fold predictions (a router that did not see it).
 */
export function trainLearnedArtifact(context: TrainingContext): LearnedArtifact {
  const { pool, records } = context;
  const prices = PRICE_OF_ACCURACY_SETTINGS;
  const sums = learnedRouterOutOfFold(context);
  const count = records.length;
  return {
    kind: 'learned',
    version: 1,
    pool: [...pool.models],
    accuracyPerUsd: [...prices],
    knob: calibrateKnob(
      sums.map((entry, setting) => ({ setting, costUsd: entry.costUsd / count, accuracy: entry.correct / count })),
      singleModelPerformance(context).best,
    ),
    ...(context.answerTypeClassifier === undefined ? {} : { answerTypeClassifier: context.answerTypeClassifier }),
    router: context.learnedRouter,
    trainedOn: context.trainedOn,
  };
}

/** The learned router's cross-validated sums at every price of accuracy, with out-of-fold predictions. */
export function learnedRouterOutOfFold(context: TrainingContext): { correct: number; costUsd: number }[] {
  const { pool, records } = context;
  const prices = PRICE_OF_ACCURACY_SETTINGS;
  const meanCost = new Map(context.learnedRouter.models.map((entry) => [entry.model, entry.meanCostUsd]));
  const sums = prices.map(() => ({ correct: 0, costUsd: 0 }));
  records.forEach((record, index) => {
    const priors = context.outOfFoldPriors[index] ?? {};
    const candidates = pool.models.map((model) => ({
      model,
      pCorrect: priors[model] ?? 0,
      meanCostUsd: meanCost.get(model) ?? 0,
    }));
    prices.forEach((price, setting) => {
      const model = pool.indexOf.get(chooseLearnedModel(candidates, price)) as number;
      const entry = sums[setting] as { correct: number; costUsd: number };
      entry.correct += record.correct[model] as number;
      entry.costUsd += record.costUsd[model] as number;
    });
  });
  return sums;
}
