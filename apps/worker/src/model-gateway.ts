import { loadDataset } from '@switchyard/datasets';
import {
  createDefaultSimRegistry,
  createLanguageModel,
  createReplayIndex,
  type Environment,
  generateText,
  type LanguageModel,
  loadModelRegistry,
  type ModelRegistry,
  maxCostUsd,
  type ReplayIndex,
  registryFromDataset,
} from '@switchyard/providers';
import type { GatewayInput, GatewayResult, ModelGateway } from '@switchyard/queues';

export interface ModelSetup {
  registry: ModelRegistry;
  gateway: ModelGateway;
  /** Pool for the router, cheapest first. */
  pool: string[];
  /** What the models are: "sim (simulated)", "replay of <file>", or the registry file. */
  description: string;
}

/** Output tokens reserved for a call whose model sets no limit. */
const DEFAULT_MAX_OUTPUT_TOKENS = 4_096;

/**
 * Builds the model registry from configuration: SWITCHYARD_MODELS (a registry file), else
 * SWITCHYARD_REPLAY (a recorded dataset), else the built-in simulated pool.
 */
export async function createModelSetup(options: {
  modelsFile?: string | undefined;
  replay?: string | undefined;
  replayModelsFile?: string | undefined;
  replayLatencyMs?: number;
  callTimeoutMs: number;
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
    registry = createDefaultSimRegistry();
    description = 'sim: the built-in simulated pool (answers are SIMULATED)';
  }
  const models = new Map<string, LanguageModel>();
  for (const entry of registry.entries) {
    models.set(entry.id, createLanguageModel(entry, { env: options.env, ...(replayIndex ? { replayIndex } : {}) }));
  }
  const pool = [...registry.entries]
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (a.entry.tier ?? a.index + 1) - (b.entry.tier ?? b.index + 1))
    .map(({ entry }) => entry.id);

  const gateway: ModelGateway = {
    providerOf: (modelId) => registry.get(modelId).provider,
    worstCaseCostUsd(modelId, input) {
      const entry = registry.get(modelId);
      return maxCostUsd(entry, estimateInputTokens(input), entry.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS);
    },
    async generate(modelId, input, signal): Promise<GatewayResult> {
      const entry = registry.get(modelId);
      const model = models.get(modelId);
      if (!model) throw new Error(`model ${modelId} is not built`);
      const response = await generateText({
        model,
        entry,
        options: {
          ...(input.messages ? { messages: input.messages } : { prompt: input.prompt }),
          ...(input.system ? { system: input.system } : {}),
          ...(input.recordId === undefined ? {} : { providerOptions: { replay: { recordId: input.recordId } } }),
          timeoutMs: options.callTimeoutMs,
          ...(signal ? { abortSignal: signal } : {}),
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
        warnings: result.warnings,
        simulated: result.simulated === true,
      };
    },
  };
  return { registry, gateway, pool, description };
}

/**
 * Upper bound of a prompt's input tokens without a tokenizer: BPE tokenizers average well above
 * 2 characters per token on text, so characters/2 (+ framing) over-reserves rather than under.
 */
function estimateInputTokens(input: GatewayInput): number {
  const characters =
    input.prompt.length +
    (input.system?.length ?? 0) +
    (input.messages ?? []).reduce((sum, message) => sum + message.content.length, 0);
  return Math.ceil(characters / 2) + 16;
}
