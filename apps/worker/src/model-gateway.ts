import { formatUsd, parseUsd, tokenCostPicoUsd } from '@switchyard/core';
import { loadDataset } from '@switchyard/datasets';
import {
  createDefaultSimRegistry,
  createLanguageModel,
  createReplayIndex,
  DEFAULT_MAX_OUTPUT_TOKENS,
  type Environment,
  formatDecimal,
  type GenerateOptions,
  generateText,
  inputTokenUpperBound,
  type LanguageModel,
  loadModelRegistry,
  type ModelEntry,
  type ModelRegistry,
  parseDecimal,
  type ReplayIndex,
  registryFromDataset,
  replayKey,
} from '@switchyard/providers';
import type { GatewayInput, GatewayPricing, GatewayResult, ModelGateway } from '@switchyard/queues';

export interface ModelSetup {
  registry: ModelRegistry;
  gateway: ModelGateway;
  /** Pool for the router, cheapest first: the models with the `answer` role. */
  pool: string[];
  /** The LLM judge panel: the models with the `judge` role, in registry order. */
  judgePanel: string[];
  /** What the models are: "sim (simulated)", "replay of <file>", or the registry file. */
  description: string;
}

/** How the gateway sizes calls under the budget. */
export interface CallLimits {
  /** A call whose budget cannot pay this many output tokens after its input is not made. */
  minOutputTokens: number;
  /** Output cap of LLM judge calls (a verdict is short), below the model's own cap. */
  judgeMaxOutputTokens: number;
}

export const DEFAULT_CALL_LIMITS: CallLimits = { minOutputTokens: 16, judgeMaxOutputTokens: 512 };

/**
 * Builds the model registry from configuration: SWITCHYARD_MODELS (a registry file), else
 * SWITCHYARD_REPLAY (a recorded dataset), else the built-in simulated pool.
 */
export async function createModelSetup(options: {
  modelsFile?: string | undefined;
  replay?: string | undefined;
  replayModelsFile?: string | undefined;
  replayLatencyMs?: number;
  /** Replaces the built-in sim pool's per-model latencies (benchmarks). */
  simLatencyMs?: number | undefined;
  callTimeoutMs: number;
  limits?: CallLimits;
  env: Environment;
}): Promise<ModelSetup> {
  let registry: ModelRegistry;
  let replayIndex: ReplayIndex | undefined;
  let description: string;
  if (options.replay) {
    const dataset = await loadDataset(
      options.replay,
      options.replayModelsFile ? { modelsFile: options.replayModelsFile } : {},
    );
    replayIndex = createReplayIndex(dataset);
    description = `replay of ${dataset.file} (${dataset.records.length} recorded prompts)`;
    registry = options.modelsFile
      ? await loadModelRegistry(options.modelsFile, options.env)
      : registryFromDataset(dataset, { latencyMs: options.replayLatencyMs ?? 0 });
  } else if (options.modelsFile) {
    registry = await loadModelRegistry(options.modelsFile, options.env);
    description = `models from ${options.modelsFile}`;
  } else {
    registry = createDefaultSimRegistry(options.simLatencyMs === undefined ? {} : { latencyMs: options.simLatencyMs });
    description = 'sim: the built-in simulated pool (answers are SIMULATED)';
  }
  const models = new Map<string, LanguageModel>();
  for (const entry of registry.entries) {
    models.set(entry.id, createLanguageModel(entry, { env: options.env, ...(replayIndex ? { replayIndex } : {}) }));
  }
  const pool = [...registry.entries]
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => entry.roles.includes('answer'))
    .sort((a, b) => (a.entry.tier ?? a.index + 1) - (b.entry.tier ?? b.index + 1))
    .map(({ entry }) => entry.id);
  const judgePanel = registry.entries.filter((entry) => entry.roles.includes('judge')).map((entry) => entry.id);
  const gateway = createModelGateway(registry, models, {
    callTimeoutMs: options.callTimeoutMs,
    limits: options.limits ?? DEFAULT_CALL_LIMITS,
    ...(replayIndex ? { replayIndex } : {}),
  });
  return { registry, gateway, pool, judgePanel, description };
}

