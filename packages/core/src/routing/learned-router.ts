import type { Plan } from '../cascade/plan.js';
import { CoreError } from '../errors.js';
import { accuracyPerUsdForQuality } from './calibrated-router.js';
import type { Router } from './fixed-router.js';
import { qualitySchema } from './quality-knob.js';
import {
  type LinearTrainingOptions,
  linearScores,
  type SparseWeights,
  sigmoid,
  trainSparseLinear,
  withDefaults,
} from './sparse-linear.js';
import {
  hashTextFeatures,
  resolveTextFeatures,
  type TextFeatureConfig,
  type TextFeatureOptions,
} from './text-features.js';

/** A pool model as the learned router knows it. */
export interface LearnedModelEntry {
  model: string;
  /** Mean recorded cost per training query, USD. */
  meanCostUsd: number;
  /** Training accuracy (the base rate the predictor starts from). */
  accuracy: number;
  /** Training queries with an outcome for this model. */
  count: number;
}

/**
 * A RouteLLM-style learned router: per pool model, an L2-regularised logistic regression over hashed
 * prompt features predicting P(the model answers correctly), plus the model's mean cost. Plain JSON
 * (a router artifact); only non-zero weights are stored.
 */
export interface LearnedRouterModel {
  version: 1;
  kind: 'learned-router';
  features: TextFeatureConfig;
  /** In training order (first seen); `outputs[i]` predicts `models[i]`. */
  models: LearnedModelEntry[];
  outputs: SparseWeights[];
}

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
  if (examples.length === 0) throw new CoreError('learned router: no training examples');
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
  if (order.length === 0) throw new CoreError('learned router: the examples have no outcomes');
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

/** P(correct) of every model of the router for a prompt. */
export function predictCorrectness(model: LearnedRouterModel, prompt: string): Record<string, number> {
  checkModel(model);
  const scores = linearScores(model.outputs, model.features.bits, hashTextFeatures(prompt, model.features));
  return Object.fromEntries(model.models.map((entry, index) => [entry.model, sigmoid(scores[index] ?? 0)]));
}

/**
 * Out-of-fold P(correct) for every training example: the examples are split into `folds` parts (by
 * position: example i is in part i mod folds) and each part is predicted by a router trained on the
 * others. What a component trained on top of the router's predictions must see: in-sample predictions
 * are overconfident (the router has memorised its own training prompts), out-of-fold ones look like
 * the predictions it will make for new queries. Deterministic.
 */
export function crossFitCorrectness(
  examples: readonly LearnedRouterExample[],
  options: LearnedRouterOptions & { folds?: number } = {},
): Record<string, number>[] {
  const { folds = 5, ...routerOptions } = options;
  if (!Number.isInteger(folds) || folds < 2)
    throw new CoreError(`cross-fit: folds must be an integer ≥ 2, got ${folds}`);
  if (examples.length < folds) throw new CoreError(`cross-fit: ${examples.length} examples for ${folds} folds`);
  const predictions: Record<string, number>[] = new Array(examples.length);
  for (let fold = 0; fold < folds; fold += 1) {
    const model = trainLearnedRouter(
      examples.filter((_, index) => index % folds !== fold),
      routerOptions,
    );
    examples.forEach((example, index) => {
      if (index % folds === fold) predictions[index] = predictCorrectness(model, example.prompt);
    });
  }
  return predictions;
}

/**
 * The model with the best value P(correct) − accuracyPerUsd · mean cost; ties → the cheaper one, then
 * the earlier in `candidates`. Raising `accuracyPerUsd` never picks a dearer model.
 */
export function chooseLearnedModel(
  candidates: readonly { model: string; pCorrect: number; meanCostUsd: number }[],
  accuracyPerUsd: number,
): string {
  let best: (typeof candidates)[number] | undefined;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const candidate of candidates) {
    const value = candidate.pCorrect - accuracyPerUsd * candidate.meanCostUsd;
    if (value > bestValue || (value === bestValue && best !== undefined && candidate.meanCostUsd < best.meanCostUsd)) {
      best = candidate;
      bestValue = value;
    }
  }
  if (best === undefined) throw new CoreError('learned router: no candidate models');
  return best.model;
}

/** Configuration of {@link createLearnedRouter}. */
export interface LearnedRouterConfig {
  /** The trained router (see {@link trainLearnedRouter}). */
  model: LearnedRouterModel;
  /** The pool models it may choose, cheapest → most expensive; each must be in the trained model. */
  pool: readonly string[];
  /** Knob position in [0,1]: the price of accuracy is `accuracyPerUsdForQuality(quality)`. */
  quality: number;
  maxCostUsd?: number;
}

/**
 * The learned router: per query, ONE pool model, the one maximising P(correct | prompt) − λ · its mean
 * cost with λ = `accuracyPerUsdForQuality(quality)`. The plan has that single stage and no judges.
 * Needs `query.prompt`.
 */
export function createLearnedRouter(config: LearnedRouterConfig): Router {
  checkModel(config.model);
  if (config.pool.length === 0) throw new CoreError('learned router: empty pool');
  const known = new Map(config.model.models.map((entry) => [entry.model, entry]));
  const unknown = config.pool.filter((model) => !known.has(model));
  if (unknown.length > 0) throw new CoreError(`learned router: no trained predictor for: ${unknown.join(', ')}`);
  const quality = qualitySchema.parse(config.quality);
  const accuracyPerUsd = accuracyPerUsdForQuality(quality);
  return (query): Plan => {
    if (query.prompt === undefined) {
      throw new CoreError('learned router: the query has no prompt; a learned router routes by the prompt text');
    }
    const predictions = predictCorrectness(config.model, query.prompt);
    const chosen = chooseLearnedModel(
      config.pool.map((model) => ({
        model,
        pCorrect: predictions[model] ?? 0,
        meanCostUsd: known.get(model)?.meanCostUsd ?? 0,
      })),
      accuracyPerUsd,
    );
    return {
      version: 1,
      router: 'learned',
      ...(query.category === undefined ? {} : { category: query.category }),
      answerType: query.answerType,
      stages: [{ model: chosen }],
      judges: [],
      aggregation: 'mean',
      acceptThreshold: 1,
      ...(config.maxCostUsd === undefined ? {} : { maxCostUsd: config.maxCostUsd }),
      setting: `quality=${quality}`,
    };
  };
}

function checkModel(model: LearnedRouterModel): void {
  if (model.version !== 1 || model.kind !== 'learned-router') {
    throw new CoreError(`learned router: unsupported artifact (kind ${model.kind}, v${model.version})`);
  }
  if (model.models.length === 0 || model.models.length !== model.outputs.length) {
    throw new CoreError('learned router: models and outputs do not match');
  }
}
