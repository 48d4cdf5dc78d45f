import { answerTypeSchema, judgeTaskSchema } from '@switchyard/core';
import { z } from 'zod';
import { type ModelSelection, parseModelSelection } from './model-selection.js';

/** Longest prompt and system text accepted (as POST /v1/queries). */
const MAX_PROMPT_CHARACTERS = 1_000_000;
const MAX_SYSTEM_CHARACTERS = 200_000;

/** Message content: a string, or text parts (other part types, e.g. images, are not supported). */
const contentSchema = z.union([
  z.string(),
  z
    .array(
      z
        .looseObject({ type: z.string() })
        .refine((part) => part.type === 'text', { message: 'only text content parts are supported' })
        .refine((part) => part.type !== 'text' || typeof part.text === 'string', {
          message: 'a text content part needs a string "text"',
          path: ['text'],
        }),
    )
    .min(1),
]);

const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant'], {
    message: 'role must be system, developer, user or assistant (tool messages are not supported)',
  }),
  content: contentSchema,
  name: z.string().optional(),
});

/**
 * Body of POST /v1/chat/completions (and of a batch line's `body`). Fields OpenAI defines that
 * Switchyard cannot honour are refused (`n` > 1, tools); unknown fields are ignored, as OpenAI-compatible
 * servers do, so newer SDKs keep working.
 */
export const chatRequestSchema = z.looseObject({
  model: z.string({ message: 'model is required: "switchyard", "switchyard/<preset>" or a pool model id' }),
  messages: z.array(messageSchema, { message: 'messages is required: an array of {role, content}' }).min(1, {
    message: 'messages must not be empty',
  }),
  max_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  max_completion_tokens: z.number().int().min(1).max(1_000_000).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  /** OpenAI: up to 16 string pairs. Switchyard reads `answerType` and `category` from it. */
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((value) => Object.keys(value).length <= 16, 'metadata holds at most 16 keys')
    .nullish(),
  user: z.string().max(256).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  n: z.literal(1, { message: 'n must be 1: Switchyard returns one answer' }).nullish(),
  tools: z.array(z.unknown()).max(0, 'tools are not supported').nullish(),
  functions: z.array(z.unknown()).max(0, 'functions are not supported').nullish(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** A chat request as a Switchyard query: the row's prompt, system text and options. */
export interface ChatQueryDraft {
  prompt: string;
  system: string | null;
  options: ChatQueryOptions;
  selection: ModelSelection;
  stream: boolean;
  includeUsage: boolean;
}

/** What a chat request stores in `queries.options` (beside what POST /v1/queries stores). */
export interface ChatQueryOptions {
  metadata?: Record<string, string>;
  /** Knob preset of `switchyard/<preset>`; the worker's planner resolves it. */
  preset?: string;
  /** A pool model id called directly (no router, no judges). */
  pinnedModel?: string;
  maxOutputTokens?: number;
  temperature?: number;
  /**
   * The user/assistant turns when there is more than one (the last is the user turn that is also
   * `prompt`); providers get the whole conversation, judges the last question.
   */
  conversation?: { role: 'user' | 'assistant'; content: string }[];
  /** The `model` and `user` the client sent, echoed back. */
  openai: { model: string; user?: string };
}

export type ChatParseResult =
  | { ok: true; draft: ChatQueryDraft }
  | { ok: false; code: string; message: string; param: string | null };

/** Validates a chat request and turns it into a query draft, or says what is wrong and where. */
export function parseChatRequest(body: unknown): ChatParseResult {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.length ? formatPath(issue.path) : null;
    const unsupported = issue?.path[0] === 'tools' || issue?.path[0] === 'functions' || issue?.path[0] === 'n';
    return {
      ok: false,
      code: unsupported ? 'unsupported_parameter' : 'invalid_request',
      message: issue ? `${param ?? 'body'}: ${issue.message}` : 'invalid chat completion request',
      param,
    };
  }
  const request = parsed.data;
  const model = parseModelSelection(request.model);
  if (!model.ok) return { ok: false, code: 'model_not_found', message: `model: ${model.message}`, param: 'model' };

  const systemParts: string[] = [];
  const turns: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const message of request.messages) {
    const text = contentText(message.content);
    if (message.role === 'system' || message.role === 'developer') systemParts.push(text);
    else turns.push({ role: message.role, content: text });
  }
  const last = turns.at(-1);
  if (last === undefined || last.role !== 'user') {
    return {
      ok: false,
      code: 'invalid_request',
      message: 'messages: the last non-system message must be a user message',
      param: 'messages',
    };
  }
  if (last.content.trim().length === 0) {
    return { ok: false, code: 'invalid_request', message: 'messages: the user message is empty', param: 'messages' };
  }
  const conversationCharacters = turns.reduce((sum, turn) => sum + turn.content.length, 0);
  if (conversationCharacters > MAX_PROMPT_CHARACTERS) {
    return {
      ok: false,
      code: 'invalid_request',
      message: `messages: at most ${MAX_PROMPT_CHARACTERS} characters of conversation`,
      param: 'messages',
    };
  }
  const system = systemParts.length > 0 ? systemParts.join('\n\n') : null;
  if (system !== null && system.length > MAX_SYSTEM_CHARACTERS) {
    return {
      ok: false,
      code: 'invalid_request',
      message: `messages: at most ${MAX_SYSTEM_CHARACTERS} characters of system text`,
      param: 'messages',
    };
  }
  const metadata = request.metadata ?? undefined;
  // The metadata keys Switchyard reads: a value it would not understand is an error, not ignored.
  for (const [key, schema] of [
    ['answerType', answerTypeSchema],
    ['judgeTask', judgeTaskSchema],
  ] as const) {
    const value = metadata?.[key];
    if (value !== undefined && !schema.safeParse(value).success) {
      return {
        ok: false,
        code: 'invalid_request',
        message: `metadata.${key}: must be one of ${schema.options.join(', ')}`,
        param: `metadata.${key}`,
      };
    }
  }
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const selection = model.selection;
  const options: ChatQueryOptions = {
    ...(metadata === undefined ? {} : { metadata }),
    ...(selection.kind === 'preset' ? { preset: selection.preset } : {}),
    ...(selection.kind === 'pinned' ? { pinnedModel: selection.model } : {}),
    ...(maxOutputTokens === undefined ? {} : { maxOutputTokens }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(turns.length > 1 ? { conversation: turns } : {}),
    openai: { model: request.model, ...(request.user == null ? {} : { user: request.user }) },
  };
  return {
    ok: true,
    draft: {
      prompt: last.content,
      system,
      options,
      selection,
      stream: request.stream === true,
      includeUsage: request.stream_options?.include_usage === true,
    },
  };
}

function contentText(content: z.infer<typeof contentSchema>): string {
  if (typeof content === 'string') return content;
  return content.map((part) => part.text as string).join('');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index ? '.' : ''}${String(part)}`))
    .join('');
}
