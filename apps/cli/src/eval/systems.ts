import {
  artifactAnswerType,
  artifactVerifier,
  type CascadeContext,
  createArtifactRouter,
  createFixedRouter,
  FIXED_ROUTER_KNOB,
  inferAnswerType,
  type KnobCalibration,
  type KnobRequest,
  llmAcceptThresholdForQuality,
  type Plan,
  plannedCall,
  QUALITY_PRESETS,
  type Router,
  type RouterArtifact,
  resolveKnob,
  type SwitchyardArtifact,
  sumUsd,
  usdFromNumber,
} from '@switchyard/core';
import type { BenchRecord, DatasetModel } from '@switchyard/datasets';
import { type SettingReport, type TrainingRecord, trainRouters } from '@switchyard/training';
import { compareCallKeys } from './call-order.js';
import type { CallExecutor } from './executor.js';
import { runCascade } from './run-cascade.js';

export type SystemKind = 'single' | 'oracle' | 'taxonomy' | 'learned' | 'cascade' | 'agreement' | 'switchyard';

/** The kinds whose frontier areas the report compares (every kind that is a router). */
export const ROUTER_KINDS: readonly SystemKind[] = ['switchyard', 'learned', 'taxonomy', 'cascade', 'agreement'];

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
  /** Knob rows: what the knob was asked (Switchyard rows are also run through the queues with it). */
  knob?: KnobRequest;
  answer(record: BenchRecord, execute: CallExecutor): Promise<SystemAnswer>;
}

/** Everything learned from training records, reported in report.json so a run can be inspected. */
export interface TrainedSystems {
  systems: EvalSystem[];
  /** Name of the Switchyard system at the default knob (`match`). */
  defaultSystem: string;
  learned: {
    /** What a worker needs to route as the Switchyard rows do. */
    artifact: SwitchyardArtifact;
    /** Each trained kind's knob calibration (cross-validated inside the training records). */
    knobs: Record<'switchyard' | 'taxonomy' | 'learned', KnobCalibration>;
    /** Switchyard's settings as training measured them. */
    settings: SettingReport[];
    /** The agreement baselines' models. */
    baselines: { name: string; cheap: string[]; fallback: string }[];
  };
}

/** Options of {@link trainSystems}. */
export interface TrainOptions {
  /** Knob positions of every knob router (taxonomy, learned, cascade, Switchyard). */
  qualities: readonly number[];
  /** Switchyard rows at these target costs per query (`targetCostUsd`). */
  targetCostsUsd?: readonly number[];
  /** Recorded in the artifact's `trainedOn`. */
  trainFile?: string;
}

/** The dataset's records as training records (the dataset labels are the training labels). */
export function trainingRecordsOf(records: readonly BenchRecord[]): TrainingRecord[] {
  return [...records];
}

