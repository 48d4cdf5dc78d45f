import type { NextFunction, Request, Response } from 'express';
import { errorResponse, sendResult } from './error-response.js';

/**
 * Where `value` holds a string (or object key) that is not storable text: a NUL character (Postgres
 * text and jsonb refuse it) or a lone UTF-16 surrogate (not Unicode). Returns the JSON path, or null.
 */
/** A UTF-16 surrogate without its pair (String.prototype.isWellFormed is not in our ES2023 lib). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function findInvalidText(value: unknown, path = ''): string | null {
  const bad = (text: string) => text.includes('\u0000') || LONE_SURROGATE.test(text);
  if (typeof value === 'string') return bad(value) ? path || '(body)' : null;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findInvalidText(item, `${path}[${index}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (bad(key)) return at;
      const found = findInvalidText(item, at);
      if (found !== null) return found;
    }
  }
  return null;
}

/** After the JSON parser: refuse bodies with text the database cannot store, naming the field. */
export function requireStorableText(request: Request, response: Response, next: NextFunction): void {
  const field = findInvalidText(request.body);
  if (field === null) {
    next();
    return;
  }
  const shown = field.replace(/[^\x20-\x7e]/g, '?');
  sendResult(
    response,
    errorResponse(400, 'invalid_request', `${shown}: text must be valid Unicode without NUL characters`, {
      field: shown,
    }),
  );
}
