import type { FormatFailure } from '../judges/format-check.js';
import type { JudgeSpec } from '../judges/judge-spec.js';
import type { CallRequest } from './calls.js';

/** One judge's view of one stage's answer. `confidence: null` = the judge abstained (see `reason`). */
export interface JudgeVerdict {
  /** Index of the judge in `plan.judges`. */
  judge: number;
  kind: JudgeSpec['kind'];
  /** In [0,1], or null when the judge abstained. */
  confidence: number | null;
  /** Human-readable why, e.g. "1/1 references agree", "no reference answer available". */
  reason: string;
  /** agreement: the reference models whose answer was compared, and which of them agreed. */
  compared?: string[];
  agreeing?: string[];
  /** llm: the judge model, and its verdict when it gave a valid one (confidence is then its score). */
  model?: string;
  verdict?: 'pass' | 'fail';
  /** llm: the confidence the judge stated for its verdict (a fail scores 0 whatever it states). */
  statedConfidence?: number;
}

/** What the cascade concluded about one stage. */
export interface StageVerdict {
  stage: number;
  model: string;
  /** `skipped`: the answer call failed; `accept`/`escalate`: judged against the threshold. */
  decision: 'accept' | 'escalate' | 'skipped';
  /** The extracted, normalised final answer (null if none could be extracted or the call failed). */
  answer: string | null;
  judges: JudgeVerdict[];
  /** Aggregated confidence of the non-abstaining judges; null if all abstained. */
  confidence: number | null;
  /** Set when the answer failed the format checks: it was escalated without any judge call. */
  format?: { failure: FormatFailure; reason: string };
}

/** Why the cascade stopped. */
export type CascadeOutcome =
  /** A stage's answer reached the accept threshold. */
  | 'accepted'
  /** Every stage ran without acceptance; the best-judged answer was fused. */
  | 'exhausted'
  /** The next call could not be afforded; the best-judged answer so far was fused (may be null). */
  | 'budget'
  /** No stage produced an answer (every answer call failed). */
  | 'failed';

/**
 * The cascade's next move. `calls`: make every call (in parallel), record each settled result as a
 * `CallObservation`, then ask again with all observations. `finish`: the query is done.
 */
export type CascadeStep =
  | { kind: 'calls'; calls: CallRequest[] }
  | {
      kind: 'finish';
      outcome: CascadeOutcome;
      /** Model whose response is the final answer; null when there is none. */
      answerFrom: string | null;
      /** That model's full response text. */
      answer: string | null;
      /** The extracted final answer of that response (for comparison and display). */
      extractedAnswer: string | null;
      /**
       * True when no stage was accepted and the answer was chosen among all observed answers by the
       * judges' scores (outcome `exhausted` or `budget` with an answer).
       */
      fused: boolean;
      /** Stage of `answerFrom` in the plan, or the last stage reached when there is no answer. */
      stage: number;
      /** One verdict per stage reached, in stage order. */
      verdicts: StageVerdict[];
      reason: string;
      /** Sum of the observations' costs plus `context.spentUsd`, as a decimal string. */
      spentUsd: string;
    };

/** Input to a trained verifier judge. */
export interface VerifierRequest {
  verifierId: string;
  /** `plan.category`, when the router knew it. */
  category?: string;
  stage: number;
  model: string;
  /** The full answer text and its extracted final answer. */
  text: string;
  answer: string | null;
  /** The verifier's references with a usable answer, in reference order, and whether each agrees. */
  references: { model: string; agrees: boolean }[];
}

/**
 * Optional facts from outside the plan and observations. Everything is a pure input: the same
 * context, plan and observations give the same step.
 */
export interface CascadeContext {
  /** Money already spent on this query outside the observations (e.g. classification), decimal USD. */
  spentUsd?: string;
  /** A cap from outside the plan (tenant, batch) on what this query may still spend now, decimal USD. */
  remainingBudgetUsd?: string;
  /**
   * Worst-case cost of a call (input tokens × input price + max output tokens × output price), decimal
   * USD or number. Without it, calls are not priced in advance and the budget stops the cascade only
   * once the money already spent reaches the limit.
   */
  worstCaseCostUsd?: (request: CallRequest) => string | number;
  /**
   * Scores an answer with a trained verifier → P(correct), or null to abstain. Without it verifiers
   * abstain. Must be pure: earlier stages are re-judged on every step, so it sees the same request again.
   */
  scoreVerifier?: (request: VerifierRequest) => number | null;
}
