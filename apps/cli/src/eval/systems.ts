import {
  type AgreementCalibration,
  accuracyPerUsdForQuality,
  artifactCategory,
  artifactVerifier,
  type CascadeContext,
  type CategoryClassifier,
  CoreError,
  chooseStages,
  classifyCategory,
  createArtifactRouter,
  createFixedRouter,
  createLearnedRouter,
  crossFitCorrectness,
  LEARNED_CASCADE_DEFAULTS,
  type LearnedCascadeSettings,
  type LearnedRouterExample,
  type LearnedRouterModel,
  learnedCascadeTrainingPlans,
  llmAcceptThresholdForQuality,
  type ModelPerformance,
  measureCategoryStats,
  nextTierAgreement,
  type Plan,
  plannedCall,
  type Router,
  type SwitchyardArtifact,
  statsForCategory,
  sumUsd,
  trainAgreementCalibration,
  trainCategoryClassifier,
  trainLearnedRouter,
  usdFromNumber,
} from '@switchyard/core';
import type { BenchRecord, DatasetModel } from '@switchyard/datasets';
import { compareCallKeys } from './call-order.js';
import type { CallExecutor } from './executor.js';
import { learnCalibration } from './learn-calibration.js';
import { runCascade } from './run-cascade.js';

export type SystemKind = 'single' | 'oracle' | 'taxonomy' | 'learned' | 'cascade' | 'switchyard';

/** What a system did for one query. */
export interface SystemAnswer {
  answerFrom: string | null;
  /** Every model whose recorded response was used (answers and judge references), in order of use. */
  calls: string[];
  /** LLM judge verdicts used, as `judge>answer model` (their recorded costs are in `costUsd`). */
  judgeCalls?: string[];
  /** Sum of the costs of those responses, decimal USD. */
  costUsd: string;
  /** The cascade outcome, or 'oracle'. */
  outcome: string;
}

/** A system under evaluation, already trained on the training records. */
export interface EvalSystem {
  name: string;
  kind: SystemKind;
  setting?: string;
  /** Switchyard rows: the knob position, with which the trained artifact routes (also in --distributed). */
  quality?: number;
  answer(record: BenchRecord, execute: CallExecutor): Promise<SystemAnswer>;
}

/** Everything learned from training records, reported in report.json so a run can be inspected. */
export interface TrainedSystems {
  systems: EvalSystem[];
  /** Name of the switchyard system at the default knob position. */
  defaultSystem: string;
  learned: {
    paretoPool: string[];
    referenceModels: string[];
    performance: ModelPerformance[];
    /** Size of the learned calibration (number of pattern keys). */
    calibrationKeys: number;
    /** What a worker needs to route as the Switchyard rows do. */
    artifact: SwitchyardArtifact;
    /** The taxonomy row's prompt → category classifier (plain JSON). */
    categoryClassifier: CategoryClassifier;
    /** The learned rows' per-model P(correct | prompt) predictors and mean costs (plain JSON). */
    learnedRouter: LearnedRouterModel;
  };
}

/** Per-model accuracy and mean recorded cost over records. */
export function measurePerformance(
  records: readonly BenchRecord[],
  models: readonly DatasetModel[],
): ModelPerformance[] {
  return models.map((model) => {
    let correct = 0;
    let cost = 0;
    for (const record of records) {
      const response = record.responses[model.id];
      if (response?.correct) correct += 1;
      cost += response?.costUsd ?? 0;
    }
    return { model: model.id, accuracy: correct / records.length, costPerQueryUsd: cost / records.length };
  });
}

/** Runs a router's plan for the record through the executor: the eval path of every real system. */
function planSystem(
  name: string,
  kind: SystemKind,
  router: Router,
  setting?: string,
  context: CascadeContext = {},
): EvalSystem {
  return {
    name,
    kind,
    ...(setting === undefined ? {} : { setting }),
    async answer(record, execute) {
      // The dataset's category label is not given: routers that need a category classify the prompt.
      const plan: Plan = router({ answerType: record.answerType, prompt: record.prompt });
      const { finish, observations } = await runCascade(
        plan,
        { id: record.id, prompt: record.prompt },
        execute,
        context,
      );
      const calls: string[] = [];
      const judgeCalls: string[] = [];
      // In call order (what the ledger of a distributed run gives back too).
      for (const observation of [...observations].sort(compareCallKeys)) {
        if (!observation.ok) continue;
        const planned = plannedCall(plan, observation.stage, observation.role, observation.slot);
        if (planned?.kind === 'llm-judge') {
          const judged = plannedCall(plan, observation.stage, 'answer', 0)?.model ?? '?';
          judgeCalls.push(`${observation.model}>${judged}`);
        } else if (!calls.includes(observation.model)) calls.push(observation.model);
      }
      return {
        answerFrom: finish.answerFrom,
        calls,
        ...(judgeCalls.length > 0 ? { judgeCalls } : {}),
        costUsd: sumUsd(observations.map((observation) => observation.costUsd)),
        outcome: finish.outcome,
      };
    },
  };
}

