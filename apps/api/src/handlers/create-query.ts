import { createHash } from 'node:crypto';
import { answerTypeSchema, judgeTaskSchema, qualityPresetSchema, storedBudgetUsd } from '@switchyard/core';
import { type ApiKeyPrincipal, findQueryByIdempotencyKey, insertQuery, type PrismaClient } from '@switchyard/db';
import { checkCallbackUrl, type Queues } from '@switchyard/queues';
import { z } from 'zod';
import { errorResponse, type HttpResult } from '../http/error-response.js';
import { exhaustedKeyBudget } from '../http/key-budget.js';

/** The ledger stores USD with 12 decimals: a budget below one pico-dollar would be stored as 0. */
const SMALLEST_USD = 1e-12;

/** Body of POST /v1/queries. */
export const createQueryBodySchema = z
  .strictObject({
    prompt: z
      .string()
      .max(1_000_000)
      .refine((prompt) => prompt.trim().length > 0, 'prompt must not be empty or only whitespace'),
    system: z.string().max(200_000).optional(),
    metadata: z
      .looseObject({
        /** How judges extract and compare final answers. */
        answerType: answerTypeSchema.optional(),
        /** Which prompt LLM judges get. */
        judgeTask: judgeTaskSchema.optional(),
        category: z.string().max(200).optional(),
      })
      .optional(),
    /** Per-query budget in USD over every call the cascade makes; default SWITCHYARD_DEFAULT_MAX_COST_USD. */
    maxCostUsd: z
      .number()
      .positive()
      .max(1_000)
      .refine(
        (usd) => Number(storedBudgetUsd(usd)) > 0,
        `maxCostUsd must be at least ${SMALLEST_USD} (the ledger's precision)`,
      )
      .optional(),
    /** Cost/accuracy knob: a number in [0,1] or a preset (economy, balanced, max, match). */
    quality: z
      .union([z.number().min(0).max(1), qualityPresetSchema], {
        error: 'quality must be a number from 0 to 1 or one of economy, balanced, max, match',
      })
      .optional(),
    /** Aim the trained router's knob at this expected cost per query, USD (instead of `quality`). */
    targetCostUsd: z.number().positive().max(1_000).optional(),
    /** A stored router artifact id (`switchyard router list`) or "fixed"; default: the active artifact. */
    router: z.union([z.literal('fixed'), z.uuid('router must be "fixed" or a router artifact id')]).optional(),
    callbackUrl: z.string().max(2_048).optional(),
  })
  .refine((body) => body.quality === undefined || body.targetCostUsd === undefined, {
    message: 'give quality or targetCostUsd, not both',
    path: ['targetCostUsd'],
  });

export interface CreateQueryDeps {
  prisma: PrismaClient;
  queues: Queues;
  allowPrivateCallbacks: boolean;
  /** Budget of a query that sends none, USD. */
  defaultMaxCostUsd: number;
  logger: { warn(object: object, message?: string): void };
}

/**
 * POST /v1/queries: validates, writes the query row (the source of truth) and then enqueues its route
 * job. If Redis is down after the row is written, the query stays `queued` and the workers'
 * reconciler enqueues it later: an accepted query is never lost.
 */
export async function createQuery(
  deps: CreateQueryDeps,
  principal: ApiKeyPrincipal,
  body: unknown,
  idempotencyKeyHeader: string | undefined,
): Promise<HttpResult> {
  const parsed = createQueryBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    return errorResponse(400, 'invalid_request', issue ? `${field ?? 'body'}: ${issue.message}` : 'invalid body', {
      field: field ?? null,
      issues: parsed.error.issues.map((item) => ({ field: item.path.join('.'), message: item.message })),
    });
  }
  const request = parsed.data;
  if (idempotencyKeyHeader !== undefined && (idempotencyKeyHeader.length === 0 || idempotencyKeyHeader.length > 255)) {
    return errorResponse(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters', {
      field: 'Idempotency-Key',
    });
  }
  if (request.callbackUrl !== undefined) {
    const check = await checkCallbackUrl(request.callbackUrl, { allowPrivate: deps.allowPrivateCallbacks });
    if (!check.ok) return errorResponse(400, check.code, check.message, { field: 'callbackUrl' });
  }
  if (request.router !== undefined && request.router !== 'fixed') {
    const artifact = await deps.prisma.routerArtifact.findUnique({
      where: { id: request.router },
      select: { kind: true },
    });
    if (artifact === null || artifact.kind !== 'switchyard') {
      return errorResponse(400, 'unknown_router', `router: no router artifact has id ${request.router}`, {
        field: 'router',
      });
    }
  }
  const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
  // Scoped per API key: two keys using the same Idempotency-Key get two queries, and neither learns
  // anything about the other's.
  const idempotencyKey = idempotencyKeyHeader === undefined ? null : `${principal.apiKeyId}:${idempotencyKeyHeader}`;

  if (idempotencyKey !== null) {
    const existing = await findQueryByIdempotencyKey(deps.prisma, idempotencyKey);
    if (existing) return replay(existing, requestHash);
  }
  const exhausted = await exhaustedKeyBudget(deps.prisma, principal, { monthlyBudgetUsd: principal.monthlyBudgetUsd });
  if (exhausted) return exhausted;
  const inserted = await insertQuery(deps.prisma, {
    prompt: request.prompt,
    system: request.system ?? null,
    options: {
      ...(request.metadata === undefined ? {} : { metadata: request.metadata as object }),
      ...(request.quality === undefined ? {} : { quality: request.quality }),
      ...(request.targetCostUsd === undefined ? {} : { targetCostUsd: request.targetCostUsd }),
      ...(request.router === undefined ? {} : { router: request.router }),
    },
    maxCostUsd: storedBudgetUsd(request.maxCostUsd ?? deps.defaultMaxCostUsd),
    callbackUrl: request.callbackUrl ?? null,
    apiKeyId: principal.apiKeyId,
    idempotencyKey,
    requestHash,
  });
  // Two requests with one key raced; the other one created the row.
  if (inserted.existing) return replay(inserted.query, requestHash);
  const { query } = inserted;
  try {
    await deps.queues.enqueueRoute(query.id);
  } catch (error) {
    deps.logger.warn(
      { queryId: query.id, error: (error as Error).message },
      'enqueue failed; the reconciler will retry',
    );
  }
  return { status: 202, body: { id: query.id, status: query.status } };
}

function replay(existing: { id: string; status: string; requestHash: string | null }, requestHash: string): HttpResult {
  if (existing.requestHash !== requestHash) {
    return errorResponse(409, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body', {
      field: 'Idempotency-Key',
      queryId: existing.id,
    });
  }
  return {
    status: 202,
    body: { id: existing.id, status: existing.status },
    headers: { 'idempotent-replayed': 'true' },
  };
}

/** JSON with sorted keys, so equal bodies hash equal whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
