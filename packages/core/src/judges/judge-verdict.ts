import { z } from 'zod';

/**
 * The document an LLM judge must return. Strict: another key, a missing key, a confidence outside
 * [0,1] or a verdict other than pass/fail makes the whole verdict malformed.
 */
export const judgeVerdictSchema = z.strictObject({
  verdict: z.enum(['pass', 'fail']),
  confidence: z.number().min(0).max(1),
  reason: z.string(),
});
export type JudgeVerdictDocument = z.infer<typeof judgeVerdictSchema>;

/**
 * The same document as JSON Schema, for structured output requests (OpenAI `json_schema` with
 * `strict: true` wants every property required and no others; range checks are left to the parser,
 * since strict mode has not always accepted `minimum`/`maximum`).
 */
export const JUDGE_VERDICT_JSON_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    verdict: { type: 'string', enum: ['pass', 'fail'], description: 'pass if the answer is acceptable, else fail' },
    confidence: { type: 'number', description: 'how sure you are of the verdict, from 0 to 1' },
    reason: { type: 'string', description: 'one or two sentences on why' },
  },
  required: ['verdict', 'confidence', 'reason'],
  additionalProperties: false,
};

export type ParsedJudgeVerdict = { ok: true; verdict: JudgeVerdictDocument } | { ok: false; reason: string };

/**
 * Parses a judge model's output strictly: exactly one JSON document of {@link judgeVerdictSchema}
 * (surrounding whitespace allowed; prose, code fences or a second document are not). Anything else is
 * `{ ok: false }`: an abstention, never a pass.
 */
export function parseJudgeVerdict(text: string): ParsedJudgeVerdict {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'verdict is not a JSON document' };
  }
  const parsed = judgeVerdictSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `malformed verdict: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
  }
  return { ok: true, verdict: parsed.data };
}

/**
 * A verdict as a judge confidence that the answer is acceptable: a pass counts its confidence, a fail
 * counts 0 whatever its confidence (a judge that says fail never supports accepting).
 */
export function verdictScore(verdict: JudgeVerdictDocument): number {
  return verdict.verdict === 'pass' ? verdict.confidence : 0;
}
