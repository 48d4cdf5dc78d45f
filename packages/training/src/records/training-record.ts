import type { AnswerType } from '@switchyard/core';

/**
 * One pool model's recorded response to a training prompt. `correct` is the label: from a dataset's
 * grader, or — for records built from live traffic — a judge panel's verdict or a user's feedback;
 * `null` when unknown (such a response is not trained on).
 */
export interface TrainingResponse {
  text: string;
  correct: boolean | null;
  costUsd: number;
}

/**
 * One training query: its prompt, optional labels, and the responses of the pool models. The
 * `../shared/datasets` record format (`BenchRecord`) is one; so is a record assembled from the ledger
 * (the same prompt answered by every pool model, labelled by judges or feedback).
 */
export interface TrainingRecord {
  id: string;
  prompt: string;
  /** The query class (taxonomy label), if known: trains the category classifier. */
  category?: string;
  /** How answers are compared, if known: trains the answer-type classifier. */
  answerType?: AnswerType;
  responses: Readonly<Record<string, TrainingResponse>>;
}

/** Records without a category are trained on as this class. */
export const UNLABELLED_CATEGORY = 'other';
