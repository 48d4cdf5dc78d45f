import { extractAnswer } from '../answers/extract-answer.js';
import { selectAffordableCalls } from '../budget/call-budget.js';
import { formatUsd, parseUsd } from '../budget/usd.js';
import { CoreError } from '../errors.js';
import { aggregateConfidence, evaluateJudge, type ObservedAnswer, panelFor } from '../judges/evaluate-judges.js';
import { checkAnswerFormat, type FormatCheck } from '../judges/format-check.js';
import type { CallObservation, CallRequest } from './calls.js';
import type { Plan } from './plan.js';
import type { CascadeContext, CascadeStep, JudgeVerdict, StageVerdict } from './step.js';

/**
 * The cascade policy as a pure function: given the plan and every settled call so far, the next
 * calls to make or the final outcome. The executor (in-process for eval, queue jobs in production)
 * only makes calls and records observations; every decision is made here.
 *
 * Per stage k: (1) the answer call of `stages[k].model`; (2) cheap format checks of the answer (empty,
 * cut off at the token limit, refusal, no extractable answer where the plan has LLM judges): a failing
 * answer escalates without any judge call; (3) the reference calls its agreement/verifier judges need
 * and the calls of its LLM judge panel, all at once; (4) accept when the aggregated confidence ≥ the
 * stage's `acceptThreshold` (else the plan's; a plan without judges accepts the first answer) and every
 * LLM panel has its quorum of valid verdicts, else escalate to k+1. A model whose answer was observed in any
 * role is reused, never called twice, and a failed call is never repeated (retries belong to the
 * executor). A recording plan (`plan.record`) accepts no stage, so every model answers and is judged. After the last stage, or when the budget cannot afford the next answer call, it fuses:
 * every stage answer observed is re-scored with the judges using all observed answers as references,
 * and the best one wins (ties → the later, more expensive stage).
 *
 * Deterministic and independent of the order of `observations`.
 */
