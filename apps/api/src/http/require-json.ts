import type { NextFunction, Request, Response } from 'express';
import { errorResponse, sendResult } from './error-response.js';

/**
 * A route that reads a JSON body: anything but `application/json` (UTF-8, the default) is refused with
 * 415 before the body is read, so a missing or wrong content type never turns into a confusing 400.
 */
export function requireJson(request: Request, response: Response, next: NextFunction): void {
  const type = request.get('content-type');
  if (type === undefined || !request.is('application/json')) {
    sendResult(
      response,
      errorResponse(
        415,
        'unsupported_media_type',
        type === undefined
          ? 'send the body as JSON with "content-type: application/json"'
          : `content-type ${JSON.stringify(type.slice(0, 100))} is not supported; send application/json`,
      ),
    );
    return;
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    sendResult(
      response,
      errorResponse(
        415,
        'unsupported_charset',
        `charset ${JSON.stringify(charset.slice(0, 40))} is not supported; send UTF-8 JSON`,
      ),
    );
    return;
  }
  next();
}
