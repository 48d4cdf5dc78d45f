import OpenAI from 'openai';
import type { FinishReason, GenerateOptions, GenerateResult, LanguageModel } from '../spec/language-model.js';
import { ProviderError } from '../spec/provider-error.js';
import { toConversation } from '../support/conversation.js';
import { mapOpenAIError } from './map-openai-error.js';
import { openAIChatCompletionSchema } from './openai-response-schema.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** Output limit of a call when neither the call nor the registry sets one: no request goes out unbounded. */
export const OPENAI_FALLBACK_MAX_TOKENS = 4096;

export interface OpenAIModelSettings {
  /** Model id sent on the wire (`gpt-4o-mini`, `llama3.1:8b` on Ollama, …). */
  modelId: string;
  /** The key itself; local servers that need none accept any placeholder. */
  apiKey: string;
  /** Any OpenAI-compatible server (vLLM, Ollama, OpenRouter, Together, Groq); default the OpenAI API. */
  baseURL?: string;
  /**
   * Name of the output limit field. Default: `max_completion_tokens` on the OpenAI API (required by
   * its reasoning models), `max_tokens` elsewhere (what compatible servers have long accepted).
   */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Output limit of calls that set none (the registry's `maxOutputTokens`); a request always carries one. */
  defaultMaxOutputTokens?: number;
  /** Extra HTTP headers, e.g. OpenRouter's `HTTP-Referer`. */
  headers?: Record<string, string>;
  /** Replaces global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

function finishReasonOf(raw: string | null | undefined): FinishReason {
  const value = raw ?? null;
  switch (value) {
    case 'stop':
      return { unified: 'stop', raw: value };
    case 'length':
      return { unified: 'length', raw: value };
    case 'content_filter':
      return { unified: 'content-filter', raw: value };
    case 'tool_calls':
    case 'function_call':
      return { unified: 'tool-calls', raw: value };
    default:
      return { unified: 'other', raw: value };
  }
}

function responseFormatOf(options: GenerateOptions): Record<string, unknown> | undefined {
  const format = options.responseFormat;
  if (!format || format.type === 'text') return undefined;
  if (!format.schema) return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: {
      name: format.name ?? 'response',
      schema: format.schema,
      ...(format.strict === undefined ? {} : { strict: format.strict }),
    },
  };
}

/** A `LanguageModel` over the Chat Completions API, through the official SDK with its retries off. */
export function createOpenAILanguageModel(settings: OpenAIModelSettings): LanguageModel {
  const baseURL = settings.baseURL ?? OPENAI_DEFAULT_BASE_URL;
  const client = new OpenAI({
    apiKey: settings.apiKey,
    baseURL,
    // The queue owns retries; the SDK must not retry behind its back.
    maxRetries: 0,
    organization: null,
    project: null,
    defaultHeaders: settings.headers,
    fetch: settings.fetch,
  });
  const maxTokensField =
    settings.maxTokensField ?? (baseURL === OPENAI_DEFAULT_BASE_URL ? 'max_completion_tokens' : 'max_tokens');
  const context = { provider: 'openai', modelId: settings.modelId, secrets: [settings.apiKey] };

  return {
    provider: 'openai',
    modelId: settings.modelId,
    async doGenerate(options: GenerateOptions): Promise<GenerateResult> {
      const conversation = toConversation(options, 'openai', settings.modelId);
      const messages = [
        ...(conversation.system === undefined ? [] : [{ role: 'system' as const, content: conversation.system }]),
        ...conversation.turns,
      ];
      const body: Record<string, unknown> = {
        model: settings.modelId,
        messages,
        // Every request carries an output limit: it is what keeps a call within its budget reservation.
        [maxTokensField]: options.maxOutputTokens ?? settings.defaultMaxOutputTokens ?? OPENAI_FALLBACK_MAX_TOKENS,
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.stop === undefined ? {} : { stop: options.stop }),
        ...(responseFormatOf(options) === undefined ? {} : { response_format: responseFormatOf(options) }),
        ...options.providerOptions?.openai,
        stream: false,
      };
      let data: unknown;
      let requestId: string | null;
      try {
        const { data: completion, response } = await client.chat.completions
          .create(body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming, {
            signal: options.abortSignal,
            // The wrapper's signal enforces the timeout; this only stops the SDK's 10-minute default.
            timeout: (options.timeoutMs ?? 600_000) + 1_000,
          })
          .withResponse();
        data = completion;
        requestId = response.headers.get('x-request-id');
      } catch (error) {
        throw mapOpenAIError(error, context);
      }
      const parsed = openAIChatCompletionSchema.safeParse(data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ProviderError({
          kind: 'invalid_response',
          provider: 'openai',
          modelId: settings.modelId,
          requestId: requestId ?? undefined,
          cause: parsed.error,
          message: `openai/${settings.modelId}: unexpected response shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        });
      }
      const completion = parsed.data;
      const choice = completion.choices[0]!;
      const warnings: string[] = [];
      let finishReason = finishReasonOf(choice.finish_reason);
      if (choice.message.refusal) {
        warnings.push(`refusal: ${choice.message.refusal}`);
        finishReason = { unified: 'content-filter', raw: finishReason.raw };
      }
      const usage = completion.usage ?? null;
      return {
        text: choice.message.content ?? '',
        finishReason,
        usage: {
          inputTokens: usage?.prompt_tokens ?? null,
          outputTokens: usage?.completion_tokens ?? null,
          raw: usage,
        },
        providerRequestId: requestId,
        servedModelId: completion.model ?? null,
        warnings,
        providerMetadata: { openai: { completionId: completion.id ?? null } },
      };
    },
  };
}
