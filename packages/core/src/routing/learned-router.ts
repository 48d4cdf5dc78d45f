import type { Plan } from '../cascade/plan.js';
import { CoreError } from '../errors.js';
import type { Router } from './fixed-router.js';
import { linearScores, type SparseWeights, sigmoid } from './sparse-linear.js';
import { hashTextFeatures, type TextFeatureConfig } from './text-features.js';

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
 * (a router artifact); only non-zero weights are stored. Trained by `@switchyard/training`.
 */
export interface LearnedRouterModel {
  version: 1;
  kind: 'learned-router';
  features: TextFeatureConfig;
  /** In training order (first seen); `outputs[i]` predicts `models[i]`. */
  models: LearnedModelEntry[];
  outputs: SparseWeights[];
}

/** P(correct) of every model of the router for a prompt. */
export function predictCorrectness(model: LearnedRouterModel, prompt: string): Record<string, number> {
  checkModel(model);
  const scores = linearScores(model.outputs, model.features.bits, hashTextFeatures(prompt, model.features));
  return Object.fromEntries(model.models.map((entry, index) => [entry.model, sigmoid(scores[index] ?? 0)]));
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
  /** The price of accuracy: accuracy points one USD per query is worth. */
  accuracyPerUsd: number;
  maxCostUsd?: number;
  /** `plan.setting`. */
  label?: string;
}

/**
 * The learned router: per query, ONE pool model, the one maximising P(correct | prompt) − λ · its mean
 * cost with λ = `accuracyPerUsd`. The plan has that single stage and no judges.
 * Needs `query.prompt`.
 */
export function createLearnedRouter(config: LearnedRouterConfig): Router {
  checkModel(config.model);
  if (config.pool.length === 0) throw new CoreError('learned router: empty pool');
  const known = new Map(config.model.models.map((entry) => [entry.model, entry]));
  const unknown = config.pool.filter((model) => !known.has(model));
  if (unknown.length > 0) throw new CoreError(`learned router: no trained predictor for: ${unknown.join(', ')}`);
  const { accuracyPerUsd } = config;
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
      ...(config.label === undefined ? {} : { setting: config.label }),
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
