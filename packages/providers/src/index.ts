export {
  ANTHROPIC_DEFAULT_BASE_URL,
  type AnthropicModelSettings,
  createAnthropicLanguageModel,
} from './anthropic/anthropic-language-model.js';
export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  DEFAULT_TIMEOUT_MS,
  type GenerateTextRequest,
  type GenerateTextResponse,
  generateText,
} from './call/generate-text.js';
export { parseRetryAfterMs } from './errors/http-status.js';
export {
  createOpenAILanguageModel,
  OPENAI_DEFAULT_BASE_URL,
  OPENAI_FALLBACK_MAX_TOKENS,
  type OpenAIModelSettings,
} from './openai/openai-language-model.js';
export { computeCostUsd, maxCostUsd } from './pricing/cost.js';
export {
  addDecimals,
  compareDecimals,
  type Decimal,
  formatDecimal,
  parseDecimal,
  sumDecimalStrings,
} from './pricing/decimal.js';
export { createModelPricing, type ModelPricing } from './pricing/model-pricing.js';
export { createDefaultSimRegistry, registryFromDataset } from './registry/builtin-registries.js';
export { createLanguageModel, type LanguageModelContext } from './registry/create-language-model.js';
export type { ModelEntry, ModelRole, ProviderName, SimSettings, TokenizerName } from './registry/model-entry.js';
export {
  apiKeyVariable,
  createModelRegistry,
  type Environment,
  loadModelRegistry,
  type ModelRegistry,
  type ParseRegistryOptions,
  parseModelRegistry,
} from './registry/model-registry.js';
export {
  type ModelConfig,
  modelConfigSchema,
  type RegistryConfig,
  registryConfigSchema,
} from './registry/registry-schema.js';
export {
  createReplayIndex,
  ReplayIndex,
  type ReplayLookup,
  type ReplayRecording,
  replayKey,
} from './replay/replay-index.js';
export { createReplayLanguageModel, type ReplayModelSettings } from './replay/replay-language-model.js';
export { defaultSimModelConfigs } from './sim/default-pool.js';
export { parseArithmetic } from './sim/sim-answer.js';
export { type SimDirective, SimState } from './sim/sim-directives.js';
export { createSimLanguageModel, SIMULATED_MARKER, type SimModelSettings } from './sim/sim-language-model.js';
export type {
  ChatMessage,
  FinishReason,
  GenerateOptions,
  GenerateResult,
  LanguageModel,
  ProviderOptions,
  ResponseFormat,
  Usage,
} from './spec/language-model.js';
export {
  isProviderError,
  isRetryableKind,
  ProviderError,
  type ProviderErrorKind,
  type ProviderErrorOptions,
} from './spec/provider-error.js';
export {
  countTokens,
  type InputTokenBound,
  inputTokenUpperBound,
  tokenizerFor,
} from './tokens/input-token-bound.js';
