import { createAnthropicLanguageModel } from '../anthropic/anthropic-language-model.js';
import { createOpenAILanguageModel } from '../openai/openai-language-model.js';
import type { ReplayIndex } from '../replay/replay-index.js';
import { createReplayLanguageModel } from '../replay/replay-language-model.js';
import type { SimState } from '../sim/sim-directives.js';
import { createSimLanguageModel } from '../sim/sim-language-model.js';
import type { LanguageModel } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';
import type { ModelEntry } from './model-entry.js';
import { apiKeyVariable, type Environment } from './model-registry.js';

/** What building a model may need besides its entry. */
export interface LanguageModelContext {
  /** Where API keys are read, by the variable named in the entry. */
  env?: Environment;
  /** Required for replay entries; one index is shared by all of them. */
  replayIndex?: ReplayIndex;
  /** Simulator memory for `times`-limited failures; default one per process. */
  simState?: SimState;
  /** Replaces global fetch for the HTTP providers (tests, proxies). */
  fetch?: typeof fetch;
}

/** Placeholder key for OpenAI-compatible servers that need none (the SDK insists on a value). */
const NO_API_KEY = 'no-api-key';

function assertNever(value: never): never {
  throw new Error(`unhandled provider: ${String(value)}`);
}

function readApiKey(entry: ModelEntry, env: Environment | undefined): string {
  const variable = apiKeyVariable(entry);
  if (variable === null) return NO_API_KEY;
  const key = env?.[variable];
  if (!key) {
    throw new ProviderError({
      kind: 'invalid_config',
      provider: entry.provider,
      modelId: entry.id,
      message: `model "${entry.id}" needs its API key in environment variable ${variable}, which is not set`,
    });
  }
  return key;
}

/** Builds the `LanguageModel` a registry entry describes. */
export function createLanguageModel(entry: ModelEntry, context: LanguageModelContext = {}): LanguageModel {
  switch (entry.provider) {
    case 'openai':
      return createOpenAILanguageModel({
        modelId: entry.model,
        apiKey: readApiKey(entry, context.env),
        baseURL: entry.baseURL ?? undefined,
        ...(entry.maxTokensField === null ? {} : { maxTokensField: entry.maxTokensField }),
        defaultMaxOutputTokens: entry.maxOutputTokens ?? undefined,
        fetch: context.fetch,
      });
    case 'anthropic':
      return createAnthropicLanguageModel({
        modelId: entry.model,
        apiKey: readApiKey(entry, context.env),
        baseURL: entry.baseURL ?? undefined,
        defaultMaxOutputTokens: entry.maxOutputTokens ?? undefined,
        fetch: context.fetch,
      });
    case 'replay':
      if (!context.replayIndex) {
        throw new ProviderError({
          kind: 'invalid_config',
          provider: 'replay',
          modelId: entry.id,
          message: `model "${entry.id}" is a replay model but no replay index was given; load a dataset and pass createReplayIndex(dataset) as replayIndex`,
        });
      }
      return createReplayLanguageModel({
        index: context.replayIndex,
        modelId: entry.model,
        latencyMs: entry.replayLatencyMs,
      });
    case 'sim':
      return createSimLanguageModel({
        modelId: entry.model,
        skill: entry.sim?.skill ?? 0.5,
        latencyMs: entry.sim?.latencyMs ?? 0,
        state: context.simState,
      });
    default:
      return assertNever(entry.provider);
  }
}
