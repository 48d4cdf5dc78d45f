import Anthropic from '@anthropic-ai/sdk';
import type { FinishReason, GenerateOptions, GenerateResult, LanguageModel } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';
import { toConversation } from '../support/conversation.js';
import { anthropicMessageSchema } from './anthropic-response-schema.js';
import { mapAnthropicError } from './map-anthropic-error.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

/** Output limit of a call when neither the call nor the registry sets one (the API requires one). */
export const ANTHROPIC_FALLBACK_MAX_TOKENS = 4096;

export interface AnthropicModelSettings {
  /** Model id sent on the wire, e.g. `claude-sonnet-4-5`. */
  modelId: string;
  apiKey: string;
  /** Default the Anthropic API; the SDK appends `/v1/messages`. */
  baseURL?: string;
  /** Output limit for calls that set none (the registry's `maxOutputTokens`). */
  defaultMaxOutputTokens?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

function finishReasonOf(raw: string | null | undefined): FinishReason {
  const value = raw ?? null;
  switch (value) {
    case 'end_turn':
    case 'stop_sequence':
      return { unified: 'stop', raw: value };
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return { unified: 'length', raw: value };
    case 'refusal':
      return { unified: 'content-filter', raw: value };
    case 'tool_use':
      return { unified: 'tool-calls', raw: value };
    default:
      return { unified: 'other', raw: value };
  }
}

/** A `LanguageModel` over the Messages API, through the official SDK with its retries off. */
export function createAnthropicLanguageModel(settings: AnthropicModelSettings): LanguageModel {
  const client = new Anthropic({
    apiKey: settings.apiKey,
    baseURL: settings.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL,
    // The queue owns retries; the SDK must not retry behind its back.
    maxRetries: 0,
    defaultHeaders: settings.headers,
    fetch: settings.fetch,
  });
  const context = { provider: 'anthropic', modelId: settings.modelId, secrets: [settings.apiKey] };

  return {
    provider: 'anthropic',
    modelId: settings.modelId,
    async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
      const conversation = toConversation(options, 'anthropic', settings.modelId);
      const warnings: string[] = [];
      let system = conversation.system;
      let tool: { name: string; description: string; input_schema: Record<string, unknown> } | undefined;
      if (options.responseFormat?.type === 'json') {
        if (options.responseFormat.schema) {
          // Structured output as a forced tool call: the model must call this one tool, and the
          // tool's input is the JSON document (works on every tool-capable Claude model).
          tool = {
            name: options.responseFormat.name ?? 'respond',
            description: options.responseFormat.description ?? 'Return the response in this format.',
            input_schema: options.responseFormat.schema,
          };
        } else {
          // The Messages API has no schema-less JSON mode; ask in words.
          system = [system, 'Respond with a single JSON value only, without prose or code fences.']
            .filter((part) => part !== undefined)
            .join('\n\n');
          warnings.push('json-mode: no schema given, so JSON output was requested in the system prompt');
        }
      }
      const body: Record<string, unknown> = {
        model: settings.modelId,
        max_tokens: options.maxOutputTokens ?? settings.defaultMaxOutputTokens ?? ANTHROPIC_FALLBACK_MAX_TOKENS,
        messages: conversation.turns,
        ...(system === undefined ? {} : { system }),
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.stop === undefined ? {} : { stop_sequences: options.stop }),
        ...(tool === undefined ? {} : { tools: [tool], tool_choice: { type: 'tool', name: tool.name } }),
        ...options.providerOptions?.anthropic,
        stream: false,
      };
      let data: unknown;
      let requestId: string | null;
      try {
        const { data: message, response } = await client.messages
          .create(body as unknown as Anthropic.MessageCreateParamsNonStreaming, {
            signal: options.abortSignal,
            // Explicit, so the SDK neither applies its 10-minute default nor refuses large max_tokens.
            timeout: (options.timeoutMs ?? 600_000) + 1_000,
          })
          .withResponse();
        data = message;
        requestId = response.headers.get('request-id');
      } catch (error) {
        throw mapAnthropicError(error, context);
      }
      const parsed = anthropicMessageSchema.safeParse(data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ProviderError({
          kind: 'invalid_response',
          provider: 'anthropic',
          modelId: settings.modelId,
          requestId: requestId ?? undefined,
          cause: parsed.error,
          message: `anthropic/${settings.modelId}: unexpected response shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        });
      }
      const message = parsed.data;
      const { usage } = message;
      let text = message.content
        .filter((block) => block.type === 'text')
        .map((block) => block.text ?? '')
        .join('');
      if (tool !== undefined) {
        // The forced tool call's input is the structured response; without one the text stays as is
        // (and will not parse as the requested document).
        const call = message.content.find((block) => block.type === 'tool_use' && block.name === tool.name);
        if (call !== undefined) text = JSON.stringify(call.input ?? null);
        else warnings.push(`structured-output: the response has no ${tool.name} tool call`);
      }
      return {
        text,
        finishReason: finishReasonOf(message.stop_reason),
        usage: {
          // Cached prompt tokens are input tokens too; Switchyard does not use prompt caching, so
          // pricing them at the plain input rate only matters if a caller turns it on.
          inputTokens:
            usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0),
          outputTokens: usage.output_tokens,
          raw: usage,
        },
        providerRequestId: requestId,
        servedModelId: message.model ?? null,
        warnings,
        providerMetadata: { anthropic: { messageId: message.id ?? null, stopSequence: message.stop_sequence ?? null } },
      };
    },
  };
}
