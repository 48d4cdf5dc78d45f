import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream/promises';
import type { RateLimiter } from '@switchyard/auth';
import { type FileStore, isDatabaseUnavailable, type PrismaClient } from '@switchyard/db';
import type { Queues } from '@switchyard/queues';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { cancelBatchRoute, createBatch, getBatch, listBatches } from './handlers/batches.js';
import { createChatCompletion } from './handlers/chat-completions.js';
import { createQuery } from './handlers/create-query.js';
import { deleteFile, fileContent, getFile, listFiles, uploadFile } from './handlers/files.js';
import { getQuery } from './handlers/get-query.js';
import { getModel, listModels } from './handlers/models.js';
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
  /** File bodies (Postgres large objects). */
  files: FileStore;
  /** Largest accepted upload, bytes. */
  maxFileBytes: number;
  /** How long a synchronous chat completion waits before answering 504 with the query id, ms. */
  chatTimeoutMs: number;
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
  const json = [requireJson, express.json({ limit: deps.bodyLimit, verify: requireUtf8 }), requireStorableText];
  v1.post('/queries', ...json, async (request, response) => {
    sendResult(response, await createQuery(deps, principalOf(response), request.body, request.get('idempotency-key')));
  });
  v1.get('/queries/:id', async (request, response) => {
    sendResult(response, await getQuery(deps, principalOf(response), request.params.id as string));
  });
  v1.post('/queries/:id/feedback', ...json, async (request, response) => {
    sendResult(response, await recordFeedback(deps, principalOf(response), request.params.id as string, request.body));
  });

  v1.get('/models', async (_request, response) => {
    sendResult(response, await listModels(deps));
  });
  // An id with a slash (switchyard/economy, or a pool id like org/model) arrives encoded (the SDKs)
  // or not (curl).
  v1.get('/models/:id', async (request, response) => {
    sendResult(response, await getModel(deps, request.params.id as string));
  });
  v1.get('/models/:owner/:name', async (request, response) => {
    sendResult(response, await getModel(deps, `${request.params.owner}/${request.params.name}`));
  });

  v1.post('/chat/completions', ...json, async (request, response) => {
    const aborted = new AbortController();
    response.on('close', () => {
      if (!response.writableEnded) aborted.abort();
    });
    const result = await createChatCompletion(deps, principalOf(response), request.body, aborted.signal);
    if ('events' in result) {
      response.status(200);
      response.setHeader('content-type', 'text/event-stream; charset=utf-8');
      response.setHeader('cache-control', 'no-cache');
      for (const event of result.events) response.write(`data: ${JSON.stringify(event)}\n\n`);
      response.end('data: [DONE]\n\n');
      return;
    }
    sendResult(response, result);
  });

  v1.post('/files', async (request, response) => {
    sendResult(response, await uploadFile(deps, principalOf(response), request));
  });
  v1.get('/files', async (request, response) => {
    sendResult(response, await listFiles(deps, principalOf(response), request.query as Record<string, unknown>));
  });
  v1.get('/files/:id', async (request, response) => {
    sendResult(response, await getFile(deps, principalOf(response), request.params.id as string));
  });
  v1.delete('/files/:id', async (request, response) => {
    sendResult(response, await deleteFile(deps, principalOf(response), request.params.id as string));
  });
  v1.get('/files/:id/content', async (request, response) => {
    const result = await fileContent(deps, principalOf(response), request.params.id as string);
    if (!('stream' in result)) {
      sendResult(response, result);
      return;
    }
    response.status(200);
    response.setHeader('content-type', 'application/jsonl');
    response.setHeader('content-disposition', `attachment; filename="${result.filename.replace(/[^\w.-]/g, '_')}"`);
    try {
      await pipeline(result.stream, response);
    } catch (error) {
      // Headers are sent: the client sees a cut connection, never a truncated file that looks whole.
      deps.logger.warn({ error: (error as Error).message }, 'file download interrupted');
    }
  });

  v1.post('/batches', ...json, async (request, response) => {
    sendResult(response, await createBatch(deps, principalOf(response), request.body));
  });
  v1.get('/batches', async (request, response) => {
    sendResult(response, await listBatches(deps, principalOf(response), request.query as Record<string, unknown>));
  });
  v1.get('/batches/:id', async (request, response) => {
    sendResult(response, await getBatch(deps, principalOf(response), request.params.id as string));
  });
  v1.post('/batches/:id/cancel', async (request, response) => {
    sendResult(response, await cancelBatchRoute(deps, principalOf(response), request.params.id as string));
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
        // The parser takes only objects and arrays: a JSON string, number or null is JSON, just not a body.
        const raw = (error as { body?: unknown }).body;
        sendResult(
          response,
          errorResponse(
            400,
            'invalid_json',
            typeof raw === 'string' && parsesAsJson(raw)
              ? 'request body must be a JSON object'
              : 'request body is not valid JSON',
          ),
        );
        return;
      }
      if (error.type === NOT_UTF8) {
        sendResult(response, errorResponse(400, 'invalid_utf8', 'request body is not valid UTF-8'));
        return;
      }
      if (error.type === 'charset.unsupported') {
        sendResult(response, errorResponse(415, 'unsupported_charset', 'send the body as UTF-8 JSON'));
        return;
      }
      if (error.type === 'encoding.unsupported') {
        sendResult(
          response,
          errorResponse(
            415,
            'unsupported_encoding',
            'content-encoding must be identity, gzip or deflate (or leave it out)',
          ),
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

const NOT_UTF8 = 'entity.not.utf8';

/**
 * The JSON parser's verify hook: bytes that are not UTF-8 are refused (decoding would turn them into
 * U+FFFD and store a prompt the client never sent), as batch files refuse them.
 */
function requireUtf8(_request: unknown, _response: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw Object.assign(new Error('request body is not valid UTF-8'), { type: NOT_UTF8, status: 400 });
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
