import type { ApiKeyPrincipal, Batch, PrismaClient } from '@switchyard/db';
import { BATCH_ENDPOINT, parseBatchId, parseFileId, renderBatch } from '@switchyard/openai-compat';
import { cancelBatch, checkCallbackUrl, type Queues } from '@switchyard/queues';
import { z } from 'zod';
import { errorResponse, type HttpResult } from '../http/error-response.js';
import { exhaustedKeyBudget } from '../http/key-budget.js';
import { listPage, type PageQuery, parsePageQuery } from './pagination.js';

export interface BatchesDeps {
  prisma: PrismaClient;
  queues: Queues;
  allowPrivateCallbacks: boolean;
  /** Budget of each query of a batch, USD. */
  defaultMaxCostUsd: number;
  logger: { warn(object: object, message?: string): void };
}

/** OpenAI accepts only "24h"; so does Switchyard (the batch's `expires_at`). */
const COMPLETION_WINDOWS: Record<string, number> = { '24h': 24 * 3600_000 };

const createBatchSchema = z.strictObject({
  input_file_id: z.string({ message: 'input_file_id is required' }),
  endpoint: z.string({ message: `endpoint is required: "${BATCH_ENDPOINT}"` }),
  completion_window: z.string({ message: 'completion_window is required: "24h"' }),
  metadata: z
    .record(z.string().max(64, 'metadata keys are at most 64 characters'), z.string().max(2_048))
    .refine((value) => Object.keys(value).length <= 16, 'metadata holds at most 16 keys')
    .nullish(),
  output_expires_after: z.unknown().optional(),
});

/**
 * POST /v1/batches: checks the input file (the caller's own, an uploaded batch file), the endpoint,
 * the window and `metadata.callback_url`, writes the batch row (status `validating`) and enqueues its
 * expansion. Lines are checked one by one as they are expanded; bad ones go to the error file.
 */
export async function createBatch(deps: BatchesDeps, principal: ApiKeyPrincipal, body: unknown): Promise<HttpResult> {
  const parsed = createBatchSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join('.') || null;
    return errorResponse(400, 'invalid_request', issue ? `${param ?? 'body'}: ${issue.message}` : 'invalid body', {
      param,
    });
  }
  const request = parsed.data;
  if (request.endpoint !== BATCH_ENDPOINT) {
    return errorResponse(400, 'unsupported_endpoint', `endpoint must be "${BATCH_ENDPOINT}"`, { param: 'endpoint' });
  }
  const windowMs = COMPLETION_WINDOWS[request.completion_window];
  if (windowMs === undefined) {
    return errorResponse(400, 'invalid_completion_window', 'completion_window must be "24h"', {
      param: 'completion_window',
    });
  }
  const fileUuid = parseFileId(request.input_file_id);
  if (fileUuid === null) {
    return errorResponse(400, 'invalid_id', 'input_file_id looks like file-<uuid>', { param: 'input_file_id' });
  }
  const file = await deps.prisma.file.findFirst({
    where: { id: fileUuid, apiKeyId: principal.apiKeyId, deletedAt: null },
  });
  if (file === null) {
    return errorResponse(404, 'not_found', `no file ${request.input_file_id}`, { param: 'input_file_id' });
  }
  if (file.purpose !== 'batch' || file.contentOid === null) {
    return errorResponse(
      400,
      'invalid_file_purpose',
      `file ${request.input_file_id} was not uploaded with purpose "batch"`,
      {
        param: 'input_file_id',
      },
    );
  }
  const metadata = request.metadata ?? null;
  const callbackUrl = metadata?.callback_url;
  if (callbackUrl !== undefined) {
    const check = await checkCallbackUrl(callbackUrl, { allowPrivate: deps.allowPrivateCallbacks });
    if (!check.ok) {
      // The check names the query field (callbackUrl); here the URL is a batch's metadata.callback_url.
      const message = check.message.replace(/^callbackUrl/, 'metadata.callback_url');
      return errorResponse(400, check.code, message, { param: 'metadata.callback_url' });
    }
  }
  const exhausted = await exhaustedKeyBudget(deps.prisma, principal);
  if (exhausted) return exhausted;
  const batch = await deps.prisma.batch.create({
    data: {
      apiKeyId: principal.apiKeyId,
      inputFileId: file.id,
      endpoint: request.endpoint,
      completionWindow: request.completion_window,
      ...(metadata === null ? {} : { metadata }),
      callbackUrl: callbackUrl ?? null,
      totalCount: file.lineCount,
      queryMaxCostUsd: deps.defaultMaxCostUsd.toFixed(12),
      expiresAt: new Date(Date.now() + windowMs),
    },
  });
  try {
    await deps.queues.enqueueExpandBatch(batch.id, 0);
  } catch (error) {
    deps.logger.warn(
      { batchId: batch.id, error: (error as Error).message },
      'enqueue failed; the reconciler will retry',
    );
  }
  return { status: 200, body: renderBatch(batch) };
}

