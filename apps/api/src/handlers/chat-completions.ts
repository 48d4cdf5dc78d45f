import { type ApiKeyPrincipal, insertQuery, type PrismaClient, readQueryStatus } from '@switchyard/db';
import {
  httpStatusOfQueryError,
  parseChatRequest,
  renderChatCompletion,
  renderChatCompletionChunks,
} from '@switchyard/openai-compat';
import { answeredQueryOf, attemptsByQuery, QUERY_VIEW_SELECT, type Queues } from '@switchyard/queues';
import { errorResponse, type HttpResult } from '../http/error-response.js';
import { exhaustedKeyBudget } from '../http/key-budget.js';

export interface ChatCompletionsDeps {
  prisma: PrismaClient;
  queues: Queues;
  defaultMaxCostUsd: number;
  /** How long a synchronous completion waits for its query before answering 504 with the query id. */
  chatTimeoutMs: number;
  logger: { warn(object: object, message?: string): void };
}

/** A completed query's answer as Server-Sent Events (`stream: true`). */
export interface StreamResult {
  events: object[];
}

/**
 * POST /v1/chat/completions: the request becomes an ordinary query (routed, judged, billed through
 * the ledger like any other), and the handler waits for it. The answer is sent once the cascade has
 * accepted it: as one `chat.completion`, or with `stream: true` as chunks sent back to back. A query
 * still running after `chatTimeoutMs` answers 504 with its id (poll GET /v1/queries/:id); it goes on.
 */
export async function createChatCompletion(
  deps: ChatCompletionsDeps,
  principal: ApiKeyPrincipal,
  body: unknown,
  signal: AbortSignal,
): Promise<HttpResult | StreamResult> {
  const parsed = parseChatRequest(body);
  if (!parsed.ok) {
    return errorResponse(parsed.code === 'model_not_found' ? 404 : 400, parsed.code, parsed.message, {
      param: parsed.param,
    });
  }
  const { draft } = parsed;
  const exhausted = await exhaustedKeyBudget(deps.prisma, principal);
  if (exhausted) return exhausted;
  const { query } = await insertQuery(deps.prisma, {
    prompt: draft.prompt,
    system: draft.system,
    options: JSON.parse(JSON.stringify(draft.options)) as object,
    maxCostUsd: deps.defaultMaxCostUsd.toFixed(12),
    callbackUrl: null,
    apiKeyId: principal.apiKeyId,
    idempotencyKey: null,
    requestHash: null,
  });
  try {
    await deps.queues.enqueueRoute(query.id);
  } catch (error) {
    deps.logger.warn(
      { queryId: query.id, error: (error as Error).message },
      'enqueue failed; the reconciler will retry',
    );
  }
  const status = await waitForQuery(deps.prisma, query.id, deps.chatTimeoutMs, signal);
  if (status === 'timeout' || status === 'aborted') {
    return {
      ...errorResponse(
        504,
        'timeout',
        `the answer was not ready within ${deps.chatTimeoutMs} ms; the query goes on: poll GET /v1/queries/${query.id}`,
        { query_id: query.id },
      ),
      headers: { 'switchyard-query-id': query.id },
    };
  }
  const row = await deps.prisma.query.findUniqueOrThrow({ where: { id: query.id }, select: QUERY_VIEW_SELECT });
  if (status === 'failed') {
    return {
      ...errorResponse(
        httpStatusOfQueryError(row.errorCode),
        row.errorCode ?? 'no_answer',
        row.errorMessage ?? 'no answer',
        { query_id: query.id, cost_usd: row.totalCostUsd.toFixed() },
      ),
      headers: { 'switchyard-query-id': query.id },
    };
  }
  const attempts = (await attemptsByQuery(deps.prisma, [query.id])).get(query.id) ?? [];
  const answered = answeredQueryOf(row, attempts);
  if (draft.stream) return { events: renderChatCompletionChunks(answered, { includeUsage: draft.includeUsage }) };
  return { status: 200, body: renderChatCompletion(answered), headers: { 'switchyard-query-id': query.id } };
}

/** Polls the query's status (from 25 ms, doubling to 500 ms) until it ends, the deadline passes or the client leaves. */
async function waitForQuery(
  prisma: PrismaClient,
  queryId: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<'completed' | 'failed' | 'timeout' | 'aborted'> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
    // Plain SQL: a burst of waiting requests polls often, and the Prisma engine's CPU per call adds up.
    const status = await readQueryStatus(prisma, queryId);
    if (status === 'completed' || status === 'failed') return status;
    if (signal.aborted) return 'aborted';
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
  }
}
