import OpenAI from 'openai';
import {
  type ErrorContext,
  type HeaderSource,
  kindFromStatus,
  mentionsContentPolicy,
  mentionsContextLength,
  parseRetryAfterMs,
  redactSecrets,
} from '../errors/http-status.js';
import { isProviderError, ProviderError, type ProviderErrorKind } from '../spec/provider-error.js';

function kindOf(error: InstanceType<typeof OpenAI.APIError>, status: number): ProviderErrorKind {
  const code = typeof error.code === 'string' ? error.code : '';
  if (code === 'context_length_exceeded' || (status === 400 && mentionsContextLength(error.message))) {
    return 'context_length_exceeded';
  }
  if (
    code === 'content_policy_violation' ||
    code === 'content_filter' ||
    (status === 400 && mentionsContentPolicy(error.message))
  ) {
    return 'content_policy';
  }
  // A 429 for an exhausted quota or billing limit does not clear by waiting.
  if (code === 'insufficient_quota' || code === 'billing_hard_limit_reached') return 'permission';
  if (code === 'model_not_found') return 'not_found';
  return kindFromStatus(status);
}

/** Maps whatever the OpenAI SDK threw to a `ProviderError` (the SDK error becomes its `cause`). */
export function mapOpenAIError(error: unknown, context: ErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const base = { provider: context.provider, modelId: context.modelId, cause: error };
  const prefix = `${context.provider}/${context.modelId}`;
  const clean = (message: string) => redactSecrets(message, context.secrets);
  // Subclasses first: a timeout is a connection error is an APIError.
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new ProviderError({ ...base, kind: 'timeout', message: `${prefix}: request timed out` });
  }
  if (error instanceof OpenAI.APIUserAbortError) {
    return new ProviderError({ ...base, kind: 'aborted', message: `${prefix}: request aborted` });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ProviderError({ ...base, kind: 'network', message: clean(`${prefix}: ${error.message}${cause}`) });
  }
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    return new ProviderError({
      ...base,
      kind: kindOf(error, error.status),
      statusCode: error.status,
      requestId: error.requestID ?? undefined,
      retryAfterMs: parseRetryAfterMs(error.headers as HeaderSource),
      message: clean(`${prefix}: ${error.message}`),
    });
  }
  if (error instanceof SyntaxError) {
    return new ProviderError({
      ...base,
      kind: 'invalid_response',
      message: `${prefix}: response body is not valid JSON: ${error.message}`,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError({ ...base, kind: 'unknown', message: clean(`${prefix}: ${message}`) });
}
