import type { Dataset } from '@switchyard/datasets';
import { createModelPricing } from '../pricing/model-pricing.js';
import { defaultSimModelConfigs } from '../sim/default-pool.js';
import type { ModelEntry } from './model-entry.js';
import { createModelRegistry, type ModelRegistry, parseModelRegistry } from './model-registry.js';

/**
 * Replay entries for a dataset's pool, cheapest tier first, priced from its `models.json`.
 * Pair it with `createReplayIndex(dataset)`.
 */
export function registryFromDataset(
  dataset: Pick<Dataset, 'file' | 'models'>,
  options: { latencyMs?: number } = {},
): ModelRegistry {
  const entries = dataset.models.map(
    (model): ModelEntry => ({
      id: model.id,
      provider: 'replay',
      model: model.id,
      baseURL: null,
      apiKeyEnv: null,
      pricing: createModelPricing({
        inputUsdPerMTok: model.inputUsdPerMTok,
        outputUsdPerMTok: model.outputUsdPerMTok,
        source: model.priceSource ?? `models.json beside ${dataset.file}`,
      }),
      contextWindow: null,
      maxOutputTokens: null,
      concurrency: null,
      rpm: null,
      tpm: null,
      tier: model.tier,
      roles: ['answer'],
      maxTokensField: null,
      tokenizer: null,
      sim: null,
      replayLatencyMs: options.latencyMs ?? 0,
    }),
  );
  return createModelRegistry(entries, `dataset:${dataset.file}`);
}

/**
 * The demo pool of simulated models (`defaultSimModelConfigs`). `latencyMs` replaces every model's own
 * simulated latency (benchmarks: 0 measures the pipeline alone, 1000 a slow provider).
 */
export function createDefaultSimRegistry(options: { latencyMs?: number } = {}): ModelRegistry {
  const models =
    options.latencyMs === undefined
      ? defaultSimModelConfigs
      : defaultSimModelConfigs.map((model) => ({
          ...model,
          ...(model.sim ? { sim: { ...model.sim, latencyMs: options.latencyMs } } : {}),
        }));
  return parseModelRegistry({ models }, {}, { file: 'sim:default' });
}
