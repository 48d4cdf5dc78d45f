import { createHash } from 'node:crypto';
import { answerTypeSchema, judgeTaskSchema } from '@switchyard/core';
import { z } from 'zod';

/** One prompt to record: a line of `switchyard record --input`. */
export interface RecordInput {
  /** 1-based line number in the input file. */
  line: number;
  /** The record's id: the line's `id`, else `prompt-` + the first 16 hex digits of sha256(prompt). */
  id: string;
  prompt: string;
  /** The right answer, graded against each model's extracted answer; null = judged by the LLM panel. */
  reference: string | null;
  answerType?: z.infer<typeof answerTypeSchema>;
  category?: string;
  benchmark?: string;
  judgeTask?: z.infer<typeof judgeTaskSchema>;
}

/** An input line that cannot be recorded, with its line number. */
export interface RecordInputError {
  line: number;
  message: string;
}

/**
 * The fields read from a line; anything else (e.g. a dataset record's `responses`) is ignored, so a
 * file in the datasets format can be recorded again on another pool.
 */
const lineSchema = z.object({
  id: z.string().trim().min(1, 'must be a non-empty string').max(200).optional(),
  prompt: z.string({ error: 'is required (a string)' }).refine((prompt) => prompt.trim() !== '', 'is only whitespace'),
  reference: z.string().nullable().optional(),
  answerType: answerTypeSchema.optional(),
  category: z.string().trim().min(1).max(200).optional(),
  benchmark: z.string().trim().min(1).max(200).optional(),
  judgeTask: judgeTaskSchema.optional(),
});

/**
 * Parses the input of `switchyard record`: one JSON object per line, `{"prompt": …}` plus optional
 * `id`, `reference`, `answerType`, `category`, `benchmark`, `judgeTask`. Blank lines are skipped. Every
 * bad line is reported (not only the first), so nothing is paid for until the whole file is right.
 * `requireReferences` (`--references`): every line must carry a non-empty `reference`. An empty
 * reference counts as none (the datasets use "" for an unknown gold answer).
 */
export function parseRecordInput(
  text: string,
  options: { requireReferences: boolean },
): { inputs: RecordInput[]; errors: RecordInputError[] } {
  const inputs: RecordInput[] = [];
  const errors: RecordInputError[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = index + 1;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch (error) {
      errors.push({ line, message: `not valid JSON (${(error as Error).message})` });
      continue;
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      errors.push({ line, message: 'not a JSON object; each line is {"prompt": "...", "reference"?: "..."}' });
      continue;
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      errors.push({ line, message: `${issue?.path.join('.') || 'line'} ${issue?.message ?? 'is invalid'}` });
      continue;
    }
    const value = parsed.data;
    const reference =
      value.reference === undefined || value.reference === null || value.reference.trim() === ''
        ? null
        : value.reference;
    if (options.requireReferences && reference === null) {
      errors.push({ line, message: 'reference is missing or empty, and --references says every line has one' });
      continue;
    }
    const id = value.id ?? `prompt-${createHash('sha256').update(value.prompt).digest('hex').slice(0, 16)}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      errors.push({
        line,
        message:
          value.id === undefined
            ? `repeats the prompt of line ${earlier} (give each line an "id" to record a prompt twice)`
            : `repeats the id "${id}" of line ${earlier}`,
      });
      continue;
    }
    seen.set(id, line);
    inputs.push({
      line,
      id,
      prompt: value.prompt,
      reference,
      ...(value.answerType === undefined ? {} : { answerType: value.answerType }),
      ...(value.category === undefined ? {} : { category: value.category }),
      ...(value.benchmark === undefined ? {} : { benchmark: value.benchmark }),
      ...(value.judgeTask === undefined ? {} : { judgeTask: value.judgeTask }),
    });
  }
  return { inputs, errors };
}

/**
 * The idempotency key of a recording query: the same line (id, prompt, reference, labels given, budget)
 * recorded again on the same pool by the same tenant finds the query already made, and pays nothing twice. Prefixed
 * `record:`, which no API key's keys can be (those start with the key's UUID).
 */
export function recordIdempotencyKey(
  input: RecordInput,
  owner: string | null,
  maxCostUsd: string,
  pool: readonly string[],
): string {
  const material = JSON.stringify([
    input.id,
    input.prompt,
    input.reference,
    input.answerType ?? null,
    input.category ?? null,
    input.judgeTask ?? null,
    maxCostUsd,
    pool,
  ]);
  return `record:${owner ?? 'operator'}:${createHash('sha256').update(material).digest('hex')}`;
}
