import type { AnswerType } from '../answers/answer-type.js';

/** Why an answer failed the format checks made before any judge is paid. */
export type FormatFailure = 'empty' | 'truncated' | 'refusal' | 'no-answer';

export type FormatCheck = { ok: true } | { ok: false; failure: FormatFailure; reason: string };

/** What the format checks read of a stage answer. */
export interface FormatCheckInput {
  text: string;
  /** The unified finish reason of the answer call (`stop`, `length`, `content-filter`, …), when known. */
  finishReason?: string;
  /** The extracted final answer (null = none). */
  answer: string | null;
  answerType: AnswerType;
  /** Whether a missing extracted answer fails the check (answer types other than `literal`). */
  expectAnswer: boolean;
}

/**
 * Short replies that only decline. Checked on the first 300 characters of answers shorter than 400,
 * so a long answer that merely mentions a limitation is not mistaken for a refusal.
 */
const REFUSAL =
  /^\s*(?:(?:i'?m|i am) sorry|sorry|i apologi[sz]e|unfortunately)\b[^.\n]{0,80}\b(?:can(?:'|no)?t|can not|won'?t|will not|unable to|not able to)\b|^\s*i (?:can(?:'|no)?t|cannot|won'?t|will not|am unable to|'m unable to|am not able to) (?:help|assist|provide|comply|answer|do that|fulfil)/i;

/**
 * Cheap checks of a stage answer before any judge call: empty text, output cut off at the token
 * limit, a refusal (the provider's content filter or a short declining reply), and — where the answer
 * type has a final answer to extract — no extractable answer. A failing answer is escalated without
 * paying for judges.
 */
export function checkAnswerFormat(input: FormatCheckInput): FormatCheck {
  if (input.text.trim() === '') return { ok: false, failure: 'empty', reason: 'the answer is empty' };
  if (input.finishReason === 'length') {
    return { ok: false, failure: 'truncated', reason: 'the answer was cut off at its output token limit' };
  }
  if (input.finishReason === 'content-filter') {
    return { ok: false, failure: 'refusal', reason: 'the provider refused or filtered the answer' };
  }
  if (input.text.length < 400 && REFUSAL.test(input.text.slice(0, 300))) {
    return { ok: false, failure: 'refusal', reason: 'the answer declines to answer' };
  }
  if (input.expectAnswer && input.answerType !== 'literal' && input.answer === null) {
    return { ok: false, failure: 'no-answer', reason: `no ${input.answerType} answer could be extracted` };
  }
  return { ok: true };
}
