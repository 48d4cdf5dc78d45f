import { Readable } from 'node:stream';
import { type ApiKeyPrincipal, type File, type FileStore, FileTooLargeError, type PrismaClient } from '@switchyard/db';
import { parseFileId, renderFile } from '@switchyard/openai-compat';
import { batchErrorLines, batchOutputLines } from '@switchyard/queues';
import busboy from 'busboy';
import type { Request } from 'express';
import { errorResponse, type HttpResult } from '../http/error-response.js';
import { listPage, type PageQuery, parsePageQuery } from './pagination.js';

export interface FilesDeps {
  prisma: PrismaClient;
  files: FileStore;
  /** Largest accepted upload, bytes. */
  maxFileBytes: number;
}

/** Thrown inside an upload to roll its transaction back and answer with `result`. */
class UploadRejected extends Error {
  constructor(readonly result: HttpResult) {
    super('upload rejected');
  }
}

const MAX_FILENAME = 255;

/**
 * POST /v1/files (multipart/form-data: `file`, `purpose=batch`): the file part is streamed into a
 * Postgres large object as it arrives, never held whole; the `files` row is written in the same
 * transaction once the form has ended and its purpose is known (fields may come after the file).
 */
export async function uploadFile(deps: FilesDeps, principal: ApiKeyPrincipal, request: Request): Promise<HttpResult> {
  const type = request.get('content-type');
  if (type === undefined || !request.is('multipart/form-data')) {
    return errorResponse(
      415,
      'unsupported_media_type',
      'upload files as multipart/form-data with a "file" part and purpose=batch',
    );
  }
  let form: busboy.Busboy;
  try {
    form = busboy({
      headers: request.headers,
      limits: { files: 1, fields: 20, fieldSize: 4_096, parts: 30, fileSize: deps.maxFileBytes + 1 },
    });
  } catch (error) {
    return errorResponse(400, 'invalid_multipart', `the multipart body cannot be read: ${(error as Error).message}`);
  }
  const fields = new Map<string, string>();
  let extraFiles = 0;
  let formError: Error | undefined;
  let fileStream: (NodeJS.ReadableStream & { destroy(error?: Error): void }) | undefined;
  const formEnded = new Promise<void>((resolve) => {
    const fail = (error: Error) => {
      formError ??= error;
      // A form that broke mid-file (truncated, client gone) never ends its file stream by itself.
      fileStream?.destroy(error);
      resolve();
    };
    form.once('close', resolve);
    form.on('error', fail);
    request.once('close', () => {
      if (!request.complete) fail(new Error('the client closed the connection during the upload'));
    });
  });
  let upload: ReturnType<FileStore['create']> | undefined;
  let uploadSettled = (): void => {};
  const uploadEnded = new Promise<void>((resolve) => {
    uploadSettled = resolve;
  });
  form.on('field', (name, value) => fields.set(name, value));
  form.on('filesLimit', () => {
    extraFiles += 1;
  });
  form.on('file', (name, stream, info) => {
    // A broken form also errors its file streams; the form's own error answers for it.
    stream.on('error', () => {});
    if (name !== 'file' || upload !== undefined) {
      extraFiles += 1;
      stream.resume();
      return;
    }
    const filename = (info.filename ?? 'upload.jsonl').slice(0, MAX_FILENAME).replace(/\p{Cc}/gu, '_');
    upload = deps.files.create(stream, {
      maxBytes: deps.maxFileBytes,
      describe: async (stats) => {
        await formEnded;
        if (formError) throw new UploadRejected(errorResponse(400, 'invalid_multipart', formError.message));
        if (extraFiles > 0) {
          throw new UploadRejected(
            errorResponse(400, 'invalid_multipart', 'send exactly one part named "file"', { param: 'file' }),
          );
        }
        const purpose = fields.get('purpose');
        if (purpose !== 'batch') {
          return reject(
            errorResponse(
              400,
              'invalid_purpose',
              purpose === undefined
                ? 'purpose is required: purpose=batch'
                : `purpose ${JSON.stringify(purpose.slice(0, 40))} is not supported; use "batch"`,
              { param: 'purpose' },
            ),
          );
        }
        if (stats.lines === 0) {
          return reject(errorResponse(400, 'empty_file', 'the file has no lines', { param: 'file' }));
        }
        return { apiKeyId: principal.apiKeyId, purpose, filename: wellFormed(filename) ? filename : 'upload.jsonl' };
      },
    });
    fileStream = stream;
    upload.then(uploadSettled, uploadSettled);
  });
  request.pipe(form);
  // The store may give up before the form ends (too large, database error): answer at once.
  await Promise.race([formEnded, uploadEnded]);
  if (upload === undefined || formError) {
    // Stop parsing; whatever the client still sends is read and dropped (the answer closes the connection).
    request.unpipe(form);
    request.resume();
  }
  if (upload === undefined) {
    request.unpipe(form);
    if (formError) return errorResponse(400, 'invalid_multipart', formError.message);
    return errorResponse(400, 'missing_file', 'the form has no "file" part', { param: 'file' });
  }
  try {
    const stored = await upload.finally(() => {
      request.unpipe(form);
      request.resume();
    });
    return { status: 200, body: renderFile(stored) };
  } catch (error) {
    if (error instanceof UploadRejected) return error.result;
    if (error instanceof FileTooLargeError) {
      return {
        ...errorResponse(413, 'file_too_large', `files are limited to ${deps.maxFileBytes} bytes`, {
          param: 'file',
          maxBytes: deps.maxFileBytes,
        }),
        headers: { connection: 'close' },
      };
    }
    if (formError) return errorResponse(400, 'invalid_multipart', formError.message);
    throw error;
  }
}

