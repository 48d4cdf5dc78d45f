import type { ApiKeyPrincipal, PrismaClient } from '@switchyard/db';
import { z } from 'zod';
import { errorResponse, type HttpResult } from '../http/error-response.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Body of POST /v1/queries/:id/feedback: a label for the answer, for training routers. */
export const feedbackBodySchema = z
  .strictObject({
    /** The answer was right. */
    correct: z.boolean().optional(),
    /** Quality of the answer in [0,1]. */
    score: z.number().min(0).max(1).optional(),
    comment: z.string().max(2_000).optional(),
  })
  .refine((body) => body.correct !== undefined || body.score !== undefined, {
    message: 'give "correct" (true/false) or "score" (0 to 1)',
    path: ['correct'],
  })
  // Training reads `correct` first: a score saying the opposite would be dropped without a word.
  .refine((body) => body.correct === undefined || body.score === undefined || body.correct === body.score >= 0.5, {
    message: '"correct" and "score" disagree (a score of 0.5 or more means correct)',
    path: ['score'],
  });

/** The public JSON of a query's feedback. */
export function feedbackView(feedback: {
  correct: boolean | null;
  score: number | null;
  comment: string | null;
  createdAt: Date;
  updatedAt: Date;
}) {
  return {
    correct: feedback.correct,
    score: feedback.score,
    ...(feedback.comment === null ? {} : { comment: feedback.comment }),
    createdAt: feedback.createdAt.toISOString(),
    updatedAt: feedback.updatedAt.toISOString(),
  };
}

/**
 * POST /v1/queries/:id/feedback: stores the client's judgement of a completed query's answer (one per
 * query; a later one replaces it). `switchyard router train --from-ledger` learns from it.
 */
export async function recordFeedback(
  deps: { prisma: PrismaClient },
  principal: ApiKeyPrincipal,
  id: string,
  body: unknown,
): Promise<HttpResult> {
  if (!UUID.test(id)) return errorResponse(400, 'invalid_id', 'query id must be a UUID', { field: 'id' });
  const parsed = feedbackBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || null;
    return errorResponse(400, 'invalid_request', `${field ?? 'body'}: ${issue?.message ?? 'invalid body'}`, { field });
  }
  const query = await deps.prisma.query.findFirst({
    where: { id, apiKeyId: principal.apiKeyId },
    select: { status: true },
  });
  if (!query) return errorResponse(404, 'not_found', `no query ${id}`);
  if (query.status !== 'completed') {
    return errorResponse(
      409,
      'query_not_completed',
      `query ${id} is ${query.status}: feedback is about a completed query's answer`,
    );
  }
  const data = {
    correct: parsed.data.correct ?? null,
    score: parsed.data.score ?? null,
    comment: parsed.data.comment ?? null,
  };
  const feedback = await deps.prisma.queryFeedback.upsert({
    where: { queryId: id },
    create: { queryId: id, ...data },
    update: data,
  });
  return { status: 200, body: { queryId: id, ...feedbackView(feedback) } };
}
