import type { AnswerType } from '../answers/answer-type.js';
import type { Plan } from '../cascade/plan.js';
import { CoreError } from '../errors.js';
import type { JudgeSpec } from '../judges/judge-spec.js';
import { llmAcceptThresholdForQuality, settingsForQuality } from './quality-knob.js';

/** What a router knows about a query before any model call. */
export interface RoutingQuery {
  answerType: AnswerType;
  /** Known query class (from the submitter or a classifier), if any. */
  category?: string;
  /** The prompt text, for routers that learn from it (the learned router needs it). */
  prompt?: string;
}

/** Configuration of {@link createFixedRouter}. */
export interface FixedRouterConfig {
  /** The pool, cheapest → most expensive. */
  models: readonly string[];
  /** Use only these pool models (kept in pool order); default all. */
  subset?: readonly string[];
  /** Knob position in [0,1]; see `settingsForQuality`. Ignored when `judges` is given. */
  quality?: number;
  /** Explicit judges instead of the knob's (e.g. agreement with the next tier only). */
  judges?: JudgeSpec[];
  acceptThreshold?: number;
  maxCostUsd?: number;
  /**
   * The LLM judge panel (registry models with the `judge` role). When given, queries whose answers
   * cannot be extracted and compared (`literal`: writing, summaries, explanations) are judged by the
   * panel instead of by agreement: every panel model must give a valid verdict (quorum) and the
   * lowest score must reach `llmAcceptThresholdForQuality(quality)`. Other answer types keep the
   * cheap agreement judges. Ignored when `judges` is given.
   */
  judgePanel?: readonly string[];
}

/** A router: query → plan. Pure. */
export type Router = (query: RoutingQuery) => Plan;

/**
 * The first router: the same cascade over the configured pool for every query. By default each stage
 * is judged by agreement with the next-tier model (whose answer is then reused if it escalates).
 */
export function createFixedRouter(config: FixedRouterConfig): Router {
  const pool = config.subset ? config.models.filter((model) => config.subset?.includes(model)) : [...config.models];
  const unknown = (config.subset ?? []).filter((model) => !config.models.includes(model));
  if (unknown.length > 0) throw new CoreError(`fixed router: not in the pool: ${unknown.join(', ')}`);
  if (pool.length === 0) throw new CoreError('fixed router: empty pool');
  const settings = settingsForQuality(config.quality ?? 0.5);
  const stages = (settings.dropMostExpensive && !config.judges && pool.length > 1 ? pool.slice(0, -1) : pool).map(
    (model) => ({ model }),
  );
  const judges = config.judges ?? settings.judges;
  const panel = config.judges ? [] : [...(config.judgePanel ?? [])];
  return (query) => {
    const llm = panel.length > 0 && query.answerType === 'literal';
    return {
      version: 1,
      router: 'fixed',
      ...(query.category === undefined ? {} : { category: query.category }),
      answerType: query.answerType,
      stages,
      judges: llm ? [{ kind: 'llm', models: panel }] : judges,
      aggregation: llm ? 'min' : settings.aggregation,
      acceptThreshold:
        config.acceptThreshold ?? (llm ? llmAcceptThresholdForQuality(settings.quality) : settings.acceptThreshold),
      ...(config.maxCostUsd === undefined ? {} : { maxCostUsd: config.maxCostUsd }),
      setting: config.judges ? 'custom' : llm ? `${settings.setting}, llm judges` : settings.setting,
    };
  };
}

/** Agreement with the next `count` tiers: the cascade-alone judge. */
export function nextTierAgreement(count = 1): JudgeSpec[] {
  return [{ kind: 'agreement', referenceModels: [], nextStages: count }];
}