/** The judge models whose verdicts the records hold, in order of first appearance. */
function recordedJudges(records: readonly BenchRecord[]): string[] {
  const judges: string[] = [];
  for (const record of records) {
    for (const response of Object.values(record.responses)) {
      for (const judge of Object.keys(response.judges ?? {})) if (!judges.includes(judge)) judges.push(judge);
    }
  }
  return judges;
}

/**
 * The oracle: per query, the cheapest model that is correct, or the cheapest model if none is. It reads the labels, so it is an upper bound, not a system.
 */
function oracleSystem(models: readonly DatasetModel[]): EvalSystem {
  return {
    name: 'oracle',
    kind: 'oracle',
    setting: 'cheapest correct model per query; cheapest model if none is correct',
    async answer(record) {
      // Cheapest by this query's recorded cost (tier order breaks ties), as in the dataset READMEs.
      const byCost = [...models].sort(
        (a, b) => (record.responses[a.id]?.costUsd ?? 0) - (record.responses[b.id]?.costUsd ?? 0) || a.tier - b.tier,
      );
      const chosen = byCost.find((model) => record.responses[model.id]?.correct) ?? byCost[0];
      if (chosen === undefined) throw new Error('empty pool');
      return {
        answerFrom: chosen.id,
        calls: [chosen.id],
        costUsd: usdFromNumber(record.responses[chosen.id]?.costUsd ?? 0),
        outcome: 'oracle',
      };
    },
  };
}

const VERIFIER_ID = 'agreement-calibration';

/** Options of {@link trainSystems}. */
export interface TrainOptions {
  qualities: readonly number[];
  defaultQuality: number;
  /** Choose Switchyard's stages per query category (taxonomy) rather than once; default true. */
  perCategory?: boolean;
  /** Recorded in the artifact's `trainedOn`. */
  trainFile?: string;
  /**
   * Switchyard's router: 'learned-cascade' (default; artifact version 2, `createLearnedCascadeRouter`)
   * or the earlier 'calibrated' cascade (version 1, `createCalibratedRouter`), kept for comparison.
   */
  router?: 'learned-cascade' | 'calibrated';
  /** The learned cascade's planner settings (default `LEARNED_CASCADE_DEFAULTS`). */
  cascade?: Partial<LearnedCascadeSettings>;
  /** Folds of the out-of-fold learned predictions the calibration is trained with (default 5). */
  crossFitFolds?: number;
}

/**
 * Builds every system from the training records only: per-category statistics, the stages and
 * references, the agreement calibration, the prompt category classifier (taxonomy row) and the learned
 * router (learned rows) are learned here; the test records are never seen.
 */
