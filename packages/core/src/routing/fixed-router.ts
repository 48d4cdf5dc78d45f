import type { AnswerType } from '../answers/answer-type.js';
import type { Plan } from '../cascade/plan.js';
import { CoreError } from '../errors.js';
import type { Aggregation, JudgeSpec } from '../judges/judge-spec.js';
import {
  type KnobCalibration,
  type KnobRequest,
  llmAcceptThresholdForQuality,
  pickSetting,
  resolveKnob,
  uncalibratedKnob,
} from './quality-knob.js';

/** What a router knows about a query before any model call. */
export interface RoutingQuery {
  answerType: AnswerType;
  /** Known query class (from the submitter or a classifier), if any. */
  category?: string;
  /** The prompt text, for routers that learn from it (the learned routers need it; the knob mixes by it). */
  prompt?: string;
}

/** A router: query → plan. Pure. */
export type Router = (query: RoutingQuery) => Plan;

/** Configuration of {@link createFixedRouter}. */
export interface FixedRouterConfig {
  /** The pool, cheapest → most expensive. */
  models: readonly string[];
  /** Use only these pool models (kept in pool order); default all. */
  subset?: readonly string[];
  /** The knob (see `resolveKnob`); ignored when `judges` is given. */
  knob?: KnobRequest;
  /** Explicit judges instead of the knob's (e.g. agreement with the next tier only). */
  judges?: JudgeSpec[];
  acceptThreshold?: number;
  maxCostUsd?: number;
  /**
   * The LLM judge panel (registry models with the `judge` role). When given, queries whose answers
   * cannot be extracted and compared (`literal`: writing, summaries, explanations) are judged by the
   * panel instead of by agreement: every panel model must give a valid verdict (quorum) and the
   * lowest score must reach `llmAcceptThresholdForQuality` at the knob's position. Other answer types
   * keep the cheap agreement judges. Ignored when `judges` is given.
   */
  judgePanel?: readonly string[];
  /**
   * How the panel's verdicts make the stage's confidence (`SWITCHYARD_JUDGE_AGGREGATION`): `min` (the
   * default: every judge must be confident), `mean`, or `majority`.
   */
  judgeAggregation?: Aggregation;
}

/**
 * The fixed cascade's settings, cheapest first: a stage is accepted when every reference agrees; the
 * references are the next 1, 1, 2, 3 stages' models, and the cheapest setting also leaves out the most
 * expensive model.
 */
const FIXED_SETTINGS: readonly { nextStages: number; dropMostExpensive: boolean }[] = [
  { nextStages: 1, dropMostExpensive: true },
  { nextStages: 1, dropMostExpensive: false },
  { nextStages: 2, dropMostExpensive: false },
  { nextStages: 3, dropMostExpensive: false },
];

/**
 * The fixed cascade's knob: its settings in cost order, not measured (it has no training data), so a
 * quality is a position among them and `targetCostUsd` is refused.
 */
export const FIXED_ROUTER_KNOB: KnobCalibration = uncalibratedKnob(FIXED_SETTINGS.length);

/**
 * The first router: the same cascade over the configured pool for every query. By default each stage is
 * judged by agreement with the next-tier models (whose answers are then reused if it escalates); the knob
 * chooses how many must agree (see {@link FIXED_SETTINGS}).
 */
export function createFixedRouter(config: FixedRouterConfig): Router {
  const pool = config.subset ? config.models.filter((model) => config.subset?.includes(model)) : [...config.models];
  const unknown = (config.subset ?? []).filter((model) => !config.models.includes(model));
  if (unknown.length > 0) throw new CoreError(`fixed router: not in the pool: ${unknown.join(', ')}`);
  if (pool.length === 0) throw new CoreError('fixed router: empty pool');
  const resolved = resolveKnob(FIXED_ROUTER_KNOB, config.knob);
  const panel = config.judges ? [] : [...(config.judgePanel ?? [])];
  return (query) => {
    const llm = panel.length > 0 && query.answerType === 'literal';
    const setting = FIXED_SETTINGS[pickSetting(resolved, query.prompt ?? '')] ?? FIXED_SETTINGS[0];
    const { nextStages, dropMostExpensive } = setting as (typeof FIXED_SETTINGS)[number];
    const stages = (dropMostExpensive && !config.judges && pool.length > 1 ? pool.slice(0, -1) : pool).map((model) => ({
      model,
    }));
    return {
      version: 1,
      router: 'fixed',
      ...(query.category === undefined ? {} : { category: query.category }),
      answerType: query.answerType,
      stages,
      judges: llm
        ? [{ kind: 'llm', models: panel }]
        : (config.judges ?? [{ kind: 'agreement', referenceModels: [], nextStages }]),
      aggregation: llm ? (config.judgeAggregation ?? 'min') : 'mean',
      acceptThreshold: config.acceptThreshold ?? (llm ? llmAcceptThresholdForQuality(resolved.quality) : 1),
      ...(config.maxCostUsd === undefined ? {} : { maxCostUsd: config.maxCostUsd }),
      setting: config.judges ? 'custom' : llm ? `${resolved.label}, llm judges` : resolved.label,
    };
  };
}

/** Agreement with the next `count` tiers: the cascade-alone judge. */
export function nextTierAgreement(count = 1): JudgeSpec[] {
  return [{ kind: 'agreement', referenceModels: [], nextStages: count }];
}
