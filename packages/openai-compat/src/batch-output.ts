import { type AnsweredQuery, renderChatCompletion, switchyardDetails } from './chat-completion.js';
import { formatBatchRequestId } from './ids.js';

/** HTTP status a failed query answers with (sync completions; the error file's `response.status_code`). */
export function httpStatusOfQueryError(code: string | null): number {
  switch (code) {
    case 'model_not_found':
      return 404;
    case 'budget_exhausted':
    case 'key_budget_exhausted':
      return 402;
    case 'invalid_request':
      return 400;
    case 'routing_failed':
      return 500;
    default:
      // The cascade ran and no model produced an acceptable answer (provider errors included).
      return 502;
  }
}

/** An output-file line of a completed query. */
export function renderOutputLine(batchId: string, line: number, customId: string, query: AnsweredQuery): string {
  return JSON.stringify({
    id: formatBatchRequestId(batchId, line),
    custom_id: customId,
    response: { status_code: 200, request_id: query.queryId, body: renderChatCompletion(query) },
    error: null,
  });
}

/** A failed query as the error file shows it. */
export interface FailedQuery {
  queryId: string;
  errorCode: string | null;
  errorMessage: string | null;
  /** Everything the failed query still cost, decimal USD. */
  costUsd: string;
  attempts: AnsweredQuery['attempts'];
  requestedModel: string;
}

/**
 * An error-file line of a query that ran and failed (response with its status and error body), or
 * that was cancelled before it started (no response).
 */
export function renderFailedQueryLine(batchId: string, line: number, customId: string, query: FailedQuery): string {
  const code = query.errorCode ?? 'no_answer';
  const message = query.errorMessage ?? 'the query failed';
  const error = { code, message, line };
  if (code === 'batch_cancelled' || code === 'batch_expired') {
    return JSON.stringify({ id: formatBatchRequestId(batchId, line), custom_id: customId, response: null, error });
  }
  const details = switchyardDetails({
    queryId: query.queryId,
    createdAt: new Date(0),
    answer: '',
    answerModel: '',
    requestedModel: query.requestedModel,
    costUsd: query.costUsd,
    outcome: 'failed',
    finishReason: null,
    attempts: query.attempts,
  });
  return JSON.stringify({
    id: formatBatchRequestId(batchId, line),
    custom_id: customId,
    response: {
      status_code: httpStatusOfQueryError(code),
      request_id: query.queryId,
      body: {
        error: { message, type: 'switchyard_error', code, param: null },
        switchyard: { ...details, model: null, outcome: 'failed' },
      },
    },
    error,
  });
}

/** An error-file line of an input line that never became a query (bad JSON, duplicate custom_id, ...). */
export function renderInvalidLine(
  batchId: string,
  line: number,
  invalid: { customId: string | null; code: string; message: string },
): string {
  return JSON.stringify({
    id: formatBatchRequestId(batchId, line),
    custom_id: invalid.customId,
    response: null,
    error: { code: invalid.code, message: `line ${line}: ${invalid.message}`, line },
  });
}
