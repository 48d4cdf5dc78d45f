import { createRequire } from 'node:module';
import type { Tiktoken } from 'js-tiktoken/lite';
import type { ModelEntry, TokenizerName } from '../registry/model-entry.js';
import type { GenerateOptions } from '../spec/language-model.js';
import { toConversation } from '../support/conversation.js';

/**
 * Chat framing an OpenAI-family request adds per message (`<|im_start|>role … <|im_end|>`: 3-4
 * tokens in OpenAI's own accounting) and once per request (reply priming, 3), with room to spare.
 */
const TIKTOKEN_TOKENS_PER_MESSAGE = 8;
const TIKTOKEN_TOKENS_PER_REQUEST = 16;
/** A structured-output schema is shown to the model in a system preamble: its tokens plus this. */
const TIKTOKEN_SCHEMA_OVERHEAD = 64;

/**
 * Without the model's tokenizer: every UTF-8 byte is at most one token for byte-level BPE and
 * byte-fallback tokenizers; the template a server wraps around each message (role headers, a
 * default system text some chat templates insert) is covered by these allowances.
 */
const BYTES_TOKENS_PER_MESSAGE = 16;
const BYTES_TOKENS_PER_REQUEST = 64;
/**
 * A forced tool call on the Messages API adds Anthropic's tool-use system prompt (about 300-350
 * tokens per Anthropic's documentation) besides the tool definition itself.
 */
const TOOL_USE_OVERHEAD = 512;

const require = createRequire(import.meta.url);
const encoders = new Map<'o200k_base' | 'cl100k_base', Tiktoken>();

/** Loaded on first use (about 2 s for o200k_base): processes that never count pay nothing. */
function encoderFor(name: 'o200k_base' | 'cl100k_base'): Tiktoken {
  let encoder = encoders.get(name);
  if (encoder === undefined) {
    const { Tiktoken: TiktokenClass } = require('js-tiktoken/lite') as typeof import('js-tiktoken/lite');
    const ranks = require(`js-tiktoken/ranks/${name}`) as { default?: unknown };
    encoder = new TiktokenClass((ranks.default ?? ranks) as ConstructorParameters<typeof TiktokenClass>[0]);
    encoders.set(name, encoder);
  }
  return encoder;
}

/**
 * The tokenizer that bounds a model's input: the registry's `tokenizer`, else OpenAI's own for
 * OpenAI model names (o200k_base: gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3/o4; cl100k_base: gpt-4,
 * gpt-3.5), else `bytes`. A tokenizer only bounds the models it belongs to, so anything else
 * (Claude, Llama behind an OpenAI-compatible server, the simulator) is bounded by bytes.
 */
export function tokenizerFor(entry: Pick<ModelEntry, 'provider' | 'model' | 'tokenizer'>): TokenizerName {
  if (entry.tokenizer !== null) return entry.tokenizer;
  if (entry.provider !== 'openai') return 'bytes';
  const name = entry.model.toLowerCase().replace(/^openai\//, '');
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)/.test(name)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5)/.test(name)) return 'cl100k_base';
  return 'bytes';
}

/** Tokens of `text` under `tokenizer`; special-token text counts as plain text (as the APIs treat it). */
export function countTokens(text: string, tokenizer: TokenizerName): number {
  if (tokenizer === 'bytes') return Buffer.byteLength(text, 'utf8');
  return encoderFor(tokenizer).encode(text, [], []).length;
}

/** What {@link inputTokenUpperBound} found. */
export interface InputTokenBound {
  /** At least as many input tokens as the provider will bill for the request. */
  tokens: number;
  tokenizer: TokenizerName;
}

/**
 * An upper bound of the input tokens a request will be billed for: every message's content counted
 * with the model's tokenizer (or as UTF-8 bytes), plus framing allowances, plus the structured-output
 * schema (as OpenAI's preamble or Anthropic's forced tool). Never an average: the budget reserves it.
 */
export function inputTokenUpperBound(
  entry: Pick<ModelEntry, 'id' | 'provider' | 'model' | 'tokenizer'>,
  options: Pick<GenerateOptions, 'prompt' | 'messages' | 'system' | 'responseFormat'>,
): InputTokenBound {
  const tokenizer = tokenizerFor(entry);
  const conversation = toConversation(options, entry.provider, entry.id);
  const texts = [...(conversation.system === undefined ? [] : [conversation.system])];
  for (const turn of conversation.turns) texts.push(turn.content);
  const schema =
    options.responseFormat?.type === 'json' && options.responseFormat.schema !== undefined
      ? JSON.stringify({
          name: options.responseFormat.name ?? '',
          description: options.responseFormat.description ?? '',
          schema: options.responseFormat.schema,
        })
      : undefined;
  let tokens = texts.reduce((sum, text) => sum + countTokens(text, tokenizer), 0);
  if (tokenizer === 'bytes') {
    tokens += BYTES_TOKENS_PER_REQUEST + BYTES_TOKENS_PER_MESSAGE * texts.length;
  } else {
    tokens += TIKTOKEN_TOKENS_PER_REQUEST + TIKTOKEN_TOKENS_PER_MESSAGE * texts.length;
  }
  if (schema !== undefined) {
    tokens +=
      countTokens(schema, tokenizer) + (entry.provider === 'anthropic' ? TOOL_USE_OVERHEAD : TIKTOKEN_SCHEMA_OVERHEAD);
  }
  return { tokens, tokenizer };
}
