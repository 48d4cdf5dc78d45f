import { findJsonTextProblem } from '@switchyard/openai-compat';
import type { NextFunction, Request, Response } from 'express';
import { errorResponse, sendResult } from './error-response.js';

/**
 * After the JSON parser: refuse bodies with text the database cannot store (a NUL character, a lone
 * UTF-16 surrogate) or nested deeper than `MAX_JSON_DEPTH`, naming the field.
 */
export function requireStorableText(request: Request, response: Response, next: NextFunction): void {
  const problem = findJsonTextProblem(request.body, '(body)');
  if (problem === null) {
    next();
    return;
  }
  sendResult(response, errorResponse(400, 'invalid_request', problem.message, { field: problem.path }));
}
