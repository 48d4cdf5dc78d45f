import { formatBatchId, formatFileId } from './ids.js';

/** The columns of a file row the File object needs. */
export interface FileRow {
  id: string;
  purpose: string;
  filename: string;
  bytes: bigint;
  createdAt: Date;
}

/** OpenAI's File object. */
export function renderFile(file: FileRow) {
  return {
    id: formatFileId(file.id),
    object: 'file' as const,
    bytes: Number(file.bytes),
    created_at: seconds(file.createdAt),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed' as const,
    expires_at: null,
    status_details: null,
  };
}

/** The columns of a batch row the Batch object needs. */
export interface BatchRow {
  id: string;
  status: string;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  metadata: unknown;
  totalCount: number;
  completedCount: number;
  failedCount: number;
  outputFileId: string | null;
  errorFileId: string | null;
  errors: unknown;
  createdAt: Date;
  inProgressAt: Date | null;
  finalizingAt: Date | null;
  completedAt: Date | null;
  failedAt: Date | null;
  cancellingAt: Date | null;
  cancelledAt: Date | null;
  expiresAt: Date;
  expiredAt: Date | null;
}

/** OpenAI's Batch object; `switchyard` adds what Switchyard knows beyond it (spend, progress). */
export function renderBatch(batch: BatchRow, extra?: Record<string, unknown>) {
  return {
    id: formatBatchId(batch.id),
    object: 'batch' as const,
    endpoint: batch.endpoint,
    errors: batch.errors ?? null,
    input_file_id: formatFileId(batch.inputFileId),
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId === null ? null : formatFileId(batch.outputFileId),
    error_file_id: batch.errorFileId === null ? null : formatFileId(batch.errorFileId),
    created_at: seconds(batch.createdAt),
    in_progress_at: optionalSeconds(batch.inProgressAt),
    expires_at: seconds(batch.expiresAt),
    finalizing_at: optionalSeconds(batch.finalizingAt),
    completed_at: optionalSeconds(batch.completedAt),
    failed_at: optionalSeconds(batch.failedAt),
    expired_at: optionalSeconds(batch.expiredAt),
    cancelling_at: optionalSeconds(batch.cancellingAt),
    cancelled_at: optionalSeconds(batch.cancelledAt),
    request_counts: { total: batch.totalCount, completed: batch.completedCount, failed: batch.failedCount },
    metadata: (batch.metadata as Record<string, string> | null) ?? null,
    ...(extra === undefined ? {} : { switchyard: extra }),
  };
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function optionalSeconds(date: Date | null): number | null {
  return date === null ? null : seconds(date);
}
