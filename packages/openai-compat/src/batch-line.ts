import { type ChatQueryDraft, parseChatRequest } from './chat-request.js';
import { findJsonTextProblem, isStorableText } from './storable-json.js';

/** The one endpoint a batch line may target. */
export const BATCH_ENDPOINT = '/v1/chat/completions';
/** Longest custom_id (OpenAI allows 64 characters; Switchyard is more generous). */
const MAX_CUSTOM_ID = 512;

export type BatchLineResult =
  | { ok: true; customId: string; draft: ChatQueryDraft }
  | { ok: false; customId: string | null; code: BatchLineErrorCode; message: string };

export type BatchLineErrorCode =
  | 'invalid_json'
  | 'invalid_line'
  | 'missing_custom_id'
  | 'invalid_url'
  | 'invalid_method'
  | 'invalid_body'
  | 'unsupported_parameter'
  | 'model_not_found'
  | 'invalid_text'
  | 'line_too_long'
  | 'duplicate_custom_id';

/**
 * One line of a batch input file: `{custom_id, method: "POST", url: "/v1/chat/completions", body}`.
 * A bad line is a value naming the problem (it goes to the error file), never an exception.
 */
export function parseBatchLine(text: string): BatchLineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, customId: null, code: 'invalid_json', message: `not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, customId: null, code: 'invalid_line', message: 'a line must be a JSON object' };
  }
  const line = value as Record<string, unknown>;
  const rawCustomId = line.custom_id;
  const customId = typeof rawCustomId === 'string' ? rawCustomId : null;
  if (customId === null || customId.length === 0 || customId.length > MAX_CUSTOM_ID) {
    return {
      ok: false,
      customId: null,
      code: 'missing_custom_id',
      message: `custom_id is required: a string of 1 to ${MAX_CUSTOM_ID} characters`,
    };
  }
  const problem = findJsonTextProblem(line, '(line)');
  if (problem !== null) {
    return {
      ok: false,
      customId: isStorableText(customId) ? customId : null,
      code: problem.problem === 'text' ? 'invalid_text' : 'invalid_line',
      message: problem.message,
    };
  }
  if (line.method !== undefined && line.method !== 'POST') {
    return { ok: false, customId, code: 'invalid_method', message: 'method must be "POST"' };
  }
  if (line.url !== BATCH_ENDPOINT) {
    return {
      ok: false,
      customId,
      code: 'invalid_url',
      message: `url must be "${BATCH_ENDPOINT}" (the batch's endpoint), got ${JSON.stringify(String(line.url).slice(0, 100))}`,
    };
  }
  if (line.body === null || typeof line.body !== 'object' || Array.isArray(line.body)) {
    return { ok: false, customId, code: 'invalid_body', message: 'body must be a chat completion request object' };
  }
  if ((line.body as { stream?: unknown }).stream === true) {
    return { ok: false, customId, code: 'unsupported_parameter', message: 'body.stream: batches do not stream' };
  }
  const parsed = parseChatRequest(line.body);
  if (!parsed.ok) {
    const code = parsed.code === 'invalid_request' ? 'invalid_body' : (parsed.code as BatchLineErrorCode);
    return { ok: false, customId, code, message: `body.${parsed.message}` };
  }
  return { ok: true, customId, draft: parsed.draft };
}
