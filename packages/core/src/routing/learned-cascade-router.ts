import type { Plan } from '../cascade/plan.js';
import { CoreError } from '../errors.js';
import {
  type AgreementCalibration,
  agreementPatternOutcomes,
  type CalibrationCounts,
} from '../judges/agreement-calibration.js';
import { type CategoryStats, type ModelStats, statsForCategory } from './category-stats.js';
import { escalationThresholds } from './escalation.js';
import type { Router } from './fixed-router.js';
import { type LearnedRouterModel, predictCorrectness } from './learned-router.js';
import { selectParetoPool } from './select-pool.js';

/**
 * The learned cascade: EMAFusion's three parts in one plan per query.
 *
 * - The learned router predicts P(correct | prompt) of every pool model (its *prior*); with the
 *   category's mean costs (the taxonomy) that gives the query's own cost/accuracy Pareto stages, and
 *   the stage the plan starts at: the one a learned router would pick at the knob's price of accuracy.
 * - The cascade escalates from there when the verifier (the agreement calibration: P(correct | model,
 *   category, which references agree)) is below the best value a later stage offers, judged by the
 *   later stages' priors.
 * - References are bought only when they are worth their price: for every set of at most
 *   `maxReferences` of the `candidateReferences` cheapest other models, the calibration says how often
 *   each agreement pattern occurs and what P(correct) it implies; the plan asks the set whose expected
 *   improvement of the first accept/escalate decision best exceeds its cost (often none). Later stages
 *   are also judged against every earlier stage's answer, which is already paid for.
 *
 * Everything comes from training data (category stats, learned router, calibration) and is plain JSON
 * (see the router artifact); the plan is an ordinary verifier cascade run by `nextCascadeStep`.
 */

/** Tuning of {@link planLearnedCascade}. */
export interface LearnedCascadeSettings {
  /** How many of the cheapest other pool models a plan may ask as references. */
  candidateReferences: number;
  /** At most this many references per plan. */
  maxReferences: number;
}

/**
 * Defaults, chosen by 5-fold CV on the mix and routerbench train files: three candidates, at most two
 * references (two candidates or one reference were slightly worse, four candidates no better).
 */
export const LEARNED_CASCADE_DEFAULTS: LearnedCascadeSettings = { candidateReferences: 3, maxReferences: 2 };

/** What the planner knows about one query before any call. */
export interface CascadeQueryView {
  /** The pool, cheapest → most expensive (ties in cost are broken by this order). */
  pool: readonly string[];
  /** P(correct) of each pool model for this query: the learned router's prediction. */
  priors: Readonly<Record<string, number>>;
  /** Mean cost per query of each pool model (in the query's category), USD. */
  costs: Readonly<Record<string, number>>;
  /** The category the calibration is keyed by; undefined when the router does not know it. */
  category?: string;
}

/** The stages (with accept thresholds) and verifier references of one query's plan. */
export interface CascadeStagePlan {
  stages: { model: string; acceptThreshold: number }[];
  referenceModels: string[];
}

/** The pool models on the query's Pareto frontier of (prior, category cost), cheapest first. */
export function priorParetoStages(view: CascadeQueryView): string[] {
  const stages = selectParetoPool(
    view.pool
      .filter((model) => view.priors[model] !== undefined && view.costs[model] !== undefined)
      .map((model) => ({
        model,
        accuracy: view.priors[model] as number,
        costPerQueryUsd: view.costs[model] as number,
      })),
  );
  if (stages.length === 0) throw new CoreError('learned cascade: no pool model has a prior and a cost');
  return stages;
}

/** The `count` cheapest pool models other than `exclude`, by cost then pool order. */
export function cheapestOthers(view: CascadeQueryView, exclude: string, count: number): string[] {
  return view.pool
    .map((model, index) => ({ model, index, cost: view.costs[model] }))
    .filter(
      (entry): entry is { model: string; index: number; cost: number } =>
        entry.model !== exclude && entry.cost !== undefined,
    )
    .sort((a, b) => a.cost - b.cost || a.index - b.index)
    .slice(0, count)
    .map((entry) => entry.model);
}

/**
 * The per-stage accept thresholds for these stages: the best value escalating could buy, with the
 * later stages' priors as their expected accuracy (`escalationThresholds` on per-query statistics).
 */
export function priorThresholds(stages: readonly string[], view: CascadeQueryView, accuracyPerUsd: number): number[] {
  const stats: Record<string, ModelStats> = {};
  for (const model of stages) {
    stats[model] = { accuracy: view.priors[model] ?? 0, costUsd: view.costs[model] ?? 0, count: 0 };
  }
  return escalationThresholds(stages, stats, accuracyPerUsd).map(round);
}

/**
 * The references worth asking about the first stage's answer: among all sets of at most
 * `maxReferences` candidates, the one maximising the expected value of the accept/escalate decision,
 * Σ_patterns P(pattern) · max(P(correct | pattern), threshold), minus `accuracyPerUsd` × the set's cost.
 * The empty set is worth max(P(correct), threshold); ties go to the earlier (smaller, cheaper) set.
 */
export function chooseReferences(
  calibration: AgreementCalibration | CalibrationCounts,
  view: CascadeQueryView,
  model: string,
  candidates: readonly string[],
  threshold: number,
  accuracyPerUsd: number,
  maxReferences: number,
): string[] {
  let best: { references: string[]; value: number } | undefined;
  for (const references of subsetsUpTo(candidates, maxReferences)) {
    let value = 0;
    for (const outcome of agreementPatternOutcomes(calibration, { ...categoryOf(view), model, references })) {
      value += outcome.probability * Math.max(outcome.pCorrect, threshold);
    }
    for (const reference of references) value -= accuracyPerUsd * (view.costs[reference] ?? 0);
    if (best === undefined || value > best.value + 1e-12) best = { references, value };
  }
  return best?.references ?? [];
}

