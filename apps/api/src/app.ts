import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { PrismaClient } from '@switchyard/db';
import type { Queues } from '@switchyard/queues';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { createQuery } from './handlers/create-query.js';
import { getQuery } from './handlers/get-query.js';
import { errorResponse, type HttpResult } from './http/error-response.js';

export interface ApiDeps {
  prisma: PrismaClient;
  queues: Queues;
  allowPrivateCallbacks: boolean;
  /** Largest accepted JSON body, e.g. "2mb". */
  bodyLimit: string;
  logger: {
    info(object: object, message?: string): void;
    warn(object: object, message?: string): void;
    error(object: object, message?: string): void;
  };
}

function send(response: Response, result: HttpResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
  response.status(result.status).json(result.body);
}

/** The HTTP app: wiring only; each handler is one file returning `{ status, body }`. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: deps.bodyLimit }));

  app.get('/healthz', async (_request, response) => {
    try {
      await deps.prisma.$queryRaw`SELECT 1`;
      response.json({ status: 'ok' });
    } catch {
      send(response, errorResponse(503, 'database_unavailable', 'the database does not answer'));
    }
  });

  app.post('/v1/queries', async (request, response) => {
    send(response, await createQuery(deps, request.body, request.get('idempotency-key')));
  });
  app.get('/v1/queries/:id', async (request, response) => {
    send(response, await getQuery(deps, request.params.id));
  });

  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  createBullBoard({
    queues: [deps.queues.route, deps.queues.cascade, deps.queues.webhook].map((queue) => new BullMQAdapter(queue)),
    serverAdapter: board,
  });
  app.use('/admin/queues', board.getRouter());

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics, prefix: 'switchyard_api_' });
  new Gauge({
    name: 'switchyard_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [metrics],
    async collect() {
      for (const queue of [deps.queues.route, deps.queues.cascade, deps.queues.webhook]) {
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'failed',
          'completed',
          'waiting-children',
        );
        for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
      }
    },
  });
  app.get('/metrics', async (_request, response) => {
    response.setHeader('content-type', metrics.contentType);
    response.send(await metrics.metrics());
  });

  app.use((_request, response) => send(response, errorResponse(404, 'not_found', 'no such route')));
  app.use(
    (error: Error & { type?: string; status?: number }, _request: Request, response: Response, _next: NextFunction) => {
      if (error.type === 'entity.too.large') {
        send(response, errorResponse(413, 'body_too_large', `request body exceeds ${deps.bodyLimit}`));
        return;
      }
      if (error.type === 'entity.parse.failed') {
        send(response, errorResponse(400, 'invalid_json', 'request body is not valid JSON'));
        return;
      }
      deps.logger.error({ error: error.message }, 'unhandled error');
      send(response, errorResponse(500, 'internal_error', 'internal error'));
    },
  );
  return app;
}
