import { describe, expect, it } from 'vitest';
import { ProviderError } from '../spec/provider-error.js';
import { kindFromStatus, parseRetryAfterMs, redactSecrets } from './http-status.js';

describe('HTTP status mapping', () => {
  it.each([408, 409, 429, 500, 502, 503, 504, 529])('treats %i as retryable', (status) => {
    expect(new ProviderError({ kind: kindFromStatus(status), message: 'x' }).isRetryable).toBe(true);
  });

  it.each([400, 401, 402, 403, 404, 413, 422])('treats %i as final', (status) => {
    expect(new ProviderError({ kind: kindFromStatus(status), message: 'x' }).isRetryable).toBe(false);
  });

  it('names the error and keeps its cause', () => {
    const cause = new Error('socket hang up');
    const error = new ProviderError({ kind: 'network', message: 'reset', cause });
    expect(error.name).toBe('ProviderError');
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toMatchObject({ kind: 'network', isRetryable: true });
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-15T12:00:00Z');

  it('reads retry-after-ms, seconds and HTTP dates', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '250.4' }, now)).toBe(250);
    expect(parseRetryAfterMs({ 'retry-after': '1.5' }, now)).toBe(1500);
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 15 Jan 2025 12:00:07 GMT' }, now)).toBe(7000);
    expect(parseRetryAfterMs(new Headers({ 'Retry-After': '3' }), now)).toBe(3000);
  });

  it('ignores absent, garbled and past values', () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 15 Jan 2025 11:00:00 GMT' }, now)).toBe(0);
  });
});

describe('redactSecrets', () => {
  it('removes every occurrence of a key', () => {
    expect(redactSecrets('key sk-abcdef123 and sk-abcdef123', ['sk-abcdef123'])).toBe('key [redacted] and [redacted]');
  });
});