export function nextCascadeStep(
  plan: Plan,
  observations: readonly CallObservation[],
  context: CascadeContext = {},
): CascadeStep {
  if (plan.stages.length === 0) throw new CoreError('plan has no stages');
  const { answers, judgeCalls } = splitObservations(plan, observations);
  let spentPicoUsd = context.spentUsd === undefined ? 0n : parseUsd(context.spentUsd);
  for (const observation of observations) spentPicoUsd += parseUsd(observation.costUsd);
  const budget = {
    maxCostUsd: plan.maxCostUsd,
    remainingBudgetUsd: context.remainingBudgetUsd,
    spentPicoUsd,
    worstCaseCostUsd: context.worstCaseCostUsd,
  };
  const finish = (
    outcome: 'exhausted' | 'budget',
    reachedStage: number,
    verdicts: StageVerdict[],
    why: string,
  ): CascadeStep => fuse(plan, answers, judgeCalls, context, { outcome, reachedStage, verdicts, why, spentPicoUsd });

  const verdicts: StageVerdict[] = [];
  for (const [stage, { model, acceptThreshold: stageThreshold }] of plan.stages.entries()) {
    const threshold = stageThreshold ?? plan.acceptThreshold;
    const observed = answers.get(model);
    if (observed === undefined) {
      const request: CallRequest = { stage, role: 'answer', slot: 0, model, input: { kind: 'query' } };
      if (selectAffordableCalls([request], budget).length === 0) {
        return finish('budget', Math.max(0, stage - 1), verdicts, `budget cannot afford stage ${stage} (${model})`);
      }
      return { kind: 'calls', calls: [request] };
    }
    if (!observed.ok) {
      verdicts.push({ stage, model, decision: 'skipped', answer: null, judges: [], confidence: null });
      continue;
    }
    const format = formatOf(plan, observed);
    if (!format.ok) {
      verdicts.push({
        stage,
        model,
        decision: 'escalate',
        answer: observed.answer,
        judges: [],
        confidence: 0,
        format: { failure: format.failure, reason: format.reason },
      });
      continue;
    }
    const references = stageReferenceModels(plan, stage);
    const missing: CallRequest[] = references.flatMap((reference, slot) =>
      answers.has(reference)
        ? []
        : [{ stage, role: 'judge' as const, slot, model: reference, input: { kind: 'query' as const } }],
    );
    const answerSource = observed.from ?? { stage, role: 'answer' as const, slot: 0, model };
    for (const [index, judgeModel] of stageJudgeModels(plan, stage).entries()) {
      const slot = references.length + index;
      if (!judgeCalls.has(`${stage}/${slot}`)) {
        missing.push({ stage, role: 'judge', slot, model: judgeModel, input: { kind: 'judge', answer: answerSource } });
      }
    }
    // Unaffordable calls are left out; their judges then judge with what exists or abstain.
    const affordable = selectAffordableCalls(missing, budget);
    if (affordable.length > 0) return { kind: 'calls', calls: affordable };

    const judges = judgeStage(plan, stage, observed, answers, context, judgeCallsOf(plan, stage, judgeCalls), (judge) =>
      judgeReferenceModels(plan, judge, stage),
    );
    const confidence = aggregateConfidence(judges, plan.aggregation ?? 'mean');
    const shortOfQuorum = quorumShortfall(plan, stage, judges);
    const accepted =
      plan.record !== true &&
      (plan.judges.length === 0 || (confidence !== null && confidence >= threshold && shortOfQuorum === null));
    const verdict: StageVerdict = {
      stage,
      model,
      decision: accepted ? 'accept' : 'escalate',
      answer: observed.answer,
      judges,
      confidence,
    };
    verdicts.push(verdict);
    if (accepted) {
      return {
        kind: 'finish',
        outcome: 'accepted',
        fused: false,
        answerFrom: model,
        answer: observed.text,
        extractedAnswer: observed.answer,
        stage,
        verdicts,
        reason:
          plan.judges.length === 0
            ? `stage ${stage} (${model}) answered; the plan has no judges`
            : `stage ${stage} (${model}) accepted: confidence ${formatConfidence(confidence)} ≥ ${threshold}`,
        spentUsd: formatUsd(spentPicoUsd),
      };
    }
  }
  return finish(
    'exhausted',
    plan.stages.length - 1,
    verdicts,
    plan.record === true ? 'recording: every stage answered' : 'no stage reached its accept threshold',
  );
}

/**
 * The LLM judge models of a stage, in slot order: the models of the plan's `llm` panels (judge order,
 * each model once), without the stage's own model. The call of the i-th is at slot
 * `stageReferenceModels(plan, stage).length + i`, so slots depend on the plan alone.
 */
export function stageJudgeModels(plan: Plan, stage: number): string[] {
  const own = plan.stages[stage]?.model ?? '';
  const models: string[] = [];
  for (const spec of plan.judges) {
    if (spec.kind !== 'llm') continue;
    for (const model of panelFor(spec, own)) if (!models.includes(model)) models.push(model);
  }
  return models;
}

/** A call the plan can request: its model and what it is. */
export interface PlannedCall {
  model: string;
  /** `answer`: a stage answer; `reference`: another model's answer for agreement/verifier judges; `llm-judge`: a verdict. */
  kind: 'answer' | 'reference' | 'llm-judge';
}

/**
 * The call at a ledger key of a query with this plan, or null when the plan can never request one
 * there. Depends on the plan alone: what a worker checks before it pays for a call.
 */
export function plannedCall(plan: Plan, stage: number, role: 'answer' | 'judge', slot: number): PlannedCall | null {
  const stageModel = plan.stages[stage]?.model;
  if (stageModel === undefined || !Number.isInteger(slot) || slot < 0) return null;
  if (role === 'answer') return slot === 0 ? { model: stageModel, kind: 'answer' } : null;
  const references = stageReferenceModels(plan, stage);
  const reference = references[slot];
  if (reference !== undefined) return { model: reference, kind: 'reference' };
  const judgeModel = stageJudgeModels(plan, stage)[slot - references.length];
  return judgeModel === undefined ? null : { model: judgeModel, kind: 'llm-judge' };
}

