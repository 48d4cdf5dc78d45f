import { createWriteStream, openAsBlob } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** An error answer of the API, with its code and message. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BatchObject {
  id: string;
  status: string;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  errors: { data: { code: string; message: string; line: number | null }[] } | null;
  switchyard?: { cost_usd: string; escalation_rate: number | null; expanded_lines: number };
}

/** The few API calls the CLI makes, with the key in every request. */
export function createApiClient(options: { apiUrl: string; apiKey: string }) {
  const base = options.apiUrl.replace(/\/+$/, '');
  const headers = { authorization: `Bearer ${options.apiKey}` };
  const request = async (method: string, route: string, body?: unknown) => {
    let response: Response;
    try {
      response = await fetch(`${base}${route}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiClientError(
        0,
        'unreachable',
        `the API at ${base} does not answer (${(error as Error).message}); is \`pnpm start\` running, or is SWITCHYARD_API_URL right?`,
      );
    }
    return checked(response);
  };
  return {
    async uploadFile(file: string): Promise<{ id: string; bytes: number }> {
      const form = new FormData();
      form.append('purpose', 'batch');
      // openAsBlob reads the file lazily as the request is sent: never whole in memory.
      form.append('file', await openAsBlob(file), path.basename(file));
      const response = await fetch(`${base}/v1/files`, { method: 'POST', headers, body: form }).catch(
        (error: Error) => {
          throw new ApiClientError(0, 'unreachable', `the API at ${base} does not answer (${error.message})`);
        },
      );
      return (await checked(response)).json() as Promise<{ id: string; bytes: number }>;
    },
    async createBatch(inputFileId: string, metadata: Record<string, string>): Promise<BatchObject> {
      const response = await request('POST', '/v1/batches', {
        input_file_id: inputFileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      });
      return response.json() as Promise<BatchObject>;
    },
    async getBatch(id: string): Promise<BatchObject> {
      return (await request('GET', `/v1/batches/${encodeURIComponent(id)}`)).json() as Promise<BatchObject>;
    },
    async cancelBatch(id: string): Promise<BatchObject> {
      return (await request('POST', `/v1/batches/${encodeURIComponent(id)}/cancel`)).json() as Promise<BatchObject>;
    },
    async listBatches(limit: number, after?: string): Promise<{ data: BatchObject[]; has_more: boolean }> {
      const query = new URLSearchParams({ limit: String(limit), ...(after ? { after } : {}) });
      return (await request('GET', `/v1/batches?${query}`)).json() as Promise<{
        data: BatchObject[];
        has_more: boolean;
      }>;
    },
    /** Streams a file's content to `destination` (a path, or stdout). */
    async downloadFile(fileId: string, destination: string | NodeJS.WritableStream): Promise<void> {
      const response = await request('GET', `/v1/files/${encodeURIComponent(fileId)}/content`);
      if (!response.body) return;
      const target = typeof destination === 'string' ? createWriteStream(destination) : destination;
      await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), target, {
        end: typeof destination === 'string',
      });
    },
  };
}
export type ApiClient = ReturnType<typeof createApiClient>;

async function checked(response: Response): Promise<Response> {
  if (response.ok) return response;
  const text = await response.text();
  let code = 'http_error';
  let message = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the text
  }
  throw new ApiClientError(response.status, code, `${response.status} ${code}: ${message}`);
}
