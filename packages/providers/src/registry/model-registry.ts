import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { createModelPricing } from '../pricing/model-pricing.js';
import { ProviderError } from '../spec/provider-error.js';
import type { ModelEntry } from './model-entry.js';
import { type ModelConfig, registryConfigSchema } from './registry-schema.js';

/** Environment variables as a plain map; packages never read `process.env` themselves. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The configured models, in configuration order. */
export interface ModelRegistry {
  /** Where the entries came from: a file path, `dataset:<file>` or `sim:default`. */
  readonly source: string;
  readonly entries: readonly ModelEntry[];
  has(id: string): boolean;
  /** The entry, or a `ProviderError` of kind `unknown_model`. */
  get(id: string): ModelEntry;
}

export interface ParseRegistryOptions {
  /** Named in every error; defaults to `models config`. */
  file?: string;
  /**
   * Check that each openai/anthropic model's API key variable is set (default true). Turn off in
   * processes that only need prices, never in those that call models.
   */
  requireApiKeys?: boolean;
}

function configError(message: string, cause?: unknown): ProviderError {
  return new ProviderError({ kind: 'invalid_config', provider: 'registry', message, cause });
}

/** Builds a registry from entries, refusing duplicate ids. */
export function createModelRegistry(entries: readonly ModelEntry[], source: string): ModelRegistry {
  const byId = new Map<string, ModelEntry>();
  for (const entry of entries) {
    if (byId.has(entry.id)) throw configError(`${source}: model id "${entry.id}" is configured twice`);
    byId.set(entry.id, entry);
  }
  return {
    source,
    entries: [...entries],
    has: (id) => byId.has(id),
    get(id) {
      const entry = byId.get(id);
      if (entry) return entry;
      throw new ProviderError({
        kind: 'unknown_model',
        provider: 'registry',
        modelId: id,
        message: `model "${id}" is not in the registry (${source}); known: ${[...byId.keys()].join(', ')}`,
      });
    },
  };
}

/**
 * The API key variable a model needs: `apiKeyEnv`, else OPENAI_API_KEY / ANTHROPIC_API_KEY for the
 * public APIs. An OpenAI-compatible `baseURL` without `apiKeyEnv` needs none (local servers).
 */
export function apiKeyVariable(entry: Pick<ModelEntry, 'provider' | 'baseURL' | 'apiKeyEnv'>): string | null {
  if (entry.apiKeyEnv) return entry.apiKeyEnv;
  if (entry.provider === 'anthropic') return 'ANTHROPIC_API_KEY';
  if (entry.provider === 'openai' && entry.baseURL === null) return 'OPENAI_API_KEY';
  return null;
}

function describeIssue(file: string, json: unknown, issue: z.core.$ZodIssue): string {
  const [first, index, ...rest] = issue.path;
  if (first === 'models' && typeof index === 'number') {
    const models = (json as { models?: unknown[] }).models;
    const raw = models?.[index] as { id?: unknown } | undefined;
    const name = typeof raw?.id === 'string' ? ` (id "${raw.id}")` : '';
    const field = rest.length > 0 ? rest.join('.') : '(entry)';
    return `${file}: models[${index}]${name}: ${field}: ${issue.message}`;
  }
  return `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

function toEntry(config: ModelConfig, index: number, file: string): ModelEntry {
  const where = `${file}: models[${index}] (id "${config.id}")`;
  if (config.inputUsdPerMTok === undefined || config.outputUsdPerMTok === undefined) {
    const missing = config.inputUsdPerMTok === undefined ? 'inputUsdPerMTok' : 'outputUsdPerMTok';
    throw new ProviderError({
      kind: 'unpriced_model',
      provider: 'registry',
      modelId: config.id,
      message: `${where}: ${missing}: model "${config.id}" has no price; every model needs inputUsdPerMTok and outputUsdPerMTok (USD per 1M tokens), a missing price is never taken as $0`,
    });
  }
  if (config.provider === 'sim' && !config.sim) {
    throw configError(`${where}: sim: a sim model needs "sim": { "skill": 0..1, "latencyMs": n }`);
  }
  if (config.sim && config.provider !== 'sim') throw configError(`${where}: sim: only sim models take sim settings`);
  if (config.replay && config.provider !== 'replay') {
    throw configError(`${where}: replay: only replay models take replay settings`);
  }
  if (config.maxTokensField && config.provider !== 'openai') {
    throw configError(`${where}: maxTokensField: only OpenAI-protocol models take it`);
  }
  if (config.baseURL && (config.provider === 'replay' || config.provider === 'sim')) {
    throw configError(`${where}: baseURL: ${config.provider} models do not call a server`);
  }
  return {
    id: config.id,
    provider: config.provider,
    model: config.model ?? config.id,
    baseURL: config.baseURL ?? null,
    apiKeyEnv: config.apiKeyEnv ?? null,
    pricing: createModelPricing({
      inputUsdPerMTok: config.inputUsdPerMTok,
      outputUsdPerMTok: config.outputUsdPerMTok,
      source: config.priceSource,
      date: config.priceDate,
    }),
    contextWindow: config.contextWindow ?? null,
    maxOutputTokens: config.maxOutputTokens ?? null,
    concurrency: config.concurrency ?? null,
    rpm: config.rpm ?? null,
    tpm: config.tpm ?? null,
    tier: config.tier ?? null,
    roles: config.roles ?? ['answer'],
    maxTokensField: config.maxTokensField ?? null,
    tokenizer: config.tokenizer ?? null,
    sim: config.sim ?? null,
    replayLatencyMs: config.replay?.latencyMs ?? 0,
  };
}

/**
 * Validates a parsed `SWITCHYARD_MODELS` document. Errors are `ProviderError`s of kind
 * `invalid_config` (or `unpriced_model`) naming the file, the model's index and id, and the field.
 */
export function parseModelRegistry(json: unknown, env: Environment, options: ParseRegistryOptions = {}): ModelRegistry {
  const file = options.file ?? 'models config';
  const parsed = registryConfigSchema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.slice(0, 5).map((issue) => describeIssue(file, json, issue));
    throw configError(details.join('\n'), parsed.error);
  }
  const entries = parsed.data.models.map((config, index) => toEntry(config, index, file));
  if (options.requireApiKeys ?? true) {
    entries.forEach((entry, index) => {
      const variable = apiKeyVariable(entry);
      if (variable !== null && !env[variable]) {
        throw configError(
          `${file}: models[${index}] (id "${entry.id}"): apiKeyEnv: environment variable ${variable} is not set; set it to the ${entry.provider} API key, or name another variable in "apiKeyEnv"`,
        );
      }
    });
  }
  return createModelRegistry(entries, file);
}

/** Reads and validates a `SWITCHYARD_MODELS` JSON file. */
export async function loadModelRegistry(
  file: string,
  env: Environment,
  options: Omit<ParseRegistryOptions, 'file'> = {},
): Promise<ModelRegistry> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw configError(`cannot read models config ${file}: ${(error as Error).message}`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw configError(`${file}: not valid JSON: ${(error as Error).message}`, error);
  }
  return parseModelRegistry(json, env, { ...options, file });
}
