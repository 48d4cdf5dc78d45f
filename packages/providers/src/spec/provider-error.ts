/** What went wrong, in terms the queue and the ledger can act on. */
export type ProviderErrorKind =
  | 'rate_limit'
  | 'overloaded'
  | 'context_length_exceeded'
  | 'authentication'
  | 'permission'
  | 'content_policy'
  | 'bad_request'
  | 'not_found'
  | 'conflict'
  | 'timeout'
  | 'aborted'
  | 'network'
  | 'server'
  | 'invalid_response'
  | 'unknown_model'
  | 'replay_miss'
  | 'unpriced_model'
  | 'invalid_config'
  | 'unknown';

/**
 * Kinds worth trying again later: 408/409/429/5xx (529 included), network failures and timeouts.
 * `invalid_response` is not: a body that fails validation usually fails the same way again.
 */
const retryableKinds: ReadonlySet<ProviderErrorKind> = new Set([
  'rate_limit',
  'overloaded',
  'conflict',
  'timeout',
  'network',
  'server',
]);

/** Whether an error of this kind may succeed when retried. */
export function isRetryableKind(kind: ProviderErrorKind): boolean {
  return retryableKinds.has(kind);
}

export interface ProviderErrorOptions {
  kind: ProviderErrorKind;
  message: string;
  /** `openai`, `anthropic`, `replay`, `sim`, or `registry` for configuration errors. */
  provider?: string;
  modelId?: string;
  statusCode?: number;
  requestId?: string;
  /** From `retry-after-ms` / `retry-after`, when the provider sent one. */
  retryAfterMs?: number;
  /** The error this one was mapped from (an SDK error, a zod error, an abort reason). */
  cause?: unknown;
}

/**
 * The one error of the providers package. `isRetryable` follows from `kind`; the queue maps
 * non-retryable errors to `UnrecoverableError` and lets retryable ones use its backoff, honouring
 * `retryAfterMs` when present. Messages never contain API keys or whole prompts.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly provider: string | undefined;
  readonly modelId: string | undefined;
  readonly statusCode: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly isRetryable: boolean;

  constructor(options: ProviderErrorOptions) {
    super(options.message, { cause: options.cause });
    this.kind = options.kind;
    this.provider = options.provider;
    this.modelId = options.modelId;
    this.statusCode = options.statusCode;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.isRetryable = isRetryableKind(options.kind);
  }

  /** A plain JSON view for logs and the attempt ledger (the cause is left out). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      provider: this.provider,
      modelId: this.modelId,
      statusCode: this.statusCode,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      isRetryable: this.isRetryable,
    };
  }
}

/** Type guard that also works across duplicated module instances. */
export function isProviderError(error: unknown): error is ProviderError {
  return (
    error instanceof ProviderError || (error instanceof Error && error.name === 'ProviderError' && 'kind' in error)
  );
}
