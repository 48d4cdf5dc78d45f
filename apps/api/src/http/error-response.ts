import type { Response } from 'express';

/** Every HTTP error body goes through here: `{ error: { code, message, details? } }`. */
export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function errorResponse(status: number, code: string, message: string, details?: unknown): HttpResult {
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}

/** Writes a handler's result. */
export function sendResult(response: Response, result: HttpResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  response.status(result.status).json(result.body);
}