export async function trainSystems(
  train: readonly BenchRecord[],
  models: readonly DatasetModel[],
  options: TrainOptions,
  execute: CallExecutor,
): Promise<TrainedSystems> {
  const pool = models.map((model) => model.id);
  const performance = measurePerformance(train, models);
  const stats = measureCategoryStats(
    train.flatMap((record) =>
      pool.map((model) => ({
        category: record.category,
        model,
        correct: record.responses[model]?.correct === true,
        costUsd: record.responses[model]?.costUsd ?? 0,
      })),
    ),
  );
  const perCategory = options.perCategory ?? true;
  const categoryClassifier = trainCategoryClassifier(
    train.map((record) => ({ prompt: record.prompt, category: record.category })),
  );
  const learnedExamples: LearnedRouterExample[] = train.map((record) => ({
    prompt: record.prompt,
    outcomes: pool.map((model) => ({
      model,
      correct: record.responses[model]?.correct === true,
      costUsd: record.responses[model]?.costUsd ?? 0,
    })),
  }));
  // The learned rows' router, and (version 2) the learned cascade's per-query priors.
  const learnedRouter = trainLearnedRouter(learnedExamples);
  const routerKind = options.router ?? 'learned-cascade';
  const settings: LearnedCascadeSettings = { ...LEARNED_CASCADE_DEFAULTS, ...options.cascade };
  // The document a worker loads from router_artifacts: eval's Switchyard rows route with exactly it.
  const untrained: SwitchyardArtifact = {
    version: routerKind === 'learned-cascade' ? 2 : 1,
    kind: 'switchyard',
    pool,
    perCategory,
    verifierId: VERIFIER_ID,
    stats,
    calibration: trainAgreementCalibration([], { id: VERIFIER_ID }),
    categoryClassifier,
    ...(routerKind === 'learned-cascade' ? { learned: { router: learnedRouter, ...settings } } : {}),
    trainedOn: { file: options.trainFile ?? '(in memory)', records: train.length },
  };
  let calibration: AgreementCalibration;
  if (routerKind === 'learned-cascade') {
    // Training plans are shaped by priors the calibration's records were not trained on (out of fold),
    // like the priors of new queries: in-sample ones are overconfident.
    const priors = crossFitCorrectness(learnedExamples, { folds: options.crossFitFolds ?? 5 });
    const index = new Map(train.map((record, position) => [record, position]));
    calibration = await learnCalibration(
      train,
      (record) => {
        // The category the router will see at query time: the classifier's, not the label.
        const category = artifactCategory(untrained, { prompt: record.prompt });
        const categoryStats = statsForCategory(stats, category);
        const costs = Object.fromEntries(pool.map((model) => [model, categoryStats[model]?.costUsd ?? 0]));
        const view = {
          pool,
          priors: priors[index.get(record) as number] ?? {},
          costs,
          ...(category === undefined ? {} : { category }),
        };
        return learnedCascadeTrainingPlans(view, { verifierId: VERIFIER_ID, answerType: record.answerType, settings });
      },
      execute,
      { id: VERIFIER_ID, referenceSubsets: true },
    );
  } else {
    // The calibrated cascade's own plans at quality 1 reach every stage.
    const router = createArtifactRouter(untrained, { quality: 1 });
    calibration = await learnCalibration(
      train,
      (record) => [router({ answerType: record.answerType, prompt: record.prompt })],
      execute,
      { id: VERIFIER_ID },
    );
  }
  const artifact: SwitchyardArtifact = { ...untrained, calibration };
  const context: CascadeContext = { scoreVerifier: artifactVerifier(artifact) };

  const systems: EvalSystem[] = pool.map((model) =>
    planSystem(model, 'single', createFixedRouter({ models: pool, subset: [model], judges: [] })),
  );
  systems.push(oracleSystem(models));
  systems.push(
    planSystem(
      'taxonomy',
      'taxonomy',
      (query) => {
        if (query.prompt === undefined) throw new CoreError('taxonomy router: the query has no prompt to classify');
        // The record's own category label is not used: the classifier reads the prompt.
        const { category } = classifyCategory(categoryClassifier, query.prompt);
        const categoryStats = statsForCategory(stats, category);
        // The most accurate model of the predicted category on train; the cheaper one on a tie.
        const best = pool.reduce((chosen, model) =>
          (categoryStats[model]?.accuracy ?? 0) > (categoryStats[chosen]?.accuracy ?? 0) ? model : chosen,
        );
        const fixed = createFixedRouter({ models: pool, subset: [best], judges: [] });
        return { ...fixed({ answerType: query.answerType, category }), router: 'taxonomy' };
      },
      'most accurate model on train of the category that a prompt classifier (trained on train) predicts, no cascade',
    ),
  );
  systems.push(
    planSystem(
      'cascade',
      'cascade',
      createFixedRouter({ models: pool, judges: nextTierAgreement(1), acceptThreshold: 1 }),
      'fixed router, all models, accept when the next tier agrees',
    ),
  );
  // With LLM judge verdicts recorded in the dataset: the same cascade judged by that panel instead.
  const judgePanel = recordedJudges(train);
  if (judgePanel.length > 0) {
    const threshold = llmAcceptThresholdForQuality(options.defaultQuality);
    const fixed = createFixedRouter({ models: pool, judges: [] });
    systems.push(
      planSystem(
        'cascade llm-judges',
        'cascade',
        (query) => ({
          ...fixed(query),
          judges: [{ kind: 'llm', models: judgePanel }],
          aggregation: 'min',
          acceptThreshold: threshold,
          setting: 'llm judges',
        }),
        `fixed router, all models, accept when every recorded LLM judge (${judgePanel.join(', ')}) passes at ≥ ${threshold}`,
      ),
    );
  }
  let defaultSystem = '';
  for (const quality of options.qualities) {
    const name = `switchyard q=${quality}`;
    if (quality === options.defaultQuality) defaultSystem = name;
    systems.push({
      quality,
      ...planSystem(
        name,
        'switchyard',
        createArtifactRouter(artifact, { quality }),
        routerKind === 'learned-cascade'
          ? `quality=${quality}: learned cascade: per-query Pareto stages by learned P(correct | prompt), starting at the learned pick, references bought by value of information, calibrated agreement verifier, ${accuracyPerUsdForQuality(quality).toPrecision(3)} accuracy/USD`
          : `quality=${quality}: ${perCategory ? 'per-category' : 'global'} Pareto stages, calibrated agreement verifier, ${accuracyPerUsdForQuality(quality).toPrecision(3)} accuracy/USD`,
        context,
      ),
    });
  }
  for (const quality of options.qualities) {
    systems.push(
      planSystem(
        `learned q=${quality}`,
        'learned',
        createLearnedRouter({ model: learnedRouter, pool, quality }),
        `quality=${quality}: one model per query, max P(correct | prompt) − ${accuracyPerUsdForQuality(quality).toPrecision(3)}/USD × its mean cost; per-model logistic regression on hashed prompt features`,
      ),
    );
  }
  const overall = chooseStages(pool, stats.overall);
  return {
    systems,
    defaultSystem,
    learned: {
      paretoPool: overall.stages,
      referenceModels: overall.referenceModels,
      performance,
      calibrationKeys: Object.keys(calibration.counts).length,
      artifact,
      categoryClassifier,
      learnedRouter,
    },
  };
}
