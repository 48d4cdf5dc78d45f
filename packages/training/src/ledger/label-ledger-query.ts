import {
  type AnswerType,
  answersEqual,
  extractAnswer,
  normalizeAnswer,
  type Plan,
  parseJudgeVerdict,
  plannedCall,
} from '@switchyard/core';
import type { TrainingRecord } from '../records/training-record.js';

/** One settled call of a query, as the ledger (`attempts`) records it. */
export interface LedgerAttempt {
  stage: number;
  role: 'classify' | 'answer' | 'judge';
  slot: number;
  model: string;
  outcome: 'started' | 'succeeded' | 'failed';
  /** The answer's text, or an LLM judge's verdict document. */
  output: string | null;
  /** Decimal USD string; null while started. */
  costUsd: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  errorCode?: string | null;
}

/** A finished query read from the ledger, with what the labels come from. */
export interface LedgerQuery {
  id: string;
  prompt: string;
  plan: Plan;
  /** `metadata.category` as the client gave it. */
  category?: string;
  /** A recording query's input id (`options.record.id`): the dataset record's id. */
  recordId?: string;
  /** A recording query's reference answer (`options.record.reference`); null/absent = none. */
  reference?: string | null;
  /** The model whose answer the query returned. */
  answerModel: string | null;
  /** Stages whose answer failed the format checks (from the stored verdicts): labelled wrong. */
  formatFailures?: Readonly<Record<number, string>>;
  attempts: readonly LedgerAttempt[];
  /** The client's feedback on the returned answer (`query_feedback`). */
  feedback?: { correct: boolean | null; score: number | null } | null;
}

/**
 * Where a response's `correct` came from, strongest first: the client's feedback on that answer
 * (`feedback`), or on an answer it equals or contradicts (`feedback-agreement`: extractable answer types
 * only); a grade against the reference answer (`reference`); the format checks (`format`: empty, cut
 * off, refusal, no answer: wrong); the majority of the LLM judge panel's valid verdicts (`llm-judges`).
 */
export type LabelSource = 'feedback' | 'feedback-agreement' | 'reference' | 'format' | 'llm-judges';

/** A judge model's verdict on one answer, as recorded in a dataset (`responses[m].judges`). */
export interface LabelledVerdict {
  verdict: 'pass' | 'fail';
  confidence: number;
  costUsd: number;
  reason?: string;
}

/** One pool model's response to a ledger query, labelled. */
export interface LabelledResponse {
  text: string;
  /** The extracted, normalised answer; null when none could be extracted. */
  answer: string | null;
  /** null: nothing labels it (no reference, feedback or valid verdict). */
  correct: boolean | null;
  labelSource: LabelSource | null;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number;
  /** The LLM judges' valid verdicts on it, by judge model. */
  judges?: Record<string, LabelledVerdict>;
}

export interface LabelledQuery {
  queryId: string;
  /** The recording's input id, when the query is a recording. */
  recordId?: string;
  prompt: string;
  category?: string;
  answerType: AnswerType;
  reference: string | null;
  responses: Record<string, LabelledResponse>;
  /** Pool models without a successful answer in the ledger. */
  missing: string[];
  /** Pool models whose answer has no label. */
  unlabelled: string[];
}

const EXTRACTABLE: readonly AnswerType[] = ['number', 'choice', 'latex', 'code'];

/**
 * Labels every pool model's answer to a finished query from what the ledger holds: the answers (answer
 * calls and agreement references alike are that model's answer to the prompt), the LLM judges' verdict
 * calls, the recording's reference and the client's feedback. Feedback overrides every other label; a
 * reference answer is graded with the judges' deterministic extraction and comparison
 * (`extractAnswer`, `answersEqual`); the LLM panel labels an answer correct when more than half of its
 * valid verdicts pass. Pure.
 */
