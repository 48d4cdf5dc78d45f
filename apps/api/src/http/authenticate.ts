import { parseAuthorization, type RateLimiter } from '@switchyard/auth';
import { authenticateApiKey, type PrismaClient, touchApiKey } from '@switchyard/db';
import type { NextFunction, Request, Response } from 'express';
import { errorResponse, type HttpResult, sendResult } from './error-response.js';

export interface AuthenticateDeps {
  prisma: PrismaClient;
  rateLimiter: RateLimiter;
  logger: { warn(object: object, message?: string): void };
}

/** How often one process records a key's `last_used_at` (it is a write per request otherwise). */
const TOUCH_INTERVAL_MS = 60_000;

const unauthorized = (code: string, message: string): HttpResult => ({
  ...errorResponse(401, code, message),
  headers: { 'www-authenticate': 'Bearer realm="switchyard"' },
});

/**
 * Every /v1 request: `Authorization: Bearer sy_...` of a key in use (401 otherwise, before the body is
 * read), then the key's requests-per-minute limit over every API process (429 with retry-after).
 */
export function createAuthenticate(deps: AuthenticateDeps) {
  const touched = new Map<string, number>();
  let lastLimiterWarning = 0;
  return async (request: Request, response: Response, next: NextFunction): Promise<void> => {
    const credentials = parseAuthorization(request.get('authorization'));
    if (credentials.scheme === 'none') {
      sendResult(response, unauthorized('missing_api_key', 'send your API key as "Authorization: Bearer sy_..."'));
      return;
    }
    if (credentials.scheme !== 'bearer') {
      const reason = credentials.scheme === 'invalid' ? credentials.reason : 'API keys are sent as Bearer tokens';
      sendResult(response, unauthorized('invalid_authorization', reason));
      return;
    }
    const result = await authenticateApiKey(deps.prisma, credentials.token);
    switch (result.kind) {
      case 'unknown':
        sendResult(response, unauthorized('invalid_api_key', 'the API key is not valid'));
        return;
      case 'revoked':
        sendResult(response, unauthorized('api_key_revoked', 'the API key was revoked'));
        return;
      case 'expired':
        sendResult(response, unauthorized('api_key_expired', 'the API key has expired'));
        return;
      case 'ok':
        break;
    }
    const { principal } = result;
    if (principal.rpm !== null) {
      const decision = await deps.rateLimiter.take(principal.apiKeyId, principal.rpm);
      if (!decision.allowed) {
        const seconds = Math.ceil(decision.retryAfterMs / 1000);
        sendResult(response, {
          ...errorResponse(429, 'rate_limited', `this API key is limited to ${principal.rpm} requests per minute`, {
            limit: principal.rpm,
            retryAfterSeconds: seconds,
          }),
          headers: { 'retry-after': String(seconds) },
        });
        return;
      }
      if ('unavailable' in decision && Date.now() - lastLimiterWarning > 60_000) {
        lastLimiterWarning = Date.now();
        deps.logger.warn({}, 'rate limits not enforced: Redis did not answer in time (requests are let through)');
      }
    }
    const now = Date.now();
    if (now - (touched.get(principal.apiKeyId) ?? 0) > TOUCH_INTERVAL_MS) {
      touched.set(principal.apiKeyId, now);
      touchApiKey(deps.prisma, principal.apiKeyId).catch(() => touched.delete(principal.apiKeyId));
    }
    response.locals.principal = principal;
    next();
  };
}
