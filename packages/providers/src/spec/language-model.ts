/**
 * The provider seam. This file imports nothing: every provider implements `LanguageModel`, and only
 * the one wrapper (`generateText` in `call/`) calls `doGenerate`.
 */

/** One conversation turn. Content is plain text; tool calls and images are out of scope. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Plain text, or JSON output. With a schema, OpenAI-protocol models get `response_format:
 * {type: "json_schema"}` (`strict` passed through) and Anthropic models a forced call of a tool whose
 * input schema it is; the result's `text` is then that JSON document.
 */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: Record<string, unknown>; name?: string; description?: string; strict?: boolean };

/** Settings only one provider understands; other providers ignore them. */
export interface ProviderOptions {
  /** Merged into the Chat Completions request body (e.g. `{ seed: 7, top_p: 0.9 }`). */
  openai?: Record<string, unknown>;
  /** Merged into the Messages request body (e.g. `{ top_k: 40, metadata: { user_id } }`). */
  anthropic?: Record<string, unknown>;
  /** Replay only: serve this record when the dataset holds the same prompt more than once. */
  replay?: { recordId?: string };
}

/** Provider-neutral options of one generation. Give `prompt` or `messages`, not both. */
export interface GenerateOptions {
  /** A single user turn; shorthand for `messages: [{ role: 'user', content: prompt }]`. */
  prompt?: string;
  messages?: ChatMessage[];
  /** System instructions; merged before any system messages. */
  system?: string;
  /**
   * Upper bound on generated tokens. `generateText` fills it from the registry (else a fallback), so
   * every provider request carries one.
   */
  maxOutputTokens?: number;
  temperature?: number;
  stop?: string[];
  responseFormat?: ResponseFormat;
  /** Aborts the request. The wrapper passes a signal that also fires on its timeout. */
  abortSignal?: AbortSignal;
  /** Whole-call timeout, enforced by the wrapper through `abortSignal`; SDK adapters also set it as a backstop. */
  timeoutMs?: number;
  providerOptions?: ProviderOptions;
}

/** Why generation stopped: a normalised value beside the provider's own string. */
export interface FinishReason {
  unified: 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';
  /** The provider's value (`finish_reason`, `stop_reason`), null when it sent none. */
  raw: string | null;
}

/** Token usage as reported by the provider. */
export interface Usage {
  /** null when the provider (or the recording) did not report it. */
  inputTokens: number | null;
  outputTokens: number | null;
  /**
   * Exact cost in USD as a decimal string, for providers that know the charged cost better than
   * tokens × list price (replay serves the recorded cost). When present, the wrapper charges it
   * instead of computing tokens × price.
   */
  costUsd?: string;
  /** The provider's usage object as received. */
  raw: unknown;
}

/** The normalised result of one generation. */
export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  usage: Usage;
  /** The provider's request id (`x-request-id`, `request-id`), null when absent. */
  providerRequestId: string | null;
  /** The model id the provider says served the request (may differ from the requested alias). */
  servedModelId: string | null;
  /** Non-fatal notes, e.g. an ignored setting or an ambiguous replay match. */
  warnings: string[];
  /** True for output made up by the simulator; such output is never a real model's answer. */
  simulated?: boolean;
  /** Provider-specific extras, namespaced by provider (e.g. `replay: { recordId, answer, correct }`). */
  providerMetadata?: Record<string, Record<string, unknown>>;
}

/** A model behind the seam. */
export interface LanguageModel {
  /** `openai` | `anthropic` | `replay` | `sim`, or another adapter's name. */
  readonly provider: string;
  /** The provider's model id (what is sent on the wire). */
  readonly modelId: string;
  /** Performs one call. Only `generateText` calls this; it owns timeouts, error mapping and cost. */
  doGenerate(options: GenerateOptions): Promise<GenerateResult>;
}
