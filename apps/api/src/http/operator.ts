import { isOperator } from '@switchyard/auth';
import type { NextFunction, Request, Response } from 'express';
import { errorResponse, sendResult } from './error-response.js';

/**
 * The operator surface (dashboard, metrics): the operator token as a Bearer token or as the basic-auth
 * password with any user name. The basic challenge makes browsers ask for it.
 */
export function requireOperator(operatorToken: string) {
  return (request: Request, response: Response, next: NextFunction): void => {
    if (isOperator(request.get('authorization'), operatorToken)) {
      next();
      return;
    }
    sendResult(response, {
      ...errorResponse(401, 'operator_auth_required', 'this is the operator surface: send the operator token'),
      headers: { 'www-authenticate': 'Basic realm="switchyard operator", charset="UTF-8"' },
    });
  };
}

/** Refuses every request that could change a queue (defence in depth beside bull-board's read-only mode). */
export function readOnly(request: Request, response: Response, next: NextFunction): void {
  if (request.method === 'GET' || request.method === 'HEAD') {
    next();
    return;
  }
  sendResult(
    response,
    errorResponse(
      405,
      'dashboard_read_only',
      'the dashboard is read-only (SWITCHYARD_DASHBOARD_WRITE=true allows changes)',
    ),
  );
}
