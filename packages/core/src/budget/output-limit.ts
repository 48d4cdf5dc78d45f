import { formatUsd, parseUsd } from './usd.js';

const TOKENS_PER_PRICE_UNIT = 1_000_000n;

/** Pico-USD of `tokens` at `usdPerMTok` (USD per 1M tokens), rounded up: never below the exact cost. */
export function tokenCostPicoUsd(tokens: number, usdPerMTok: string | number): bigint {
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new RangeError(`not a token count: ${tokens}`);
  const perMTok = parseUsd(usdPerMTok);
  if (perMTok < 0n) throw new RangeError(`negative price: ${usdPerMTok}`);
  return ceilDiv(BigInt(tokens) * perMTok, TOKENS_PER_PRICE_UNIT);
}

/** Inputs of {@link outputTokenLimit}. */
export interface OutputLimitInput {
  /** What the query may still commit: budget − spent − other reservations, pico-USD; null = no budget. */
  remainingPicoUsd: bigint | null;
  /** Worst-case input cost of the call (its input token upper bound at the input price), pico-USD. */
  inputWorstCasePicoUsd: bigint;
  /** Output price, USD per 1M tokens. */
  outputUsdPerMTok: string | number;
  /** The model's own output cap (registry `maxOutputTokens` or a default). */
  maxOutputTokens: number;
  /** Below this many affordable output tokens the call is not worth making. */
  minOutputTokens: number;
}

export type OutputLimit =
  | {
      ok: true;
      /** The request's `max_tokens`: no larger than the budget can pay after the input. */
      maxOutputTokens: number;
      /** Input worst case + `maxOutputTokens` at the output price (rounded up): what the call may cost. */
      reservationPicoUsd: bigint;
    }
  | { ok: false; reason: string; affordableOutputTokens: number };

/**
 * The output-token limit of one provider request under a hard budget: the most output tokens the
 * remaining budget can pay after the input's worst case, capped by the model's limit; a call that
 * cannot afford `minOutputTokens` is not made. Exact integer arithmetic: input worst case +
 * limit × output price never exceeds `remainingPicoUsd`.
 */
export function outputTokenLimit(input: OutputLimitInput): OutputLimit {
  const cap = Math.max(0, Math.floor(input.maxOutputTokens));
  const perMTok = parseUsd(input.outputUsdPerMTok);
  let affordable = cap;
  if (input.remainingPicoUsd !== null) {
    const left = input.remainingPicoUsd - input.inputWorstCasePicoUsd;
    if (left < 0n) {
      return {
        ok: false,
        affordableOutputTokens: 0,
        reason: `the input alone may cost $${formatUsd(input.inputWorstCasePicoUsd)}, more than the $${formatUsd(input.remainingPicoUsd)} left`,
      };
    }
    if (perMTok > 0n) {
      const tokens = (left * TOKENS_PER_PRICE_UNIT) / perMTok;
      if (tokens < BigInt(cap)) affordable = Number(tokens);
    }
  }
  if (affordable < input.minOutputTokens) {
    return {
      ok: false,
      affordableOutputTokens: affordable,
      reason: `the budget pays for ${affordable} output tokens after the input, fewer than the ${input.minOutputTokens} a call needs`,
    };
  }
  return {
    ok: true,
    maxOutputTokens: affordable,
    reservationPicoUsd: input.inputWorstCasePicoUsd + ceilDiv(BigInt(affordable) * perMTok, TOKENS_PER_PRICE_UNIT),
  };
}

function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}
