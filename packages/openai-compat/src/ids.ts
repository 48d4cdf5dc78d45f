/**
 * Public ids of OpenAI objects. Rows have UUID keys; the API shows them with OpenAI's prefixes
 * (`file-…`, `batch_…`) so clients that look at the prefix see the kind they expect.
 */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const FILE_ID = new RegExp(`^file-(${UUID})$`, 'i');
const BATCH_ID = new RegExp(`^batch_(${UUID})$`, 'i');

export const formatFileId = (uuid: string): string => `file-${uuid}`;
export const formatBatchId = (uuid: string): string => `batch_${uuid}`;
export const formatChatCompletionId = (queryId: string): string => `chatcmpl-${queryId}`;
/** The id of one output line: the batch's row id and the line number, stable across downloads. */
export const formatBatchRequestId = (batchUuid: string, line: number): string => `batch_req_${batchUuid}_${line}`;

/** The row id inside a `file-<uuid>` id, or null when `id` is not one. */
export function parseFileId(id: string): string | null {
  return FILE_ID.exec(id)?.[1]?.toLowerCase() ?? null;
}

/** The row id inside a `batch_<uuid>` id, or null when `id` is not one. */
export function parseBatchId(id: string): string | null {
  return BATCH_ID.exec(id)?.[1]?.toLowerCase() ?? null;
}
