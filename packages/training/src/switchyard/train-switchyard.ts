import {
  type AgreementPattern,
  type CascadeQueryView,
  calibrateKnob,
  chooseTaxonomyModel,
  LEARNED_CASCADE_DEFAULTS,
  type LearnedCascadeSettings,
  type Plan,
  PRICE_OF_ACCURACY_SETTINGS,
  planLearnedCascade,
  type SwitchyardArtifact,
  type SwitchyardSetting,
  scoreAgreementPattern,
  statsForCategory,
} from '@switchyard/core';
import { FoldCounts } from '../calibration/fold-counts.js';
import { singleModelPerformance, type TrainingContext } from '../context/training-context.js';
import { forEachPolicyExampleKeys, learnedCascadeExamples } from '../learned-cascade/learned-cascade-examples.js';
import { learnedRouterOutOfFold } from '../learned-router/train-learned-artifact.js';
import {
  type CategoryPolicies,
  candidatePolicies,
  POLICY_SEARCH_DEFAULTS,
  type PolicySearchOptions,
  policyOf,
  searchCategoryPolicies,
} from '../policy/search-policies.js';
import type { PreparedRecord } from '../records/prepare-records.js';
import { simulatePlan } from '../simulation/simulate-plan.js';
import { taxonomyOutOfFold, taxonomyOutOfFoldByCategory } from '../taxonomy/train-taxonomy.js';

/** Verifier ids of the two calibrations a Switchyard artifact carries. */
export const LEARNED_CASCADE_VERIFIER = 'learned-cascade-calibration';
export const POLICY_VERIFIER = 'policy-calibration';

/** Options of {@link trainSwitchyard}. */
export interface SwitchyardTrainingOptions {
  cascade?: Partial<LearnedCascadeSettings>;
  policy?: Partial<PolicySearchOptions>;
}

/** One setting as training measured it (cross-validated). */
export interface SettingReport {
  setting: number;
  accuracyPerUsd: number;
  /** `mixed`: per category the best of the two cascade families and the taxonomy's model; `taxonomy`: one model per category. */
  family: SwitchyardSetting['family'] | 'mixed' | 'taxonomy';
  accuracy: number;
  costUsd: number;
}

/** The trained artifact and what training measured. */
export interface TrainedSwitchyard {
  artifact: SwitchyardArtifact;
  settings: SettingReport[];
}

/**
 * Trains Switchyard's router (artifact version 3).
 *
 * Two families plan a query at each price of accuracy λ (`PRICE_OF_ACCURACY_SETTINGS`):
 * - the learned cascade: per query, the learned router's P(correct | prompt) of every model gives the
 *   Pareto stages, the first stage and the thresholds; references are bought by value of information;
 *   its verifier is trained on examples from plans shaped by out-of-fold priors;
 * - per-category policies (see `searchCategoryPolicies`): one cascade per classified category, chosen
 *   by nested cross-validation, with a verifier trained on every (model, ≤ 2 references) pattern.
 * Every (family, λ) is one setting — also per category the better cascade family, the taxonomy router
 * (one model per category) and the learned router (one model per query) — and the knob's calibration
 * is the upper hull of their cross-validated (cost, accuracy): the frontier takes each family where it
 * is better (the learned cascade where prompts tell models apart, the policies where only the category
 * does, a single model where no cascade pays). Every choice is made on the
 * training records' folds; nothing else is read.
 */
