import { addDecimals, formatDecimal, multiplyDecimals, parseDecimal, shiftDecimal } from './decimal.js';
import type { ModelPricing } from './model-pricing.js';

/** Tokens per price unit: prices are quoted per million tokens. */
const PER_MILLION_POWER = 6;

/**
 * Exact cost in USD (decimal string) of a call:
 * inputTokens × inputUsdPerMTok / 1e6 + outputTokens × outputUsdPerMTok / 1e6.
 */
export function computeCostUsd(pricing: ModelPricing, inputTokens: number, outputTokens: number): string {
  assertTokenCount(inputTokens, 'inputTokens');
  assertTokenCount(outputTokens, 'outputTokens');
  const input = multiplyDecimals(parseDecimal(BigInt(inputTokens)), parseDecimal(pricing.inputUsdPerMTok));
  const output = multiplyDecimals(parseDecimal(BigInt(outputTokens)), parseDecimal(pricing.outputUsdPerMTok));
  return formatDecimal(shiftDecimal(addDecimals(input, output), PER_MILLION_POWER));
}

/**
 * Worst-case cost of a call, for budget reservation before it starts: the prompt's tokens plus the
 * most the model may generate, at list price.
 */
export function maxCostUsd(entry: { pricing: ModelPricing }, inputTokens: number, maxOutputTokens: number): string {
  return computeCostUsd(entry.pricing, inputTokens, maxOutputTokens);
}

function assertTokenCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer: ${value}`);
}
