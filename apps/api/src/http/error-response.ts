import type { Response } from 'express';

/** Every HTTP error body goes through here: `{ error: { code, message, details? } }`. */
export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * `{ error: { code, message, type, param, details? } }`: `code` is Switchyard's stable code; `type` and
 * `param` are what OpenAI's SDKs read (`param` is the field at fault, from `details.field` or
 * `details.param`, else null).
 */
export function errorResponse(status: number, code: string, message: string, details?: unknown): HttpResult {
  const fields = (details ?? {}) as { field?: unknown; param?: unknown };
  const param =
    typeof fields.param === 'string' ? fields.param : typeof fields.field === 'string' ? fields.field : null;
  return {
    status,
    body: { error: { code, message, type: errorType(status), param, ...(details === undefined ? {} : { details }) } },
  };
}

/** OpenAI's error `type` for a status. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'insufficient_quota';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 409) return 'conflict_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Writes a handler's result. */
export function sendResult(response: Response, result: HttpResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  response.status(result.status).json(result.body);
}