/**
 * The distinct reference models stage `stage` needs, in a stable order (judge order, then each
 * judge's references as {@link judgeReferenceModels} lists them). A judge call's slot is its index here, so slots
 * depend on the plan alone.
 */
export function stageReferenceModels(plan: Plan, stage: number): string[] {
  const references: string[] = [];
  for (const judge of plan.judges.keys()) {
    for (const model of judgeReferenceModels(plan, judge, stage)) {
      if (!references.includes(model)) references.push(model);
    }
  }
  return references;
}

/** A judge's reference models at a stage: fixed ones, then next stages, then earlier stages; never itself. */
export function judgeReferenceModels(plan: Plan, judge: number, stage: number): string[] {
  const spec = plan.judges[judge];
  if (spec === undefined || spec.kind === 'format' || spec.kind === 'llm') return [];
  const own = plan.stages[stage]?.model;
  const next = plan.stages.slice(stage + 1, stage + 1 + (spec.nextStages ?? 0)).map((entry) => entry.model);
  const previous = spec.previousStages ? plan.stages.slice(0, stage).map((entry) => entry.model) : [];
  return [...new Set([...(spec.referenceModels ?? []), ...next, ...previous])].filter((model) => model !== own);
}

function judgeStage(
  plan: Plan,
  stage: number,
  observed: Extract<ObservedAnswer, { ok: true }>,
  answers: ReadonlyMap<string, ObservedAnswer>,
  context: CascadeContext,
  judgeCalls: ReadonlyMap<string, CallObservation>,
  referencesOf: (judge: number) => readonly string[],
): JudgeVerdict[] {
  const model = plan.stages[stage]?.model ?? '';
  return plan.judges.flatMap((spec, judge) =>
    evaluateJudge(spec, judge, {
      answerType: plan.answerType,
      ...(plan.category === undefined ? {} : { category: plan.category }),
      stage,
      model,
      text: observed.text,
      answer: observed.answer,
      answers,
      referenceModels: referencesOf(judge),
      scoreVerifier: context.scoreVerifier,
      judgeCalls,
    }),
  );
}

/** Why an LLM panel of the stage lacks its quorum of valid verdicts, or null when every panel has it. */
function quorumShortfall(plan: Plan, stage: number, judges: readonly JudgeVerdict[]): string | null {
  const own = plan.stages[stage]?.model ?? '';
  for (const [index, spec] of plan.judges.entries()) {
    if (spec.kind !== 'llm') continue;
    const panel = panelFor(spec, own);
    const needed = Math.min(spec.quorum ?? panel.length, panel.length);
    const valid = judges.filter((verdict) => verdict.judge === index && verdict.confidence !== null).length;
    if (valid < needed) return `judge ${index}: ${valid}/${panel.length} valid verdicts, quorum ${needed}`;
  }
  return null;
}

/** The settled LLM judge calls of a stage, by judge model. */
function judgeCallsOf(
  plan: Plan,
  stage: number,
  judgeCalls: ReadonlyMap<string, CallObservation>,
): Map<string, CallObservation> {
  const bySlot = new Map<string, CallObservation>();
  const offset = stageReferenceModels(plan, stage).length;
  for (const [index, model] of stageJudgeModels(plan, stage).entries()) {
    const call = judgeCalls.get(`${stage}/${offset + index}`);
    if (call !== undefined && call.model === model) bySlot.set(model, call);
  }
  return bySlot;
}

/** The format checks of a stage answer; a missing extracted answer counts only where LLM judges would be paid. */
function formatOf(plan: Plan, observed: Extract<ObservedAnswer, { ok: true }>): FormatCheck {
  return checkAnswerFormat({
    text: observed.text,
    ...(observed.finishReason === undefined ? {} : { finishReason: observed.finishReason }),
    answer: observed.answer,
    answerType: plan.answerType,
    expectAnswer: plan.judges.some((spec) => spec.kind === 'llm'),
  });
}

interface FuseInput {
  outcome: 'exhausted' | 'budget';
  reachedStage: number;
  verdicts: StageVerdict[];
  why: string;
  spentPicoUsd: bigint;
}

