import { z } from 'zod';

const priceSchema = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?$/, 'expected a decimal string')]);
const positiveIntegerSchema = z.number().int().positive();

/** One model in a `SWITCHYARD_MODELS` file. Unknown keys are refused so a typo cannot drop a setting. */
export const modelConfigSchema = z.strictObject({
  id: z.string().min(1),
  provider: z.enum(['openai', 'anthropic', 'replay', 'sim']),
  /** The provider's model id; defaults to `id`. */
  model: z.string().min(1).optional(),
  baseURL: z.url().optional(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name (not the key itself)')
    .optional(),
  /** USD per 1M input tokens. Optional here only so that a missing price gets its own error. */
  inputUsdPerMTok: priceSchema.optional(),
  outputUsdPerMTok: priceSchema.optional(),
  priceSource: z.string().min(1).optional(),
  priceDate: z.string().min(1).optional(),
  contextWindow: positiveIntegerSchema.optional(),
  maxOutputTokens: positiveIntegerSchema.optional(),
  /** Calls in flight to this model across every worker process. */
  concurrency: positiveIntegerSchema.optional(),
  /** Requests per minute across every worker process (the provider's limit for your account). */
  rpm: positiveIntegerSchema.optional(),
  /** Tokens per minute across every worker process: each request counts its input bound + output limit. */
  tpm: positiveIntegerSchema.optional(),
  tier: positiveIntegerSchema.optional(),
  /**
   * What the model is used for: `answer` (a cascade stage), `judge` (the LLM judge panel), or both.
   * Default `["answer"]`.
   */
  roles: z
    .array(z.enum(['answer', 'judge']))
    .min(1)
    .refine((roles) => new Set(roles).size === roles.length, 'a role is listed twice')
    .optional(),
  /**
   * OpenAI-protocol models: the request field of the output limit. Default `max_completion_tokens` on
   * the OpenAI API, `max_tokens` on other base URLs.
   */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  /**
   * How input tokens are bounded before a call (the budget reserves that worst case): `o200k_base` or
   * `cl100k_base` (OpenAI's tokenizers, exact for those families), or `bytes` (UTF-8 bytes, an upper
   * bound for byte-level tokenizers). Default: by model name for OpenAI families, else `bytes`.
   */
  tokenizer: z.enum(['o200k_base', 'cl100k_base', 'bytes']).optional(),
  sim: z
    .strictObject({ skill: z.number().min(0).max(1), latencyMs: z.number().int().nonnegative().default(0) })
    .optional(),
  replay: z.strictObject({ latencyMs: z.number().int().nonnegative() }).optional(),
  /** Free text for people reading the file. */
  notes: z.string().optional(),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** A `SWITCHYARD_MODELS` file. */
export const registryConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  models: z.array(modelConfigSchema).min(1, 'expected at least one model'),
});
export type RegistryConfig = z.infer<typeof registryConfigSchema>;
