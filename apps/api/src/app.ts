import type { RateLimiter } from '@switchyard/auth';
import { isDatabaseUnavailable, type PrismaClient } from '@switchyard/db';
import type { Queues } from '@switchyard/queues';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { createQuery } from './handlers/create-query.js';
import { getQuery } from './handlers/get-query.js';
import { recordFeedback } from './handlers/query-feedback.js';
import { createAuthenticate } from './http/authenticate.js';
import { errorResponse, sendResult } from './http/error-response.js';
import { principalOf } from './http/principal.js';
import { requireJson } from './http/require-json.js';
import { requireStorableText } from './http/require-text.js';
import { mountOperatorSurface } from './operator-surface.js';

export interface ApiDeps {
  prisma: PrismaClient;
  queues: Queues;
  /** Per-key requests-per-minute limits, shared by every API process (Redis). */
  rateLimiter: RateLimiter;
  allowPrivateCallbacks: boolean;
  /** Largest accepted JSON body, e.g. "2mb". */
  bodyLimit: string;
  /** Budget of a query that sends none, USD. */
  defaultMaxCostUsd: number;
  /** Operator token for the dashboard and /metrics; undefined = neither is mounted. */
  operatorToken?: string;
  /** Whether the dashboard may change queues. */
  dashboardWrite?: boolean;
  /** Express `trust proxy` value, when behind a reverse proxy. */
  trustProxy?: string;
  logger: {
    info(object: object, message?: string): void;
    warn(object: object, message?: string): void;
    error(object: object, message?: string): void;
  };
}

/**
 * The HTTP app: wiring only; each handler is one file returning `{ status, body }`.
 * `/healthz` is open (load balancers); every `/v1` route needs an API key; the operator surface
 * (`/admin/queues`, `/metrics`) needs the operator token and does not exist without one.
 */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  if (deps.trustProxy !== undefined) app.set('trust proxy', parseTrustProxy(deps.trustProxy));

  app.get('/healthz', async (_request, response) => {
    try {
      await deps.prisma.$queryRaw`SELECT 1`;
      response.json({ status: 'ok' });
    } catch {
      sendResult(response, unavailable());
    }
  });

  if (deps.operatorToken !== undefined) {
    mountOperatorSurface(app, {
      ...deps,
      operatorToken: deps.operatorToken,
      dashboardWrite: deps.dashboardWrite ?? false,
    });
  }

  const v1 = express.Router();
  v1.use(createAuthenticate(deps));
  const json = [requireJson, express.json({ limit: deps.bodyLimit }), requireStorableText];
  v1.post('/queries', ...json, async (request, response) => {
    sendResult(response, await createQuery(deps, principalOf(response), request.body, request.get('idempotency-key')));
  });
  v1.get('/queries/:id', async (request, response) => {
    sendResult(response, await getQuery(deps, principalOf(response), request.params.id as string));
  });
  v1.post('/queries/:id/feedback', ...json, async (request, response) => {
    sendResult(response, await recordFeedback(deps, principalOf(response), request.params.id as string, request.body));
  });
  app.use('/v1', v1);

  app.use((_request, response) => sendResult(response, errorResponse(404, 'not_found', 'no such route')));
  app.use(
    (
      error: Error & { type?: string; status?: number; expose?: boolean },
      _request: Request,
      response: Response,
      _next: NextFunction,
    ) => {
      if (error.type === 'entity.too.large') {
        sendResult(response, errorResponse(413, 'body_too_large', `request body exceeds ${deps.bodyLimit}`));
        return;
      }
      if (error.type === 'entity.parse.failed') {
        sendResult(response, errorResponse(400, 'invalid_json', 'request body is not valid JSON'));
        return;
      }
      if (error.type === 'charset.unsupported' || error.type === 'encoding.unsupported') {
        sendResult(
          response,
          errorResponse(415, 'unsupported_charset', 'send the body as UTF-8 JSON, without content-encoding'),
        );
        return;
      }
      if (error instanceof URIError) {
        sendResult(response, errorResponse(400, 'invalid_path', 'the URL path is not valid percent-encoding'));
        return;
      }
      if (isDatabaseUnavailable(error)) {
        deps.logger.warn({ error: error.message }, 'database unavailable');
        sendResult(response, unavailable());
        return;
      }
      if (typeof error.status === 'number' && error.status >= 400 && error.status < 500 && error.expose) {
        sendResult(response, errorResponse(error.status, 'invalid_request', error.message));
        return;
      }
      deps.logger.error({ error: error.message }, 'unhandled error');
      sendResult(response, errorResponse(500, 'internal_error', 'internal error'));
    },
  );
  return app;
}

function unavailable() {
  return {
    ...errorResponse(503, 'database_unavailable', 'the database does not answer; retry shortly'),
    headers: { 'retry-after': '5' },
  };
}

/** `trust proxy` accepts a hop count, true/false, or address names (Express docs). */
function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return /^\d+$/.test(value) ? Number(value) : value;
}
