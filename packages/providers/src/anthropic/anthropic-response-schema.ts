import { z } from 'zod';

/** The parts of a Messages API response Switchyard reads; extra fields are kept. */
export const anthropicMessageSchema = z.looseObject({
  id: z.string().optional(),
  type: z.literal('message'),
  model: z.string().optional(),
  content: z.array(
    z.looseObject({
      type: z.string(),
      text: z.string().optional(),
      /** tool_use blocks: the tool's name and the input the model gave it. */
      name: z.string().optional(),
      input: z.unknown().optional(),
    }),
  ),
  stop_reason: z.string().nullable().optional(),
  stop_sequence: z.string().nullable().optional(),
  usage: z.looseObject({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative().nullable().optional(),
    cache_read_input_tokens: z.number().int().nonnegative().nullable().optional(),
  }),
});
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;