export function trainSwitchyard(context: TrainingContext, options: SwitchyardTrainingOptions = {}): TrainedSwitchyard {
  const cascade: LearnedCascadeSettings = { ...LEARNED_CASCADE_DEFAULTS, ...options.cascade };
  const search: PolicySearchOptions = { ...POLICY_SEARCH_DEFAULTS, ...options.policy };
  const { pool, records, folds } = context;
  const prices = PRICE_OF_ACCURACY_SETTINGS;

  const views = records.map((record, index) => queryViewOf(context, record, context.outOfFoldPriors[index] ?? {}));
  const cascadeCounts = new FoldCounts(folds);
  const policyCounts = new FoldCounts(folds);
  records.forEach((record, index) => {
    for (const example of learnedCascadeExamples(record, views[index] as CascadeQueryView, pool, cascade)) {
      cascadeCounts.add(example, record.fold);
    }
    forEachPolicyExampleKeys(record, pool, search.maxReferences, (keys, correct) =>
      policyCounts.addKeys(keys, correct, record.fold),
    );
  });

  // The learned cascade, out of fold: each record planned and judged by a calibration without its fold.
  const cascadeSums = prices.map(() => ({ correct: 0, costUsd: 0 }));
  const cascadeByCategory = new Map<string, { correct: number; costUsd: number }[]>();
  records.forEach((record, index) => {
    const counts = cascadeCounts.withoutFolds([record.fold]);
    const score = (pattern: AgreementPattern) => scoreAgreementPattern(counts, pattern);
    const view = views[index] as CascadeQueryView;
    const memo = new Map<string, { correct: boolean; costUsd: number }>();
    prices.forEach((price, setting) => {
      const { stages, referenceModels } = planLearnedCascade(view, counts, price, cascade);
      const key = JSON.stringify([stages, referenceModels]);
      let outcome = memo.get(key);
      if (outcome === undefined) {
        outcome = simulatePlan(learnedCascadePlan(record, view, stages, referenceModels), record, pool, score);
        memo.set(key, outcome);
      }
      const sums = cascadeSums[setting] as { correct: number; costUsd: number };
      sums.correct += outcome.correct ? 1 : 0;
      sums.costUsd += outcome.costUsd;
      let perCategory = cascadeByCategory.get(record.category);
      if (perCategory === undefined) {
        perCategory = prices.map(() => ({ correct: 0, costUsd: 0 }));
        cascadeByCategory.set(record.category, perCategory);
      }
      const category = perCategory[setting] as { correct: number; costUsd: number };
      category.correct += outcome.correct ? 1 : 0;
      category.costUsd += outcome.costUsd;
    });
  });

  // Per-category policies, nested out of fold.
  const candidates = candidatePolicies(pool.models.length, search.maxReferences);
  const byCategory = new Map<string, CategoryPolicies>();
  for (const category of context.stats.categories) {
    byCategory.set(
      category,
      searchCategoryPolicies({
        category,
        records: records.filter((record) => record.category === category),
        pool: pool.models,
        folds,
        counts: policyCounts,
        stats: (excluded) => context.stats.withoutFolds(excluded),
        accuracyPerUsd: prices,
        candidates,
        options: search,
      }),
    );
  }

  // Settings: the learned cascade at every price, then the policies at every price, then per category
  // the better of the two at every price. The knob's hull keeps whichever points are on the frontier.
  const count = records.length;
  const settings: SwitchyardSetting[] = [];
  const accuracyPerUsd: number[] = [];
  const report: SettingReport[] = [];
  const points: { setting: number; costUsd: number; accuracy: number }[] = [];
  prices.forEach((price, index) => {
    const sums = cascadeSums[index] as { correct: number; costUsd: number };
    settings.push({ family: 'learned-cascade' });
    accuracyPerUsd.push(price);
    points.push({ setting: points.length, costUsd: sums.costUsd / count, accuracy: sums.correct / count });
  });
  prices.forEach((price, index) => {
    let correct = 0;
    let costUsd = 0;
    const policies: Record<string, ReturnType<typeof policyOf>> = {};
    for (const [category, result] of byCategory) {
      correct += result.outOfFold[index]?.correct ?? 0;
      costUsd += result.outOfFold[index]?.costUsd ?? 0;
      const chosen = result.chosen[index];
      if (chosen !== undefined) policies[category] = policyOf(chosen, pool.models, context.allStats, category, price);
    }
    settings.push({ family: 'policy', policies });
    accuracyPerUsd.push(price);
    points.push({ setting: points.length, costUsd: costUsd / count, accuracy: correct / count });
  });
  // Mixed: per category, whichever of the learned cascade, the category's policy and the taxonomy
  // router's model is better at this price on that category's records.
  const taxonomyByCategory = taxonomyOutOfFoldByCategory(context);
  prices.forEach((price, index) => {
    let correct = 0;
    let costUsd = 0;
    const policies: Record<string, ReturnType<typeof policyOf>> = {};
    const value = (sums: { correct: number; costUsd: number }) => sums.correct - price * sums.costUsd;
    for (const [category, result] of byCategory) {
      const learned = cascadeByCategory.get(category)?.[index] ?? { correct: 0, costUsd: 0 };
      let best = learned;
      let policy: ReturnType<typeof policyOf> | undefined;
      const chosen = result.chosen[index];
      const searched = result.outOfFold[index];
      if (chosen !== undefined && searched !== undefined && value(searched) > value(best) + 1e-9) {
        best = searched;
        policy = policyOf(chosen, pool.models, context.allStats, category, price);
      }
      const single = taxonomyByCategory.get(category)?.[index];
      if (single !== undefined && value(single) > value(best) + 1e-9) {
        best = single;
        const model = chooseTaxonomyModel(pool.models, statsForCategory(context.allStats, category), price);
        policy = { stages: [{ model, acceptThreshold: 0 }], referenceModels: [] };
      }
      if (policy !== undefined) policies[category] = policy;
      correct += best.correct;
      costUsd += best.costUsd;
    }
    settings.push({ family: 'policy', policies });
    accuracyPerUsd.push(price);
    points.push({ setting: points.length, costUsd: costUsd / count, accuracy: correct / count });
  });
  // The taxonomy router (per category the model with the best accuracy − λ × cost) and the learned
  // router (one model per query): Switchyard's frontier includes theirs.
  const taxonomy = taxonomyOutOfFold(context);
  prices.forEach((price, index) => {
    const sums = taxonomy[index] as { correct: number; costUsd: number };
    const policies: Record<string, ReturnType<typeof policyOf>> = {};
    for (const category of context.stats.categories) {
      const model = chooseTaxonomyModel(pool.models, statsForCategory(context.allStats, category), price);
      policies[category] = { stages: [{ model, acceptThreshold: 0 }], referenceModels: [] };
    }
    settings.push({ family: 'policy', policies });
    accuracyPerUsd.push(price);
    points.push({ setting: points.length, costUsd: sums.costUsd / count, accuracy: sums.correct / count });
  });
  const learnedRouter = learnedRouterOutOfFold(context);
  prices.forEach((price, index) => {
    const sums = learnedRouter[index] as { correct: number; costUsd: number };
    settings.push({ family: 'learned-router' });
    accuracyPerUsd.push(price);
    points.push({ setting: points.length, costUsd: sums.costUsd / count, accuracy: sums.correct / count });
  });
  const familyOf = (setting: number): SettingReport['family'] =>
    (['learned-cascade', 'policy', 'mixed', 'taxonomy', 'learned-router'] as const)[
      Math.floor(setting / prices.length)
    ] ?? 'policy';
  for (const [setting, point] of points.entries()) {
    report.push({
      setting,
      accuracyPerUsd: accuracyPerUsd[setting] as number,
      family: familyOf(setting),
      accuracy: point.accuracy,
      costUsd: point.costUsd,
    });
  }

  const artifact: SwitchyardArtifact = {
    kind: 'switchyard',
    version: 3,
    pool: [...pool.models],
    accuracyPerUsd,
    knob: calibrateKnob(points, singleModelPerformance(context).best),
    ...(context.answerTypeClassifier === undefined ? {} : { answerTypeClassifier: context.answerTypeClassifier }),
    stats: context.allStats,
    categoryClassifier: context.categoryClassifier,
    learned: { router: context.learnedRouter, ...cascade },
    calibration: cascadeCounts.toCalibration(LEARNED_CASCADE_VERIFIER),
    policyCalibration: policyCounts.toCalibration(POLICY_VERIFIER),
    settings,
    trainedOn: context.trainedOn,
  };
  return { artifact, settings: report };
}

/** The learned cascade's view of a training record, with the given priors and the category's costs. */
function queryViewOf(
  context: TrainingContext,
  record: PreparedRecord,
  priors: Record<string, number>,
): CascadeQueryView {
  const categoryStats = statsForCategory(context.allStats, record.category);
  const costs: Record<string, number> = {};
  for (const model of context.pool.models) {
    const stats = categoryStats[model] ?? context.allStats.overall[model];
    if (stats !== undefined) costs[model] = stats.costUsd;
  }
  return { pool: context.pool.models, priors, costs, category: record.category };
}

function learnedCascadePlan(
  record: PreparedRecord,
  view: CascadeQueryView,
  stages: Plan['stages'],
  referenceModels: string[],
): Plan {
  return {
    version: 1,
    router: 'learned-cascade',
    ...(view.category === undefined ? {} : { category: view.category }),
    answerType: record.answerType,
    stages,
    judges: [{ kind: 'verifier', verifierId: LEARNED_CASCADE_VERIFIER, referenceModels, previousStages: true }],
    aggregation: 'mean',
    acceptThreshold: 1,
  };
}
