import Anthropic from '@anthropic-ai/sdk';
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

/** Anthropic's `error.type` values, see https://docs.anthropic.com/en/api/errors. */
const kindsByType: Record<string, ProviderErrorKind> = {
  overloaded_error: 'overloaded',
  rate_limit_error: 'rate_limit',
  authentication_error: 'authentication',
  permission_error: 'permission',
  billing_error: 'permission',
  not_found_error: 'not_found',
  request_too_large: 'bad_request',
  api_error: 'server',
  timeout_error: 'timeout',
};

function kindOf(error: InstanceType<typeof Anthropic.APIError>, status: number): ProviderErrorKind {
  const message = error.apiMessage ?? error.message;
  if (status === 400 && mentionsContextLength(message)) return 'context_length_exceeded';
  if (status === 400 && mentionsContentPolicy(message)) return 'content_policy';
  if (error.type && kindsByType[error.type]) return kindsByType[error.type]!;
  return kindFromStatus(status);
}

/** Maps whatever the Anthropic SDK threw to a `ProviderError` (the SDK error becomes its `cause`). */
export function mapAnthropicError(error: unknown, context: ErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const base = { provider: context.provider, modelId: context.modelId, cause: error };
  const prefix = `${context.provider}/${context.modelId}`;
  const clean = (message: string) => redactSecrets(message, context.secrets);
  // Subclasses first: a timeout is a connection error is an APIError.
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new ProviderError({ ...base, kind: 'timeout', message: `${prefix}: request timed out` });
  }
  if (error instanceof Anthropic.APIUserAbortError) {
    return new ProviderError({ ...base, kind: 'aborted', message: `${prefix}: request aborted` });
  }
  if (error instanceof Anthropic.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return new ProviderError({ ...base, kind: 'network', message: clean(`${prefix}: ${error.message}${cause}`) });
  }
  if (error instanceof Anthropic.APIError && typeof error.status === 'number') {
    return new ProviderError({
      ...base,
      kind: kindOf(error, error.status),
      statusCode: error.status,
      requestId: error.requestID ?? undefined,
      retryAfterMs: parseRetryAfterMs(error.headers as HeaderSource),
      message: clean(`${prefix}: ${error.status} ${error.type ?? 'error'}: ${error.apiMessage ?? error.message}`),
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
