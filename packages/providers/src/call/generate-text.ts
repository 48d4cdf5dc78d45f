import { computeCostUsd } from '../pricing/cost.js';
import { formatDecimal, parseDecimal } from '../pricing/decimal.js';
import type { ModelPricing } from '../pricing/model-pricing.js';
import type { GenerateOptions, GenerateResult, LanguageModel } from '../spec/language-model.js';
import { isProviderError, ProviderError } from '../spec/provider-error.js';

/** Timeout of a call that sets none. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/** Output limit of a call when neither the call nor the registry entry sets one. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

export interface GenerateTextRequest {
  model: LanguageModel;
  /** The registry entry of `model`: its prices and output limit. */
  entry: { id: string; pricing: ModelPricing; maxOutputTokens: number | null };
  options: GenerateOptions;
}

export interface GenerateTextResponse {
  result: GenerateResult;
  /**
   * Exact cost in USD as a decimal string: the provider-reported `usage.costUsd` when present
   * (replay), else tokens × list price. null when the provider reported no token counts, in which
   * case a `usage-missing` warning is added: an unknown cost is flagged, never taken as $0.
   */
  costUsd: string | null;
  /** Wall time of `doGenerate`, including any simulated latency. */
  latencyMs: number;
  /** The prices the cost was computed with, for the ledger. */
  pricing: ModelPricing;
}

/**
 * The one caller of `LanguageModel.doGenerate`. It applies the timeout (combined with the caller's
 * signal), fills `maxOutputTokens` from the registry (or `DEFAULT_MAX_OUTPUT_TOKENS`: no request goes
 * out without an output limit), measures latency, computes the cost and turns
 * every failure into a `ProviderError`.
 */
export async function generateText(request: GenerateTextRequest): Promise<GenerateTextResponse> {
  const { model, entry } = request;
  const timeoutMs = request.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const callerSignal = request.options.abortSignal;
  const abortSignal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
  const options: GenerateOptions = {
    ...request.options,
    maxOutputTokens: request.options.maxOutputTokens ?? entry.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
    timeoutMs,
    abortSignal,
  };
  const started = performance.now();
  let result: GenerateResult;
  try {
    result = await model.doGenerate(options);
  } catch (error) {
    throw toProviderError(error, { model, timeoutMs, timedOut: timeoutSignal.aborted, callerSignal });
  }
  const latencyMs = Math.round(performance.now() - started);
  return {
    result: withCostWarnings(result),
    costUsd: costOf(result, entry.pricing),
    latencyMs,
    pricing: entry.pricing,
  };
}

function costOf(result: GenerateResult, pricing: ModelPricing): string | null {
  const { usage } = result;
  if (usage.costUsd !== undefined) return formatDecimal(parseDecimal(usage.costUsd));
  if (usage.inputTokens === null || usage.outputTokens === null) return null;
  return computeCostUsd(pricing, usage.inputTokens, usage.outputTokens);
}

function withCostWarnings(result: GenerateResult): GenerateResult {
  const { usage } = result;
  if (usage.costUsd !== undefined || (usage.inputTokens !== null && usage.outputTokens !== null)) return result;
  return {
    ...result,
    warnings: [...result.warnings, 'usage-missing: the provider reported no token counts; cost unknown'],
  };
}

function toProviderError(
  error: unknown,
  context: { model: LanguageModel; timeoutMs: number; timedOut: boolean; callerSignal: AbortSignal | undefined },
): ProviderError {
  const { model } = context;
  const base = { provider: model.provider, modelId: model.modelId, cause: error };
  // Whatever an SDK threw when our signal fired (its abort error, a body-read error), the cause is the signal.
  if (context.callerSignal?.aborted) {
    return new ProviderError({
      ...base,
      kind: 'aborted',
      message: `${model.provider}/${model.modelId}: call aborted by the caller`,
    });
  }
  if (context.timedOut) {
    if (isProviderError(error) && error.kind === 'timeout') return error;
    return new ProviderError({
      ...base,
      kind: 'timeout',
      message: `${model.provider}/${model.modelId}: no response within ${context.timeoutMs} ms`,
    });
  }
  if (isProviderError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError({
    ...base,
    kind: 'unknown',
    message: `${model.provider}/${model.modelId}: unexpected error: ${message}`,
  });
}
