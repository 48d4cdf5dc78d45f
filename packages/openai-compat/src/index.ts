export { BATCH_ENDPOINT, type BatchLineErrorCode, type BatchLineResult, parseBatchLine } from './batch-line.js';
export {
  type FailedQuery,
  httpStatusOfQueryError,
  renderFailedQueryLine,
  renderInvalidLine,
  renderOutputLine,
} from './batch-output.js';
export {
  type AnsweredQuery,
  type AttemptSummary,
  renderChatCompletion,
  renderChatCompletionChunks,
  switchyardDetails,
  usageOf,
} from './chat-completion.js';
export {
  type ChatParseResult,
  type ChatQueryDraft,
  type ChatQueryOptions,
  type ChatRequest,
  chatRequestSchema,
  parseChatRequest,
} from './chat-request.js';
export {
  formatBatchId,
  formatBatchRequestId,
  formatChatCompletionId,
  formatFileId,
  parseBatchId,
  parseFileId,
} from './ids.js';
export {
  KNOB_PRESETS,
  type KnobPreset,
  type ModelSelection,
  parseModelSelection,
  ROUTED_MODEL,
} from './model-selection.js';
export { type BatchRow, type FileRow, renderBatch, renderFile } from './openai-objects.js';
export { findJsonTextProblem, isStorableText, type JsonTextProblem, MAX_JSON_DEPTH } from './storable-json.js';
