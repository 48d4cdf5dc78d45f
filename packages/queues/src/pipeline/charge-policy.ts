import type { ChargeBasis } from '@switchyard/db';
import type { GatewayError } from './deps.js';

/** Error kinds providers reject before doing any work, and do not bill: charged 0. */
const NOT_BILLED = new Set([
  'rate_limit',
  'authentication',
  'permission',
  'bad_request',
  'context_length_exceeded',
  'content_policy',
  'not_found',
  'conflict',
  'unknown_model',
  'replay_miss',
  'unpriced_model',
  'invalid_config',
]);

/** Provider failures after the request was read (5xx, overloaded): charged the input's upper bound. */
const INPUT_BILLED = new Set(['server', 'overloaded']);

/** Connection errors that mean the request never left this machine. */
const NEVER_SENT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN)\b/;

/**
 * What a failed try is charged, per docs/architecture.md ("What a failed call costs"): 0 for
 * rejections providers do not bill (429, auth and validation 4xx, a connection refused, errors
 * raised before any request); the input's upper bound for a 5xx or overload (the provider read the
 * request); the full reservation where the provider may have produced and billed the whole answer
 * without us seeing it (timeout, dropped connection, abort, an unreadable 200 response, anything
 * unknown).
 */
export function chargeForFailure(
  error: unknown,
  amounts: { reservedUsd: string; inputWorstCaseUsd: string | null },
): { chargedUsd: string; basis: ChargeBasis } {
  const failure = error as Partial<GatewayError>;
  const kind = failure.kind ?? 'unknown';
  if (NOT_BILLED.has(kind)) return { chargedUsd: '0', basis: 'not-billed' };
  if (kind === 'network' && NEVER_SENT.test(describe(error))) return { chargedUsd: '0', basis: 'not-billed' };
  if (INPUT_BILLED.has(kind) && amounts.inputWorstCaseUsd !== null) {
    return { chargedUsd: amounts.inputWorstCaseUsd, basis: 'input' };
  }
  return { chargedUsd: amounts.reservedUsd, basis: 'reservation' };
}

/** The error's message and its causes' messages and codes, for recognising a connection never made. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    parts.push(current.message, String((current as { code?: unknown }).code ?? ''));
    current = current.cause;
  }
  return parts.join(' ');
}