async function findBatch(
  deps: BatchesDeps,
  principal: ApiKeyPrincipal,
  id: string,
): Promise<{ error: HttpResult } | { batch: Batch }> {
  const uuid = parseBatchId(id);
  if (uuid === null)
    return { error: errorResponse(400, 'invalid_id', 'a batch id looks like batch_<uuid>', { param: 'id' }) };
  const batch = await deps.prisma.batch.findFirst({ where: { id: uuid, apiKeyId: principal.apiKeyId } });
  if (batch === null) return { error: errorResponse(404, 'not_found', `no batch ${id}`) };
  return { batch };
}

/**
 * What Switchyard adds to a batch object: spend so far (the ledger's sum over the batch's queries),
 * how many answers needed a later cascade stage, and the expansion cursor.
 */
export async function batchStats(prisma: PrismaClient, batch: Batch) {
  const [row] = await prisma.$queryRaw<{ cost: string | null; answered: bigint; escalated: bigint }[]>`
    SELECT trim_scale(SUM(total_cost_usd))::text AS cost,
           COUNT(*) FILTER (WHERE status = 'completed') AS answered,
           COUNT(*) FILTER (WHERE status = 'completed' AND COALESCE((outcome->>'stage')::int, 0) > 0) AS escalated
    FROM queries WHERE batch_id = ${batch.id}::uuid`;
  const answered = Number(row?.answered ?? 0);
  const escalated = Number(row?.escalated ?? 0);
  return {
    cost_usd: row?.cost ?? '0',
    expanded_lines: batch.expandedLines,
    expansion_done: batch.expansionDone,
    queries: batch.queryCount,
    invalid_lines: batch.invalidCount,
    escalated,
    escalation_rate: answered === 0 ? null : escalated / answered,
  };
}

/** GET /v1/batches/:id */
export async function getBatch(deps: BatchesDeps, principal: ApiKeyPrincipal, id: string): Promise<HttpResult> {
  const found = await findBatch(deps, principal, id);
  if ('error' in found) return found.error;
  return { status: 200, body: renderBatch(found.batch, await batchStats(deps.prisma, found.batch)) };
}

/** POST /v1/batches/:id/cancel */
export async function cancelBatchRoute(deps: BatchesDeps, principal: ApiKeyPrincipal, id: string): Promise<HttpResult> {
  const found = await findBatch(deps, principal, id);
  if ('error' in found) return found.error;
  const result = await cancelBatch(deps, found.batch.id, principal.apiKeyId);
  if (result.kind === 'not_found') return errorResponse(404, 'not_found', `no batch ${id}`);
  if (result.kind === 'not_cancellable') {
    return errorResponse(409, 'batch_not_cancellable', `batch ${id} is ${result.status} and cannot be cancelled`);
  }
  const batch = await deps.prisma.batch.findUniqueOrThrow({ where: { id: found.batch.id } });
  return { status: 200, body: renderBatch(batch) };
}

/** GET /v1/batches (newest first; `after`, `limit`). */
export async function listBatches(
  deps: BatchesDeps,
  principal: ApiKeyPrincipal,
  query: Record<string, unknown>,
): Promise<HttpResult> {
  const page = parsePageQuery(query, parseBatchId, 'batch');
  if ('error' in page) return page.error;
  return listPage(page as PageQuery, {
    find: (where, take) =>
      deps.prisma.batch.findMany({
        where: { ...where, apiKeyId: principal.apiKeyId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take,
      }),
    cursorOf: (id) =>
      deps.prisma.batch.findFirst({
        where: { id, apiKeyId: principal.apiKeyId },
        select: { id: true, createdAt: true },
      }),
    render: (batch) => renderBatch(batch),
  });
}
