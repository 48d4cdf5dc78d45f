import { z } from 'zod';

/**
 * How a query's final answer is compared across models. Mirrors the dataset field of the same name;
 * core keeps its own copy so the pure domain imports no I/O package.
 */
export const answerTypeSchema = z.enum(['number', 'latex', 'choice', 'literal', 'code']);
export type AnswerType = z.infer<typeof answerTypeSchema>;