/**
 * The pipeline's door to the registry's models. A call's worst case is priced from a true upper bound
 * of its input tokens (`inputTokenUpperBound`: OpenAI's tokenizer for OpenAI families, else UTF-8
 * bytes) and its output cap; the ledger turns that into the request's output limit under the budget.
 * A replayed call's cost is known before the call (the recording's), so that is its worst case.
 */
export function createModelGateway(
  registry: ModelRegistry,
  models: ReadonlyMap<string, LanguageModel>,
  settings: { callTimeoutMs: number; limits: CallLimits; replayIndex?: ReplayIndex },
): ModelGateway {
  const { limits } = settings;
  const pricingOf = (modelId: string, input: GatewayInput): GatewayPricing => {
    const entry = registry.get(modelId);
    if (entry.provider === 'replay' && settings.replayIndex !== undefined) {
      const lookup =
        input.prompt === undefined
          ? undefined
          : settings.replayIndex.lookup(replayKey(input.prompt, input.system), entry.model, input.recordId);
      // A prompt without a recording fails before anything is spent (replay_miss): nothing to reserve.
      // The same exact decimal the replay model charges (its recorded cost), so charge = reservation.
      const worstCaseUsd = lookup?.found ? formatDecimal(parseDecimal(lookup.recording.response.costUsd)) : '0';
      return { pricing: { kind: 'fixed', worstCaseUsd } };
    }
    const bound = inputTokenUpperBound(entry, toGenerateOptions(input));
    // The client's own limit (OpenAI max_tokens) lowers the model's configured cap, never raises it.
    const cap = Math.min(entry.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, input.maxOutputTokens ?? Infinity);
    return {
      pricing: {
        kind: 'tokens',
        inputWorstCaseUsd: formatUsd(tokenCostPicoUsd(bound.tokens, entry.pricing.inputUsdPerMTok)),
        outputUsdPerMTok: entry.pricing.outputUsdPerMTok,
        maxOutputTokens: input.role === 'judge' ? Math.min(cap, limits.judgeMaxOutputTokens) : cap,
        minOutputTokens: limits.minOutputTokens,
      },
      inputTokenBound: bound,
    };
  };
  return {
    providerOf: (modelId) => registry.get(modelId).provider,
    callPricing: pricingOf,
    minimumCostUsd(modelId, input) {
      const { pricing } = pricingOf(modelId, input);
      if (pricing.kind === 'fixed') return pricing.worstCaseUsd;
      const floor = tokenCostPicoUsd(pricing.minOutputTokens, pricing.outputUsdPerMTok);
      return formatUsd(parseUsd(pricing.inputWorstCaseUsd) + floor);
    },
    async generate(modelId, input, callOptions = {}): Promise<GatewayResult> {
      const entry: ModelEntry = registry.get(modelId);
      const model = models.get(modelId);
      if (!model) throw new Error(`model ${modelId} is not built`);
      const response = await generateText({
        model,
        entry,
        options: {
          ...toGenerateOptions(input),
          ...(callOptions.maxOutputTokens === undefined ? {} : { maxOutputTokens: callOptions.maxOutputTokens }),
          ...(input.recordId === undefined ? {} : { providerOptions: { replay: { recordId: input.recordId } } }),
          ...(input.temperature === undefined ? {} : { temperature: input.temperature }),
          timeoutMs: settings.callTimeoutMs,
          ...(callOptions.signal ? { abortSignal: callOptions.signal } : {}),
        },
      });
      const { result } = response;
      return {
        text: result.text,
        provider: entry.provider,
        costUsd: response.costUsd,
        inputTokens: result.usage.inputTokens,
        outputTokens: result.usage.outputTokens,
        latencyMs: response.latencyMs,
        providerRequestId: result.providerRequestId,
        finishReason: result.finishReason.raw ?? result.finishReason.unified,
        finish: result.finishReason.unified,
        warnings: result.warnings,
        simulated: result.simulated === true,
      };
    },
  };
}

function toGenerateOptions(input: GatewayInput): GenerateOptions {
  return {
    ...(input.messages ? { messages: input.messages } : { prompt: input.prompt ?? '' }),
    ...(input.system ? { system: input.system } : {}),
    ...(input.responseFormat ? { responseFormat: input.responseFormat } : {}),
  };
}