function fuse(
  plan: Plan,
  answers: ReadonlyMap<string, ObservedAnswer>,
  judgeCalls: ReadonlyMap<string, CallObservation>,
  context: CascadeContext,
  input: FuseInput,
): CascadeStep {
  const observedModels = [...answers.keys()];
  let best: { stage: number; model: string; text: string; answer: string | null; score: number | null } | null = null;
  for (const [stage, { model }] of plan.stages.entries()) {
    const observed = answers.get(model);
    if (!observed?.ok) continue;
    const judges = judgeStage(
      plan,
      stage,
      observed,
      answers,
      context,
      judgeCallsOf(plan, stage, judgeCalls),
      (judge) => (plan.judges[judge]?.kind === 'format' ? [] : observedModels.filter((other) => other !== model)),
    );
    // An answer that fails the format checks is chosen only when no other answer exists.
    const score = formatOf(plan, observed).ok ? aggregateConfidence(judges, plan.aggregation ?? 'mean') : -2;
    // Later stages win ties: the pool is ordered cheapest → most expensive, a proxy for stronger.
    if (best === null || (score ?? -1) >= (best.score ?? -1)) {
      best = { stage, model, text: observed.text, answer: observed.answer, score };
    }
  }
  const spentUsd = formatUsd(input.spentPicoUsd);
  if (best === null) {
    return {
      kind: 'finish',
      outcome: input.outcome === 'budget' ? 'budget' : 'failed',
      fused: false,
      answerFrom: null,
      answer: null,
      extractedAnswer: null,
      stage: input.reachedStage,
      verdicts: input.verdicts,
      reason: `${input.why}; no stage produced an answer`,
      spentUsd,
    };
  }
  return {
    kind: 'finish',
    outcome: input.outcome,
    fused: true,
    answerFrom: best.model,
    answer: best.text,
    extractedAnswer: best.answer,
    stage: best.stage,
    verdicts: input.verdicts,
    reason: `${input.why}; fused: stage ${best.stage} (${best.model}) has the best score over all observed answers (${formatConfidence(best.score)})`,
    spentUsd,
  };
}

/**
 * Each model's settled answer to the query (if a model was somehow observed twice, an ok result wins,
 * then the lowest key), and apart from them the LLM judge calls, by `stage/slot`: a verdict is not an
 * answer to the query, even when the judge model also answers in the plan.
 */
function splitObservations(
  plan: Plan,
  observations: readonly CallObservation[],
): { answers: Map<string, ObservedAnswer>; judgeCalls: Map<string, CallObservation> } {
  const sorted = [...observations].sort(
    (a, b) =>
      Number(b.ok) - Number(a.ok) ||
      a.stage - b.stage ||
      (a.role === b.role ? 0 : a.role === 'answer' ? -1 : 1) ||
      a.slot - b.slot,
  );
  const answers = new Map<string, ObservedAnswer>();
  const judgeCalls = new Map<string, CallObservation>();
  for (const observation of sorted) {
    if (
      observation.role === 'judge' &&
      plannedCall(plan, observation.stage, 'judge', observation.slot)?.kind === 'llm-judge'
    ) {
      const key = `${observation.stage}/${observation.slot}`;
      if (!judgeCalls.has(key)) judgeCalls.set(key, observation);
      continue;
    }
    if (answers.has(observation.model)) continue;
    if (!observation.ok) {
      answers.set(observation.model, { ok: false });
      continue;
    }
    const text = observation.text ?? '';
    answers.set(observation.model, {
      ok: true,
      text,
      answer: extractAnswer(text, plan.answerType),
      ...(observation.finishReason === undefined ? {} : { finishReason: observation.finishReason }),
      from: { stage: observation.stage, role: observation.role, slot: observation.slot, model: observation.model },
    });
  }
  return { answers, judgeCalls };
}

function formatConfidence(confidence: number | null): string {
  return confidence === null ? 'none (all judges abstained)' : confidence.toFixed(3);
}
