import type { ModelPricing } from '../pricing/model-pricing.js';

/** What a model is used for: a cascade stage (`answer`) and/or the LLM judge panel (`judge`). */
export type ModelRole = 'answer' | 'judge';

/** How a model's input tokens are bounded before a call. */
export type TokenizerName = 'o200k_base' | 'cl100k_base' | 'bytes';

/** The adapters a registry entry can name. */
export type ProviderName = 'openai' | 'anthropic' | 'replay' | 'sim';

/** How a simulated model behaves. */
export interface SimSettings {
  /** Probability (0..1) that it answers a checkable question right. */
  skill: number;
  /** Simulated latency of every call. */
  latencyMs: number;
}

/** One configured model: how to reach it, what it costs, and its limits. */
export interface ModelEntry {
  /** Switchyard's name for the model (used in plans, the ledger and the API). */
  id: string;
  provider: ProviderName;
  /** The provider's model id sent on the wire (replay: the dataset's model id). */
  model: string;
  /** OpenAI-compatible or Anthropic endpoint; null = the provider's public API. */
  baseURL: string | null;
  /** Name of the environment variable holding the API key (never the key); null = none needed. */
  apiKeyEnv: string | null;
  pricing: ModelPricing;
  contextWindow: number | null;
  /** Default output limit for calls that set none (Anthropic requires one). */
  maxOutputTokens: number | null;
  /** Most calls in flight to this model across every worker process; null = no limit of its own. */
  concurrency: number | null;
  /** Requests per minute across every worker process; null = no limit. */
  rpm: number | null;
  /** Tokens per minute (input bound + output limit per request) across every worker process; null = no limit. */
  tpm: number | null;
  /** 1 = cheapest; orders the cascade when set. */
  tier: number | null;
  /** `answer` (cascade stage), `judge` (judge panel), or both; default `['answer']`. */
  roles: readonly ModelRole[];
  /** OpenAI protocol: the output limit's request field; null = the adapter's default for its base URL. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens' | null;
  /** Explicit input token bound; null = inferred from the model name (see `tokenizerFor`). */
  tokenizer: TokenizerName | null;
  /** Simulator settings (provider `sim` only). */
  sim: SimSettings | null;
  /** Simulated latency of a replayed call (provider `replay` only); 0 = none. */
  replayLatencyMs: number;
}
