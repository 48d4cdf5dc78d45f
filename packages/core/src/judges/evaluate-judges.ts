import type { AnswerType } from '../answers/answer-type.js';
import { answersEqual } from '../answers/extract-answer.js';
import type { AnswerReference, CallObservation } from '../cascade/calls.js';
import type { JudgeVerdict, VerifierRequest } from '../cascade/step.js';
import type { Aggregation, JudgeSpec, LlmJudgeSpec } from './judge-spec.js';
import { parseJudgeVerdict, verdictScore } from './judge-verdict.js';

/**
 * A model's settled answer to the query: failed, or ok with its text, extracted answer, finish reason
 * and the ledger key of the call that produced it (what an LLM judge call names).
 */
export type ObservedAnswer =
  | { ok: false }
  | { ok: true; text: string; answer: string | null; finishReason?: string; from?: AnswerReference };

/** Everything a judge may look at when scoring one stage's answer. */
export interface JudgeInput {
  answerType: AnswerType;
  category?: string;
  stage: number;
  model: string;
  text: string;
  answer: string | null;
  /** Every model's observed answer to the query, by model id. */
  answers: ReadonlyMap<string, ObservedAnswer>;
  /** This judge's reference models for this stage (already resolved from the plan). */
  referenceModels: readonly string[];
  scoreVerifier?: (request: VerifierRequest) => number | null;
  /** LLM judges: this stage's settled judge calls, by judge model (absent = not made, e.g. unaffordable). */
  judgeCalls?: ReadonlyMap<string, CallObservation>;
}

/**
 * Scores one stage's answer with one judge spec. Pure; a judge without its inputs abstains. One
 * verdict per judge, except an `llm` panel: one per panel model judging the stage.
 */
export function evaluateJudge(spec: JudgeSpec, judge: number, input: JudgeInput): JudgeVerdict[] {
  if (spec.kind === 'llm') return evaluateLlmPanel(spec, judge, input);
  return [evaluateSingleJudge(spec, judge, input)];
}

/** The panel models that judge a stage: every model of the panel except the stage's own. */
export function panelFor(spec: LlmJudgeSpec, stageModel: string): string[] {
  return spec.models.filter((model) => model !== stageModel);
}

function evaluateLlmPanel(spec: LlmJudgeSpec, judge: number, input: JudgeInput): JudgeVerdict[] {
  return panelFor(spec, input.model).map((model): JudgeVerdict => {
    const abstain = (reason: string): JudgeVerdict => ({ judge, kind: 'llm', model, confidence: null, reason });
    const call = input.judgeCalls?.get(model);
    if (call === undefined) return abstain('no verdict: the judge call was not made (budget)');
    if (!call.ok) return abstain(`no verdict: the judge call failed (${call.errorCode ?? 'error'})`);
    const parsed = parseJudgeVerdict(call.text ?? '');
    if (!parsed.ok) return abstain(`abstains: ${parsed.reason}`);
    const { verdict } = parsed;
    return {
      judge,
      kind: 'llm',
      model,
      verdict: verdict.verdict,
      statedConfidence: verdict.confidence,
      confidence: verdictScore(verdict),
      reason: `${verdict.verdict} (${verdict.confidence}): ${verdict.reason.slice(0, 300)}`,
    };
  });
}

function evaluateSingleJudge(spec: Exclude<JudgeSpec, LlmJudgeSpec>, judge: number, input: JudgeInput): JudgeVerdict {
  switch (spec.kind) {
    case 'format':
      return input.answer === null
        ? { judge, kind: 'format', confidence: 0, reason: 'no final answer could be extracted' }
        : { judge, kind: 'format', confidence: 1, reason: 'final answer extracted' };
    case 'agreement':
      return evaluateAgreement(judge, input);
    case 'verifier': {
      const score = input.scoreVerifier?.({
        verifierId: spec.verifierId,
        ...(input.category === undefined ? {} : { category: input.category }),
        references: usableReferences(input).map((reference) => ({
          model: reference,
          agrees: answersEqual(
            input.answer,
            (input.answers.get(reference) as { answer: string }).answer,
            input.answerType,
          ),
        })),
        stage: input.stage,
        model: input.model,
        text: input.text,
        answer: input.answer,
      });
      if (score === undefined || score === null || Number.isNaN(score)) {
        return { judge, kind: 'verifier', confidence: null, reason: `verifier ${spec.verifierId} not available` };
      }
      const confidence = Math.min(1, Math.max(0, score));
      return { judge, kind: 'verifier', confidence, reason: `verifier ${spec.verifierId}: ${confidence.toFixed(3)}` };
    }
    default:
      return assertNever(spec);
  }
}

/** References with an observed, extractable answer: a failed or unparsable one is no evidence either way. */
function usableReferences(input: JudgeInput): string[] {
  return input.referenceModels.filter((reference) => {
    const observed = input.answers.get(reference);
    return observed?.ok === true && observed.answer !== null;
  });
}

function evaluateAgreement(judge: number, input: JudgeInput): JudgeVerdict {
  const compared = usableReferences(input);
  const agreeing = compared.filter((reference) => {
    const observed = input.answers.get(reference);
    return observed?.ok === true && answersEqual(input.answer, observed.answer, input.answerType);
  });
  if (compared.length === 0) {
    return { judge, kind: 'agreement', confidence: null, reason: 'no reference answer available', compared, agreeing };
  }
  if (input.answer === null) {
    return { judge, kind: 'agreement', confidence: 0, reason: 'no final answer to compare', compared, agreeing };
  }
  return {
    judge,
    kind: 'agreement',
    confidence: agreeing.length / compared.length,
    reason: `${agreeing.length}/${compared.length} references agree`,
    compared,
    agreeing,
  };
}

/** Combines the non-abstaining judges' confidences; null when every judge abstained (or there are none). */
export function aggregateConfidence(verdicts: readonly JudgeVerdict[], aggregation: Aggregation): number | null {
  const confidences = verdicts.flatMap((verdict) => (verdict.confidence === null ? [] : [verdict.confidence]));
  if (confidences.length === 0) return null;
  switch (aggregation) {
    case 'mean':
      return confidences.reduce((sum, value) => sum + value, 0) / confidences.length;
    case 'min':
      return Math.min(...confidences);
    case 'majority':
      return confidences.filter((value) => value >= 0.5).length / confidences.length;
    default:
      return assertNever(aggregation);
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected judge variant: ${JSON.stringify(value)}`);
}