/** No lone UTF-16 surrogate (a file name Postgres can store). */
function wellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function reject(result: HttpResult): never {
  throw new UploadRejected(result);
}

async function findFile(
  deps: FilesDeps,
  principal: ApiKeyPrincipal,
  id: string,
): Promise<{ error: HttpResult } | { file: File }> {
  const uuid = parseFileId(id);
  if (uuid === null)
    return { error: errorResponse(400, 'invalid_id', 'a file id looks like file-<uuid>', { param: 'id' }) };
  const file = await deps.prisma.file.findFirst({ where: { id: uuid, apiKeyId: principal.apiKeyId, deletedAt: null } });
  if (file === null) return { error: errorResponse(404, 'not_found', `no file ${id}`) };
  return { file };
}

/** GET /v1/files/:id */
export async function getFile(deps: FilesDeps, principal: ApiKeyPrincipal, id: string): Promise<HttpResult> {
  const found = await findFile(deps, principal, id);
  if ('error' in found) return found.error;
  return { status: 200, body: renderFile(found.file) };
}

/** GET /v1/files (newest first; `after`, `limit`, `purpose`). */
export async function listFiles(
  deps: FilesDeps,
  principal: ApiKeyPrincipal,
  query: Record<string, unknown>,
): Promise<HttpResult> {
  const page = parsePageQuery(query, parseFileId, 'file');
  if ('error' in page) return page.error;
  const purpose = typeof query.purpose === 'string' ? query.purpose : undefined;
  return listPage(page as PageQuery, {
    find: (where, take) =>
      deps.prisma.file.findMany({
        where: { ...where, apiKeyId: principal.apiKeyId, deletedAt: null, ...(purpose ? { purpose } : {}) },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take,
      }),
    cursorOf: (id) =>
      deps.prisma.file.findFirst({
        where: { id, apiKeyId: principal.apiKeyId },
        select: { id: true, createdAt: true },
      }),
    render: renderFile,
  });
}

/** DELETE /v1/files/:id: the row is marked deleted and its large object unlinked; refused while a batch reads it. */
export async function deleteFile(deps: FilesDeps, principal: ApiKeyPrincipal, id: string): Promise<HttpResult> {
  const found = await findFile(deps, principal, id);
  if ('error' in found) return found.error;
  const reading = await deps.prisma.batch.findFirst({
    where: {
      inputFileId: found.file.id,
      status: { in: ['validating', 'in_progress', 'cancelling'] },
      expansionDone: false,
    },
    select: { id: true },
  });
  if (reading !== null) {
    return errorResponse(
      409,
      'file_in_use',
      `a batch is still reading ${id}; wait until it ends (a cancelled batch first reads the rest of the file to list its requests as cancelled)`,
    );
  }
  const removed = await deps.files.remove(found.file.id, principal.apiKeyId);
  if (!removed) return errorResponse(404, 'not_found', `no file ${id}`);
  return { status: 200, body: { id, object: 'file', deleted: true } };
}

/**
 * GET /v1/files/:id/content as a stream: an uploaded body from its large object, or a batch's output
 * or error file generated from its rows as it is sent. Nothing is held whole.
 */
export async function fileContent(
  deps: FilesDeps,
  principal: ApiKeyPrincipal,
  id: string,
): Promise<HttpResult | { stream: Readable; filename: string }> {
  const found = await findFile(deps, principal, id);
  if ('error' in found) return found.error;
  const { file } = found;
  if (file.contentOid !== null) {
    return { stream: Readable.from(deps.files.read(file.contentOid)), filename: file.filename };
  }
  if (file.batchId !== null && (file.purpose === 'batch_output' || file.purpose === 'batch_error')) {
    const lines =
      file.purpose === 'batch_output'
        ? batchOutputLines(deps.prisma, file.batchId)
        : batchErrorLines(deps.prisma, file.batchId);
    return { stream: Readable.from(lines), filename: file.filename };
  }
  return errorResponse(404, 'not_found', `file ${id} has no content`);
}
