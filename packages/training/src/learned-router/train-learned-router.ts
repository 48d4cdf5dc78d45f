import {
  hashTextFeatures,
  type LearnedModelEntry,
  type LearnedRouterModel,
  predictCorrectness,
  resolveTextFeatures,
  type TextFeatureOptions,
} from '@switchyard/core';
import { TrainingError } from '../errors.js';
import { type LinearTrainingOptions, trainSparseLinear, withDefaults } from '../linear/train-sparse-linear.js';

/** One training query: its prompt and each model's recorded outcome. */
export interface LearnedRouterExample {
  prompt: string;
  outcomes: readonly { model: string; correct: boolean; costUsd: number }[];
}

/** Options of {@link trainLearnedRouter}. */
export interface LearnedRouterOptions extends Partial<LinearTrainingOptions> {
  features?: TextFeatureOptions;
}

/**
 * Defaults of the router's training, chosen by 5-fold CV on the mix and routerbench train files:
 * unigrams (+ the 1,000-character tail block and shape features); bigrams, more epochs or a larger
 * step size fitted the training folds better but routed no better.
 */
export const LEARNED_ROUTER_DEFAULTS: LinearTrainingOptions & { features: TextFeatureOptions } = {
  features: { bigrams: false },
  epochs: 3,
  learningRate: 0.05,
  l2: 1e-3,
  seed: 1,
  minDocumentFrequency: 3,
  decimals: 3,
};

/** Trains the router. Deterministic: the same examples in the same order give identical JSON. */
export function trainLearnedRouter(
  examples: readonly LearnedRouterExample[],
  options: LearnedRouterOptions = {},
): LearnedRouterModel {
  if (examples.length === 0) throw new TrainingError('learned router: no training examples');
  const settings = withDefaults(LEARNED_ROUTER_DEFAULTS, options);
  const features = resolveTextFeatures(settings.features);
  const order: string[] = [];
  const totals = new Map<string, { correct: number; cost: number; count: number }>();
  for (const example of examples) {
    for (const outcome of example.outcomes) {
      let total = totals.get(outcome.model);
      if (total === undefined) {
        total = { correct: 0, cost: 0, count: 0 };
        totals.set(outcome.model, total);
        order.push(outcome.model);
      }
      total.correct += outcome.correct ? 1 : 0;
      total.cost += outcome.costUsd;
      total.count += 1;
    }
  }
  if (order.length === 0) throw new TrainingError('learned router: the examples have no outcomes');
  const column = new Map(order.map((model, index) => [model, index]));
  const targets = new Float64Array(examples.length * order.length).fill(Number.NaN);
  examples.forEach((example, row) => {
    for (const outcome of example.outcomes) {
      targets[row * order.length + (column.get(outcome.model) as number)] = outcome.correct ? 1 : 0;
    }
  });
  const models = order.map((model): LearnedModelEntry => {
    const total = totals.get(model) as { correct: number; cost: number; count: number };
    return { model, meanCostUsd: total.cost / total.count, accuracy: total.correct / total.count, count: total.count };
  });
  const outputs = trainSparseLinear({
    vectors: examples.map((example) => hashTextFeatures(example.prompt, features)),
    outputs: order.length,
    mode: 'sigmoid',
    targets,
    // Start at the (smoothed) base rates.
    initialBias: models.map((entry) => {
      const rate = (entry.accuracy * entry.count + 1) / (entry.count + 2);
      return Math.log(rate / (1 - rate));
    }),
    options: settings,
  });
  return { version: 1, kind: 'learned-router', features, models, outputs };
}

/**
 * Out-of-fold P(correct) for every training example: the examples are split into `folds` parts (by
 * position: example i is in part i mod folds, unless `assignment[i]` gives its part) and each part is
 * predicted by a router trained on the others. What a component trained on top of the router's predictions must see: in-sample predictions
 * are overconfident (the router has memorised its own training prompts), out-of-fold ones look like
 * the predictions it will make for new queries. Deterministic.
 */
export function crossFitCorrectness(
  examples: readonly LearnedRouterExample[],
  options: LearnedRouterOptions & { folds?: number; assignment?: readonly number[] } = {},
): Record<string, number>[] {
  const { folds = 5, assignment, ...routerOptions } = options;
  if (!Number.isInteger(folds) || folds < 2)
    throw new TrainingError(`cross-fit: folds must be an integer ≥ 2, got ${folds}`);
  if (examples.length < folds) throw new TrainingError(`cross-fit: ${examples.length} examples for ${folds} folds`);
  if (assignment !== undefined && assignment.length !== examples.length) {
    throw new TrainingError('cross-fit: one fold per example');
  }
  const foldOf = (index: number) => (assignment === undefined ? index % folds : (assignment[index] as number));
  const predictions: Record<string, number>[] = new Array(examples.length);
  for (let fold = 0; fold < folds; fold += 1) {
    const training = examples.filter((_, index) => foldOf(index) !== fold);
    if (training.length === 0 || training.length === examples.length) continue;
    const model = trainLearnedRouter(training, routerOptions);
    examples.forEach((example, index) => {
      if (foldOf(index) === fold) predictions[index] = predictCorrectness(model, example.prompt);
    });
  }
  return predictions;
}