/**
 * One query's stages, thresholds and references (see the module comment): Pareto stages by prior,
 * starting at the stage with the best prior − accuracyPerUsd · cost, with the references whose
 * information is worth their price. A single-stage plan asks no references.
 */
export function planLearnedCascade(
  view: CascadeQueryView,
  calibration: AgreementCalibration | CalibrationCounts,
  accuracyPerUsd: number,
  settings: LearnedCascadeSettings = LEARNED_CASCADE_DEFAULTS,
): CascadeStagePlan {
  const frontier = priorParetoStages(view);
  let start = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const [index, model] of frontier.entries()) {
    const value = (view.priors[model] ?? 0) - accuracyPerUsd * (view.costs[model] ?? 0);
    if (value > bestValue) {
      bestValue = value;
      start = index;
    }
  }
  const stages = frontier.slice(start);
  const first = stages[0] as string;
  const thresholds = priorThresholds(stages, view, accuracyPerUsd);
  const referenceModels =
    stages.length > 1
      ? chooseReferences(
          calibration,
          view,
          first,
          cheapestOthers(view, first, settings.candidateReferences),
          thresholds[0] ?? 0,
          accuracyPerUsd,
          settings.maxReferences,
        )
      : [];
  return {
    stages: stages.map((model, stage) => ({ model, acceptThreshold: thresholds[stage] ?? 0 })),
    referenceModels,
  };
}

/** Configuration of {@link createLearnedCascadeRouter}. */
export interface LearnedCascadeRouterConfig {
  /** The pool, cheapest → most expensive. */
  pool: readonly string[];
  /** Per-category mean costs (and accuracies, unused here) of the pool models. */
  stats: CategoryStats;
  /** Predicts each pool model's P(correct | prompt); must know every pool model. */
  learnedRouter: LearnedRouterModel;
  /** The verifier's calibration (trained on {@link learnedCascadeTrainingPlans}). */
  calibration: AgreementCalibration;
  verifierId: string;
  /** The price of accuracy: accuracy points one USD per query is worth (a `PRICE_OF_ACCURACY_SETTINGS` entry). */
  accuracyPerUsd: number;
  settings?: LearnedCascadeSettings;
  maxCostUsd?: number;
  /** `plan.setting`. */
  label?: string;
}

/**
 * The learned cascade router (see {@link planLearnedCascade}). Needs `query.prompt`; a category the
 * statistics do not know falls back to the overall costs and is left out of the plan (and so of the
 * verifier's key).
 */
export function createLearnedCascadeRouter(config: LearnedCascadeRouterConfig): Router {
  const { accuracyPerUsd } = config;
  const known = new Set(config.learnedRouter.models.map((entry) => entry.model));
  const unknown = config.pool.filter((model) => !known.has(model));
  if (unknown.length > 0) throw new CoreError(`learned cascade: no trained predictor for: ${unknown.join(', ')}`);
  return (query): Plan => {
    if (query.prompt === undefined) {
      throw new CoreError('learned cascade: the query has no prompt; its router predicts from the prompt text');
    }
    const category =
      query.category !== undefined && config.stats.byCategory[query.category] !== undefined
        ? query.category
        : undefined;
    const view = queryView(config.pool, config.stats, config.learnedRouter, query.prompt, category);
    const { stages, referenceModels } = planLearnedCascade(view, config.calibration, accuracyPerUsd, config.settings);
    return {
      version: 1,
      router: 'learned-cascade',
      ...categoryOf(view),
      answerType: query.answerType,
      stages,
      judges: [{ kind: 'verifier', verifierId: config.verifierId, referenceModels, previousStages: true }],
      aggregation: 'mean',
      acceptThreshold: 1,
      ...(config.maxCostUsd === undefined ? {} : { maxCostUsd: config.maxCostUsd }),
      ...(config.label === undefined ? {} : { setting: config.label }),
    };
  };
}

/** The planner's view of a query: the learned priors and the category's mean costs. */
export function queryView(
  pool: readonly string[],
  stats: CategoryStats,
  learnedRouter: LearnedRouterModel,
  prompt: string,
  category: string | undefined,
): CascadeQueryView {
  const categoryStats = statsForCategory(stats, category);
  const costs: Record<string, number> = {};
  for (const model of pool) {
    const modelStats = categoryStats[model] ?? stats.overall[model];
    if (modelStats !== undefined) costs[model] = modelStats.costUsd;
  }
  return {
    pool,
    priors: predictCorrectness(learnedRouter, prompt),
    costs,
    ...(category === undefined ? {} : { category }),
  };
}

function* subsetsUpTo<T>(items: readonly T[], size: number): Generator<T[]> {
  // By size, then lexicographically by position: the order ties are broken in.
  for (let count = 0; count <= Math.min(size, items.length); count += 1) {
    yield* combinations(items, count, 0);
  }
}

function* combinations<T>(items: readonly T[], count: number, from: number): Generator<T[]> {
  if (count === 0) {
    yield [];
    return;
  }
  for (let index = from; index <= items.length - count; index += 1) {
    for (const rest of combinations(items, count - 1, index + 1)) yield [items[index] as T, ...rest];
  }
}

function categoryOf(view: { category?: string }): { category?: string } {
  return view.category === undefined ? {} : { category: view.category };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
