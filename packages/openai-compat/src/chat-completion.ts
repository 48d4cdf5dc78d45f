import { formatChatCompletionId } from './ids.js';

/** One ledger row as the response's `switchyard.attempts` shows it. */
export interface AttemptSummary {
  role: string;
  model: string;
  stage: number;
  slot: number;
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: string | null;
  latencyMs: number | null;
  outcome: string;
  errorCode?: string | null;
}

/** A completed query, as much as a chat.completion needs. */
export interface AnsweredQuery {
  queryId: string;
  createdAt: Date;
  answer: string;
  /** The pool model whose response is the answer. */
  answerModel: string;
  /** What the client sent as `model` (e.g. "switchyard/economy"). */
  requestedModel: string;
  /** Everything the query cost (every answer and judge call), decimal USD from the ledger. */
  costUsd: string;
  /** How the cascade ended (accepted, fused, pinned, ...). */
  outcome: string | null;
  /** The answering call's finish reason as the provider gave it, if known. */
  finishReason: string | null;
  attempts: AttemptSummary[];
}

/** Switchyard's extra field on a chat.completion: cost, the answering model and every call made. */
export function switchyardDetails(query: AnsweredQuery) {
  return {
    query_id: query.queryId,
    cost_usd: query.costUsd,
    model: query.answerModel,
    requested_model: query.requestedModel,
    outcome: query.outcome,
    attempts: query.attempts.map((attempt) => ({
      role: attempt.role,
      model: attempt.model,
      stage: attempt.stage,
      slot: attempt.slot,
      input_tokens: attempt.inputTokens,
      output_tokens: attempt.outputTokens,
      cost_usd: attempt.costUsd,
      latency_ms: attempt.latencyMs,
      outcome: attempt.outcome,
      ...(attempt.errorCode ? { error_code: attempt.errorCode } : {}),
    })),
  };
}

/**
 * `usage` counts the tokens of every call made for the answer (answers and judges of every stage):
 * what the query was billed for. The answering call alone is in `switchyard.attempts`.
 */
export function usageOf(query: AnsweredQuery) {
  let prompt = 0;
  let completion = 0;
  for (const attempt of query.attempts) {
    prompt += attempt.inputTokens ?? 0;
    completion += attempt.outputTokens ?? 0;
  }
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function finishReason(raw: string | null): 'stop' | 'length' | 'content_filter' {
  if (raw === 'length' || raw === 'max_tokens') return 'length';
  if (raw === 'content_filter') return 'content_filter';
  return 'stop';
}

/** OpenAI's `chat.completion` object for a completed query. `model` is the model that answered. */
export function renderChatCompletion(query: AnsweredQuery) {
  return {
    id: formatChatCompletionId(query.queryId),
    object: 'chat.completion' as const,
    created: Math.floor(query.createdAt.getTime() / 1000),
    model: query.answerModel,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: query.answer, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: finishReason(query.finishReason),
      },
    ],
    usage: usageOf(query),
    system_fingerprint: null,
    service_tier: null,
    switchyard: switchyardDetails(query),
  };
}

/** Characters of answer per streamed chunk. */
const CHUNK_CHARACTERS = 64;

/**
 * OpenAI's `chat.completion.chunk` sequence for a completed query: the role, the content in pieces,
 * the finish reason, and (with `include_usage`) a last chunk with usage and no choices. Switchyard
 * streams once the cascade has accepted an answer, so the pieces are sent back to back.
 */
export function renderChatCompletionChunks(query: AnsweredQuery, options: { includeUsage: boolean }) {
  const base = {
    id: formatChatCompletionId(query.queryId),
    object: 'chat.completion.chunk' as const,
    created: Math.floor(query.createdAt.getTime() / 1000),
    model: query.answerModel,
    system_fingerprint: null,
  };
  const chunks: object[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    },
  ];
  const characters = Array.from(query.answer);
  for (let start = 0; start < characters.length; start += CHUNK_CHARACTERS) {
    const content = characters.slice(start, start + CHUNK_CHARACTERS).join('');
    chunks.push({ ...base, choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }] });
  }
  chunks.push({
    ...base,
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(query.finishReason) }],
    switchyard: switchyardDetails(query),
  });
  if (options.includeUsage) chunks.push({ ...base, choices: [], usage: usageOf(query) });
  return chunks;
}
