import type { ProviderErrorKind } from '../spec/provider-error.js';

/** Who failed, for error messages; `secrets` (the API key) are removed from every message. */
export interface ErrorContext {
  provider: string;
  modelId: string;
  secrets: readonly string[];
}

/** Headers as the SDKs expose them (the Fetch `Headers`), or a plain record. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | undefined> | undefined;

function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof headers.get === 'function') return (headers.get as (key: string) => string | null)(name) ?? undefined;
  const record = headers as Record<string, string | undefined>;
  return record[name] ?? record[name.toLowerCase()];
}

/**
 * Milliseconds to wait before retrying, from `retry-after-ms` (OpenAI, Anthropic) or `retry-after`
 * (seconds, or an HTTP date). Undefined when absent, unparseable or negative.
 */
export function parseRetryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const milliseconds = readHeader(headers, 'retry-after-ms');
  if (milliseconds !== undefined) {
    const value = Number.parseFloat(milliseconds);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const retryAfter = readHeader(headers, 'retry-after')?.trim();
  if (retryAfter === undefined || retryAfter === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number.parseFloat(retryAfter) * 1000);
  const date = Date.parse(retryAfter);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** The kind an HTTP status means on its own, before the body refines it. */
export function kindFromStatus(status: number): ProviderErrorKind {
  if (status === 400 || status === 413 || status === 422) return 'bad_request';
  if (status === 401) return 'authentication';
  if (status === 402 || status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server';
  return 'unknown';
}

const contextLengthPattern =
  /context[_ ]length|context window|maximum context|prompt is too long|too many (input )?tokens|exceeds? the (model'?s? )?(maximum|max)/i;
const contentPolicyPattern = /content[_ ]policy|content[_ ]filter|safety system|flagged/i;

/** Whether an error message says the prompt did not fit the model's context. */
export function mentionsContextLength(message: string): boolean {
  return contextLengthPattern.test(message);
}

/** Whether an error message says the request was refused by a content policy. */
export function mentionsContentPolicy(message: string): boolean {
  return contentPolicyPattern.test(message);
}

/** Replaces each secret (an API key) found in a message; secrets shorter than 6 characters are left. */
export function redactSecrets(message: string, secrets: readonly string[]): string {
  let redacted = message;
  for (const secret of secrets) {
    if (secret.length >= 6) redacted = redacted.split(secret).join('[redacted]');
  }
  return redacted;
}
