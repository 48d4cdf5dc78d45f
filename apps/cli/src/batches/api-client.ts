import { createWriteStream, openAsBlob } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { redactUrl } from '@switchyard/db';

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

const API_URL_HINT =
  'set SWITCHYARD_API_URL (or --api-url) to the address of the API alone, e.g. http://127.0.0.1:3000';

/**
 * The API's base URL without a trailing slash. Refuses what fetch cannot use or would leak: a user
 * name or password (fetch refuses URLs with credentials; the key goes in SWITCHYARD_API_KEY or
 * --api-key), a query or fragment, a scheme other than http(s). No message echoes a secret.
 */
export function parseApiUrl(apiUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new ApiClientError(
      0,
      'invalid_api_url',
      `the API URL is not a valid URL: ${redactUrl(apiUrl)}; ${API_URL_HINT}`,
    );
  }
  if (parsed.username || parsed.password) {
    parsed.username = '';
    parsed.password = '';
    throw new ApiClientError(
      0,
      'credentials_in_api_url',
      `the API URL must not contain a user name or password (use ${redactUrl(parsed.toString()).replace(/\/+$/, '')}); ` +
        'give the API key with SWITCHYARD_API_KEY or --api-key',
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ApiClientError(0, 'invalid_api_url', `the API URL must start with http:// or https://; ${API_URL_HINT}`);
  }
  if (parsed.search || parsed.hash) {
    throw new ApiClientError(0, 'invalid_api_url', `the API URL must have no query or fragment; ${API_URL_HINT}`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** The few API calls the CLI makes, with the key in every request. */
export function createApiClient(options: { apiUrl: string; apiKey: string }) {
  const base = parseApiUrl(options.apiUrl);
  const shownBase = redactUrl(base).replace(/\/+$/, '');
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
        `the API at ${shownBase} does not answer (${(error as Error).message}); is \`pnpm start\` running, or is SWITCHYARD_API_URL right?`,
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
          throw new ApiClientError(0, 'unreachable', `the API at ${shownBase} does not answer (${error.message})`);
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
    async deleteFile(id: string): Promise<void> {
      await request('DELETE', `/v1/files/${encodeURIComponent(id)}`);
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
