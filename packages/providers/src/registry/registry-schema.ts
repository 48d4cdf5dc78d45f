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
  concurrency: positiveIntegerSchema.optional(),
  tier: positiveIntegerSchema.optional(),
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