/** Runs a router's plan for the record through the executor: the eval path of every real system. */
function planSystem(
  name: string,
  kind: SystemKind,
  router: Router,
  options: { setting?: string; knob?: KnobRequest; context?: CascadeContext; artifact?: RouterArtifact } = {},
): EvalSystem {
  return {
    name,
    kind,
    ...(options.setting === undefined ? {} : { setting: options.setting }),
    ...(options.knob === undefined ? {} : { knob: options.knob }),
    async answer(record, execute) {
      // What a worker knows about a query: its prompt. The dataset's category and answer type are not
      // given; both are inferred as workers infer them (`artifactAnswerType`, `inferAnswerType`).
      const answerType =
        options.artifact === undefined
          ? inferAnswerType(record.prompt)
          : artifactAnswerType(options.artifact, record.prompt);
      const plan: Plan = router({ answerType, prompt: record.prompt });
      const { finish, observations } = await runCascade(
        plan,
        { id: record.id, prompt: record.prompt },
        execute,
        options.context ?? {},
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
 * The oracle: per query, the cheapest model that is correct, or the cheapest model if none is. It reads
 * the labels, so it is an upper bound, not a system.
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

/** The knob requests of a knob router's rows: every quality, and for Switchyard the presets and targets. */
function knobRows(
  prefix: string,
  qualities: readonly number[],
  extra: { presets?: boolean; targetCostsUsd?: readonly number[] } = {},
): { name: string; knob: KnobRequest }[] {
  return [
    ...qualities.map((quality) => ({ name: `${prefix} q=${quality}`, knob: { quality } })),
    ...(extra.presets
      ? QUALITY_PRESETS.map((preset) => ({ name: `${prefix} ${preset}`, knob: { quality: preset } }))
      : []),
    ...(extra.targetCostsUsd ?? []).map((targetCostUsd) => ({
      name: `${prefix} target=${targetCostUsd}`,
      knob: { targetCostUsd },
    })),
  ];
}

/** How a knob request resolved, for the report. */
function describeKnob(calibration: KnobCalibration, knob: KnobRequest): string {
  const resolved = resolveKnob(calibration, knob);
  const expected =
    resolved.expected === undefined
      ? ''
      : `; training CV expects ${(resolved.expected.accuracy * 100).toFixed(2)} % at ${resolved.expected.costUsd.toExponential(3)} USD`;
  const mix =
    resolved.lower === resolved.upper
      ? `setting ${resolved.lower}`
      : `settings ${resolved.lower}/${resolved.upper} mixed ${(1 - resolved.upperWeight).toFixed(3)}/${resolved.upperWeight.toFixed(3)}`;
  return `${resolved.label}: ${mix}${expected}`;
}

/**
 * Builds every system from the training records only (`@switchyard/training`'s `trainRouters`): the
 * Switchyard, taxonomy and learned artifacts with their knob calibrations, and the agreement baselines.
 * The test records are never seen.
 */
export function trainSystems(
  train: readonly BenchRecord[],
  models: readonly DatasetModel[],
  options: TrainOptions,
): TrainedSystems {
  const pool = models.map((model) => model.id);
  const trained = trainRouters(trainingRecordsOf(train), pool, {
    ...(options.trainFile === undefined ? {} : { trainFile: options.trainFile }),
  });
  const switchyard = trained.switchyard.artifact;
  const systems: EvalSystem[] = pool.map((model) =>
    planSystem(model, 'single', createFixedRouter({ models: pool, subset: [model], judges: [] })),
  );
  systems.push(oracleSystem(models));
  for (const { name, knob } of knobRows('taxonomy', options.qualities)) {
    systems.push(
      planSystem(name, 'taxonomy', createArtifactRouter(trained.taxonomy, { knob }), {
        knob,
        artifact: trained.taxonomy,
        setting: `most accurate model per classified category at the price of accuracy; ${describeKnob(trained.taxonomy.knob, knob)}`,
      }),
    );
  }
  for (const { name, knob } of knobRows('learned', options.qualities)) {
    systems.push(
      planSystem(name, 'learned', createArtifactRouter(trained.learned, { knob }), {
        knob,
        artifact: trained.learned,
        setting: `one model per query, max P(correct | prompt) − price × mean cost; ${describeKnob(trained.learned.knob, knob)}`,
      }),
    );
  }
  for (const { name, knob } of knobRows('cascade', options.qualities)) {
    systems.push(
      planSystem(name, 'cascade', createFixedRouter({ models: pool, knob }), {
        knob,
        setting: 'fixed cascade over the whole pool, accept when the next tiers agree (uncalibrated knob)',
      }),
    );
  }
  // With LLM judge verdicts recorded in the dataset: the fixed cascade judged by that panel instead, at
  // the fixed router's default knob position.
  const judgePanel = recordedJudges(train);
  if (judgePanel.length > 0) {
    const threshold = llmAcceptThresholdForQuality(resolveKnob(FIXED_ROUTER_KNOB).quality);
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
        {
          setting: `fixed router, all models, accept when every recorded LLM judge (${judgePanel.join(', ')}) passes at ≥ ${threshold}`,
        },
      ),
    );
  }
  for (const baseline of trained.baselines) {
    systems.push(
      planSystem(baseline.name, 'agreement', baseline.router, { setting: baseline.setting, artifact: switchyard }),
    );
  }
  const context: CascadeContext = { scoreVerifier: artifactVerifier(switchyard) };
  let defaultSystem = '';
  for (const { name, knob } of knobRows('switchyard', options.qualities, {
    presets: true,
    ...(options.targetCostsUsd === undefined ? {} : { targetCostsUsd: options.targetCostsUsd }),
  })) {
    if (knob.quality === 'match') defaultSystem = name;
    systems.push(
      planSystem(name, 'switchyard', createArtifactRouter(switchyard, { knob }), {
        knob,
        context,
        artifact: switchyard,
        setting: describeKnob(switchyard.knob, knob),
      }),
    );
  }
  return {
    systems,
    defaultSystem,
    learned: {
      artifact: switchyard,
      knobs: { switchyard: switchyard.knob, taxonomy: trained.taxonomy.knob, learned: trained.learned.knob },
      settings: trained.switchyard.settings,
      baselines: trained.baselines.map(({ name, cheap, fallback }) => ({ name, cheap, fallback })),
    },
  };
}
