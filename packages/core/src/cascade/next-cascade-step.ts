import { extractAnswer } from '../answers/extract-answer.js';
import { selectAffordableCalls } from '../budget/call-budget.js';
import { formatUsd, parseUsd } from '../budget/usd.js';
import { CoreError } from '../errors.js';
import { aggregateConfidence, evaluateJudge, type ObservedAnswer } from '../judges/evaluate-judges.js';
import type { CallObservation, CallRequest } from './calls.js';
import type { Plan } from './plan.js';
import type { CascadeContext, CascadeStep, JudgeVerdict, StageVerdict } from './step.js';

/**
 * The cascade policy as a pure function: given the plan and every settled call so far, the next
 * calls to make or the final outcome. The executor (in-process for eval, queue jobs in production)
 * only makes calls and records observations; every decision is made here.
 *
 * Per stage k: (1) the answer call of `stages[k].model`; (2) the reference calls its agreement judges
 * need, all at once; (3) accept when the aggregated confidence ≥ the stage's `acceptThreshold` (else the plan's; a plan without
 * judges accepts the first answer), else escalate to k+1. A model whose answer was observed in any
 * role is reused, never called twice, and a failed call is never repeated (retries belong to the
 * executor). After the last stage, or when the budget cannot afford the next answer call, it fuses:
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
  const answers = observedAnswers(plan, observations);
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
  ): CascadeStep => fuse(plan, answers, context, { outcome, reachedStage, verdicts, why, spentPicoUsd });

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
    const references = stageReferenceModels(plan, stage);
    const missing: CallRequest[] = references.flatMap((reference, slot) =>
      answers.has(reference)
        ? []
        : [{ stage, role: 'judge' as const, slot, model: reference, input: { kind: 'query' as const } }],
    );
    // Unaffordable reference calls are left out; their judges then judge with what exists or abstain.
    const affordable = selectAffordableCalls(missing, budget);
    if (affordable.length > 0) return { kind: 'calls', calls: affordable };

    const judges = judgeStage(plan, stage, observed, answers, context, (judge) =>
      judgeReferenceModels(plan, judge, stage),
    );
    const confidence = aggregateConfidence(judges, plan.aggregation ?? 'mean');
    const accepted = plan.judges.length === 0 || (confidence !== null && confidence >= threshold);
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
  return finish('exhausted', plan.stages.length - 1, verdicts, 'no stage reached its accept threshold');
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
  if (spec === undefined || spec.kind === 'format') return [];
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
  referencesOf: (judge: number) => readonly string[],
): JudgeVerdict[] {
  const model = plan.stages[stage]?.model ?? '';
  return plan.judges.map((spec, judge) =>
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
    }),
  );
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
  context: CascadeContext,
  input: FuseInput,
): CascadeStep {
  const observedModels = [...answers.keys()];
  let best: { stage: number; model: string; text: string; answer: string | null; score: number | null } | null = null;
  for (const [stage, { model }] of plan.stages.entries()) {
    const observed = answers.get(model);
    if (!observed?.ok) continue;
    const judges = judgeStage(plan, stage, observed, answers, context, (judge) =>
      plan.judges[judge]?.kind === 'format' ? [] : observedModels.filter((other) => other !== model),
    );
    const score = aggregateConfidence(judges, plan.aggregation ?? 'mean');
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
    answerFrom: best.model,
    answer: best.text,
    extractedAnswer: best.answer,
    stage: best.stage,
    verdicts: input.verdicts,
    reason: `${input.why}; fused: stage ${best.stage} (${best.model}) has the best score over all observed answers (${formatConfidence(best.score)})`,
    spentUsd,
  };
}

/** Each model's settled answer; if a model was somehow observed twice, an ok result wins, then the lowest key. */
function observedAnswers(plan: Plan, observations: readonly CallObservation[]): Map<string, ObservedAnswer> {
  const sorted = [...observations].sort(
    (a, b) =>
      Number(b.ok) - Number(a.ok) ||
      a.stage - b.stage ||
      (a.role === b.role ? 0 : a.role === 'answer' ? -1 : 1) ||
      a.slot - b.slot,
  );
  const answers = new Map<string, ObservedAnswer>();
  for (const observation of sorted) {
    if (answers.has(observation.model)) continue;
    if (!observation.ok) {
      answers.set(observation.model, { ok: false });
      continue;
    }
    const text = observation.text ?? '';
    answers.set(observation.model, { ok: true, text, answer: extractAnswer(text, plan.answerType) });
  }
  return answers;
}

function formatConfidence(confidence: number | null): string {
  return confidence === null ? 'none (all judges abstained)' : confidence.toFixed(3);
}
