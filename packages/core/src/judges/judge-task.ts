import { z } from 'zod';
import type { AnswerType } from '../answers/answer-type.js';

/** The task types LLM judges have a prompt for (one file each, per prompt version). */
export const judgeTaskSchema = z.enum(['math', 'code', 'factual', 'open-ended', 'extraction']);
export type JudgeTask = z.infer<typeof judgeTaskSchema>;

/**
 * The judge prompt for a query: `math` for numeric answers and math categories, `code` for code,
 * `factual` for multiple choice and knowledge/science/commonsense categories, `extraction` for an
 * extraction category, else `open-ended` (writing, summaries, explanations).
 */
export function judgeTaskFor(query: { answerType: AnswerType; category?: string; judgeTask?: JudgeTask }): JudgeTask {
  if (query.judgeTask !== undefined) return query.judgeTask;
  const category = (query.category ?? '').toLowerCase();
  if (category.startsWith('extraction')) return 'extraction';
  if (query.answerType === 'code' || category.startsWith('code')) return 'code';
  if (query.answerType === 'number' || query.answerType === 'latex' || category.startsWith('math')) return 'math';
  if (query.answerType === 'choice' || /^(knowledge|science|commonsense|factual|trivia)/.test(category)) {
    return 'factual';
  }
  return 'open-ended';
}
