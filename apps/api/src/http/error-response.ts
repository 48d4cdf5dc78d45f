/** Every HTTP error body goes through here: `{ error: { code, message, details? } }`. */
export interface HttpResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export function errorResponse(status: number, code: string, message: string, details?: unknown): HttpResult {
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}
