import type { GatewayInput } from './deps.js';

/** The query columns a call of the query's own prompt needs. */
export interface QueryText {
  prompt: string;
  system: string | null;
  options: unknown;
}

/**
 * What a call of the query's own prompt sends: the prompt (or the whole conversation of an
 * OpenAI-style request with earlier turns), the system text, and the client's output-token limit,
 * temperature and replay record id.
 */
export function queryGatewayInput(query: QueryText): GatewayInput {
  const options = (query.options ?? {}) as {
    metadata?: { recordId?: unknown };
    conversation?: { role: 'user' | 'assistant'; content: string }[];
    maxOutputTokens?: number;
    temperature?: number;
  };
  const recordId = options.metadata?.recordId;
  return {
    prompt: query.prompt,
    ...(query.system ? { system: query.system } : {}),
    ...(typeof recordId === 'string' ? { recordId } : {}),
    ...(Array.isArray(options.conversation) && options.conversation.length > 1
      ? { messages: options.conversation }
      : {}),
    ...(typeof options.maxOutputTokens === 'number' ? { maxOutputTokens: options.maxOutputTokens } : {}),
    ...(typeof options.temperature === 'number' ? { temperature: options.temperature } : {}),
  };
}