export function labelLedgerQuery(query: LedgerQuery, pool: readonly string[]): LabelledQuery {
  const { plan } = query;
  const answerType = plan.answerType;
  const answers = new Map<string, { attempt: LedgerAttempt; stage: number | null }>();
  const verdicts = new Map<string, Record<string, LabelledVerdict>>();
  const ordered = [...query.attempts].sort((a, b) => a.stage - b.stage || a.slot - b.slot);
  for (const attempt of ordered) {
    if (attempt.outcome !== 'succeeded' || attempt.output === null || attempt.role === 'classify') continue;
    const planned = plannedCall(plan, attempt.stage, attempt.role, attempt.slot);
    if (planned === null || planned.model !== attempt.model) continue;
    if (planned.kind === 'llm-judge') {
      const judged = plan.stages[attempt.stage]?.model;
      const parsed = parseJudgeVerdict(attempt.output);
      if (judged === undefined || !parsed.ok) continue;
      const entry = verdicts.get(judged) ?? {};
      entry[attempt.model] = {
        verdict: parsed.verdict.verdict,
        confidence: parsed.verdict.confidence,
        costUsd: Number(attempt.costUsd ?? 0),
        ...(parsed.verdict.reason ? { reason: parsed.verdict.reason } : {}),
      };
      verdicts.set(judged, entry);
      continue;
    }
    if (!answers.has(attempt.model)) {
      answers.set(attempt.model, { attempt, stage: planned.kind === 'answer' ? attempt.stage : null });
    }
  }

  const reference = query.reference ?? null;
  const referenceAnswer = reference === null ? null : normalizeAnswer(reference, answerType);
  const finalText = query.answerModel === null ? undefined : answers.get(query.answerModel)?.attempt.output;
  const finalAnswer = finalText == null ? null : extractAnswer(finalText, answerType);
  const feedbackCorrect =
    query.feedback == null
      ? null
      : (query.feedback.correct ?? (query.feedback.score === null ? null : query.feedback.score >= 0.5));

  const responses: Record<string, LabelledResponse> = {};
  const missing: string[] = [];
  const unlabelled: string[] = [];
  for (const model of pool) {
    const found = answers.get(model);
    if (found === undefined) {
      missing.push(model);
      continue;
    }
    const text = found.attempt.output ?? '';
    const answer = extractAnswer(text, answerType);
    const judges = verdicts.get(model);
    let correct: boolean | null = null;
    let labelSource: LabelSource | null = null;
    const formatFailure = found.stage === null ? undefined : query.formatFailures?.[found.stage];
    if (feedbackCorrect !== null && model === query.answerModel) {
      [correct, labelSource] = [feedbackCorrect, 'feedback'];
    } else if (feedbackCorrect !== null && EXTRACTABLE.includes(answerType) && finalAnswer !== null) {
      // The same answer as the one the client judged shares its label; a different one is wrong when
      // the judged one was right (these answer types have one right answer), else unknown.
      if (answersEqual(answer, finalAnswer, answerType))
        [correct, labelSource] = [feedbackCorrect, 'feedback-agreement'];
      else if (feedbackCorrect) [correct, labelSource] = [false, 'feedback-agreement'];
    }
    if (labelSource === null) {
      if (reference !== null) {
        [correct, labelSource] = [answersEqual(answer, referenceAnswer, answerType), 'reference'];
      } else if (formatFailure !== undefined) {
        [correct, labelSource] = [false, 'format'];
      } else if (judges !== undefined && Object.keys(judges).length > 0) {
        const all = Object.values(judges);
        const passes = all.filter((verdict) => verdict.verdict === 'pass').length;
        [correct, labelSource] = [passes * 2 > all.length, 'llm-judges'];
      }
    }
    if (correct === null) unlabelled.push(model);
    responses[model] = {
      text,
      answer,
      correct,
      labelSource,
      inputTokens: found.attempt.inputTokens,
      outputTokens: found.attempt.outputTokens,
      costUsd: Number(found.attempt.costUsd ?? 0),
      ...(judges === undefined ? {} : { judges }),
    };
  }
  return {
    queryId: query.id,
    ...(query.recordId === undefined ? {} : { recordId: query.recordId }),
    prompt: query.prompt,
    ...(query.category === undefined ? {} : { category: query.category }),
    answerType,
    reference,
    responses,
    missing,
    unlabelled,
  };
}

/**
 * A labelled query as a training record (`createTrainingContext` skips it unless every model is
 * labelled). Its id is the recording's input id (so a recording trains exactly as its dataset file
 * does: folds are assigned by id), else the query id.
 */
export function trainingRecordOf(
  labelled: LabelledQuery,
  id: string = labelled.recordId ?? labelled.queryId,
): TrainingRecord {
  return {
    id,
    prompt: labelled.prompt,
    ...(labelled.category === undefined ? {} : { category: labelled.category }),
    answerType: labelled.answerType,
    responses: Object.fromEntries(
      Object.entries(labelled.responses).map(([model, response]) => [
        model,
        { text: response.text, correct: response.correct, costUsd: response.costUsd },
      ]),
    ),
  };
}
