import { type CategoryClassifier, classifyCategory } from '../routing/category-classifier.js';
import { type AnswerType, answerTypeSchema } from './answer-type.js';

/**
 * How a query's final answers are extracted and compared, decided the same way everywhere (workers,
 * `switchyard eval`, training): the submitter's `metadata.answerType` when it is a valid answer type;
 * else a trained prompt → answer-type classifier (a router artifact carries one); else
 * {@link guessAnswerType}'s reading of the prompt.
 */
export function inferAnswerType(
  prompt: string,
  options: { metadata?: Readonly<Record<string, unknown>>; classifier?: CategoryClassifier } = {},
): AnswerType {
  const given = answerTypeSchema.safeParse(options.metadata?.answerType);
  if (given.success) return given.data;
  if (options.classifier !== undefined) {
    const classified = answerTypeSchema.safeParse(classifyCategory(options.classifier, prompt).category);
    if (classified.success) return classified.data;
  }
  return guessAnswerType(prompt);
}

const OPTION_LINE = /^[ \t]*\(?([A-J])[).:][ \t]+\S/gm;
const WRITE_CODE =
  /\b(?:write|implement|create|complete|fix)\b[^.\n]{0,60}\b(?:function|program|script|class|method|code)\b/i;
const NUMERIC_QUESTION =
  /\b(?:how (?:many|much|long|far|old)|calculate|compute|evaluate|what is the (?:sum|product|value|number|total|area|remainder|probability)|find the (?:sum|product|value|number|total|area|remainder))\b|\d\s*[-+*/×÷^]\s*\d/i;

/**
 * A rule of thumb for untrained routers: lettered options (A and B at least) → `choice`; a request to
 * write code → `code`; a quantitative question → `number`; else `literal`.
 */
export function guessAnswerType(prompt: string): AnswerType {
  const letters = new Set<string>();
  for (const match of prompt.matchAll(OPTION_LINE)) letters.add(match[1] as string);
  if (letters.has('A') && letters.has('B')) return 'choice';
  if (WRITE_CODE.test(prompt)) return 'code';
  if (NUMERIC_QUESTION.test(prompt)) return 'number';
  return 'literal';
}
