import { type AnswerType, answersEqual, extractAnswer } from '@switchyard/core';
import { TrainingError } from '../errors.js';
import type { TrainingRecord } from './training-record.js';

/**
 * A training record as the simulations read it: per pool model (by index) whether its answer is correct,
 * what it cost, whether a final answer could be extracted and which models' answers agree — computed
 * once, with the answer type and category the trained router will see at query time.
 */
export interface PreparedRecord {
  id: string;
  prompt: string;
  /** The category the router routes it as (the trained classifier's reading of the prompt). */
  category: string;
  answerType: AnswerType;
  /** Cross-validation fold inside the training data. */
  fold: number;
  correct: Uint8Array;
  costUsd: Float64Array;
  answered: Uint8Array;
  /** `agree[i * models + j]`: models i and j gave the same final answer (both answered). */
  agree: Uint8Array;
}

/** The pool and the prepared records, with what was left out. */
export interface PreparedSet {
  pool: readonly string[];
  records: PreparedRecord[];
  folds: number;
  /** Records left out (a pool model without a response or a label), with why. */
  skipped: { id: string; reason: string }[];
}

/** Records that can train a cascade: every pool model has a response with a known label. */
export function usableRecords(
  records: readonly TrainingRecord[],
  pool: readonly string[],
): { usable: TrainingRecord[]; skipped: { id: string; reason: string }[] } {
  const usable: TrainingRecord[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const record of records) {
    const missing = pool.filter((model) => record.responses[model] === undefined);
    const unlabelled = pool.filter((model) => record.responses[model]?.correct === null);
    if (missing.length > 0) skipped.push({ id: record.id, reason: `no response of ${missing.join(', ')}` });
    else if (unlabelled.length > 0) skipped.push({ id: record.id, reason: `no label for ${unlabelled.join(', ')}` });
    else usable.push(record);
  }
  return { usable, skipped };
}

/** Extracts every response's final answer once and compares them pairwise. */
export function prepareRecords(
  records: readonly TrainingRecord[],
  pool: readonly string[],
  view: {
    category(record: TrainingRecord): string;
    answerType(record: TrainingRecord): AnswerType;
    fold(record: TrainingRecord): number;
  },
): PreparedRecord[] {
  const size = pool.length;
  return records.map((record) => {
    const answerType = view.answerType(record);
    const answers = pool.map((model) => {
      const response = record.responses[model];
      if (response === undefined) throw new TrainingError(`record ${record.id}: no response of ${model}`);
      return extractAnswer(response.text, answerType);
    });
    const agree = new Uint8Array(size * size);
    for (let left = 0; left < size; left += 1) {
      for (let right = 0; right < size; right += 1) {
        agree[left * size + right] = answersEqual(answers[left] ?? null, answers[right] ?? null, answerType) ? 1 : 0;
      }
    }
    return {
      id: record.id,
      prompt: record.prompt,
      category: view.category(record),
      answerType,
      fold: view.fold(record),
      correct: Uint8Array.from(pool, (model) => (record.responses[model]?.correct === true ? 1 : 0)),
      costUsd: Float64Array.from(pool, (model) => record.responses[model]?.costUsd ?? 0),
      answered: Uint8Array.from(answers, (answer) => (answer === null ? 0 : 1)),
      agree,
    };
  });
}
