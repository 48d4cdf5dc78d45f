import path from 'node:path';
import { readModels, resolveDatasetFile } from '@switchyard/datasets';
import { createDefaultSimRegistry, loadModelRegistry, type ModelRegistry } from '@switchyard/providers';

/** One answer model of the pool `record` records, with its list price (USD per 1M tokens, decimal). */
export interface PoolModel {
  id: string;
  inputUsdPerMTok: string;
  outputUsdPerMTok: string;
  priceSource: string | null;
}

export interface RecordPool {
  /** Answer models, cheapest first: the order the workers' recording plans call them in. */
  models: PoolModel[];
  /** The LLM judge panel (models with the `judge` role). */
  judgePanel: string[];
  description: string;
}

/**
 * The pool as the workers read it from the same configuration: SWITCHYARD_MODELS, else the
 * SWITCHYARD_REPLAY dataset's models.json, else the built-in sim pool (see the worker's model setup).
 */
export async function readRecordPool(settings: {
  modelsFile?: string | undefined;
  replay?: string | undefined;
  replayModelsFile?: string | undefined;
  env: NodeJS.ProcessEnv;
}): Promise<RecordPool> {
  if (settings.modelsFile === undefined && settings.replay !== undefined) {
    const file = await resolveDatasetFile(settings.replay);
    const modelsFile = settings.replayModelsFile ?? path.join(path.dirname(file), 'models.json');
    const models = [...(await readModels(modelsFile))].sort((a, b) => a.tier - b.tier);
    return {
      models: models.map((model) => ({
        id: model.id,
        inputUsdPerMTok: String(model.inputUsdPerMTok),
        outputUsdPerMTok: String(model.outputUsdPerMTok),
        priceSource: model.priceSource ?? null,
      })),
      judgePanel: [],
      description: `replay of ${file}`,
    };
  }
  const registry: ModelRegistry =
    settings.modelsFile === undefined
      ? createDefaultSimRegistry()
      : await loadModelRegistry(settings.modelsFile, settings.env);
  const models = [...registry.entries]
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => entry.roles.includes('answer'))
    .sort((a, b) => (a.entry.tier ?? a.index + 1) - (b.entry.tier ?? b.index + 1))
    .map(({ entry }) => ({
      id: entry.id,
      inputUsdPerMTok: entry.pricing.inputUsdPerMTok,
      outputUsdPerMTok: entry.pricing.outputUsdPerMTok,
      priceSource: entry.pricing.source,
    }));
  return {
    models,
    judgePanel: registry.entries.filter((entry) => entry.roles.includes('judge')).map((entry) => entry.id),
    description:
      settings.modelsFile === undefined
        ? 'sim: the built-in simulated pool (answers are SIMULATED)'
        : settings.modelsFile,
  };
}
