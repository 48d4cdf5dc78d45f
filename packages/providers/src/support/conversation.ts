import type { ChatMessage, GenerateOptions } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';

/** The options' conversation: system text (from `system` and system messages) and the other turns. */
export interface Conversation {
  system: string | undefined;
  turns: Array<ChatMessage & { role: 'user' | 'assistant' }>;
}

/** Splits `prompt`/`messages`/`system` into one shape every adapter can send. */
export function toConversation(options: GenerateOptions, provider: string, modelId: string): Conversation {
  if (options.prompt !== undefined && options.messages !== undefined) {
    throw new ProviderError({
      kind: 'bad_request',
      provider,
      modelId,
      message: 'give either prompt or messages, not both',
    });
  }
  const messages: ChatMessage[] = options.messages ?? [{ role: 'user', content: options.prompt ?? '' }];
  const systemParts = options.system === undefined ? [] : [options.system];
  const turns: Conversation['turns'] = [];
  for (const message of messages) {
    if (message.role === 'system') systemParts.push(message.content);
    else turns.push({ role: message.role, content: message.content });
  }
  if (turns.length === 0) {
    throw new ProviderError({ kind: 'bad_request', provider, modelId, message: 'the conversation has no user turn' });
  }
  return { system: systemParts.length > 0 ? systemParts.join('\n\n') : undefined, turns };
}
