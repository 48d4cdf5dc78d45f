import { DEFAULT_QUALITY, qualityPresetSchema } from '@switchyard/core';
import { z } from 'zod';

const booleanString = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** Worker environment, read once at start-up. */
export const workerEnvSchema = z.object({
  /** Postgres: queries, plans, the attempt ledger. */
  DATABASE_URL: z.string().default('postgresql://postgres@127.0.0.1:5432/switchyard'),
  /** Redis holding the queues. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Key prefix of every queue; API and workers of one deployment must agree. */
  SWITCHYARD_QUEUE_PREFIX: z.string().min(1).default('switchyard'),
  /** Comma-separated roles this process runs: router, cascade, webhook (default all three). */
  SWITCHYARD_WORKER_ROLES: z.string().default('router,cascade,webhook'),
  /** Jobs in flight per role. */
  SWITCHYARD_ROUTER_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** Decide jobs (and calls of models without a call queue) processed at once per worker process. */
  SWITCHYARD_CASCADE_CONCURRENCY: z.coerce.number().int().positive().default(16),
  /** How the fixed cascade aggregates its LLM judge panel's verdicts into a stage's confidence. */
  SWITCHYARD_JUDGE_AGGREGATION: z.enum(['min', 'mean', 'majority']).default('min'),
  /** Provider calls in flight per worker process, across every model (each model's own limits apply too). */
  SWITCHYARD_MAX_CALLS_IN_FLIGHT: z.coerce.number().int().positive().default(256),
  SWITCHYARD_WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(8),
  /** JSON model registry file (see README, "Models"). Takes precedence over SWITCHYARD_REPLAY. */
  SWITCHYARD_MODELS: z.string().optional(),
  /** Dataset folder or .jsonl to replay recorded responses from; its models.json is the pool. */
  SWITCHYARD_REPLAY: z.string().optional(),
  /** The replay pool's models.json when it is not beside the SWITCHYARD_REPLAY file. */
  SWITCHYARD_REPLAY_MODELS: z.string().optional(),
  /** Simulated latency of each replayed call, ms. */
  SWITCHYARD_REPLAY_LATENCY_MS: z.coerce.number().int().nonnegative().default(0),
  /** Latency of every call of the built-in sim pool, ms; unset = each sim model's own (40–300 ms). */
  SWITCHYARD_SIM_LATENCY_MS: z.coerce.number().int().nonnegative().optional(),
  /** How long a worker keeps using the active router artifact before re-reading which one is active, ms. */
  SWITCHYARD_ROUTER_REFRESH_MS: z.coerce.number().int().nonnegative().default(5_000),
  /**
   * Default cost/accuracy knob for queries that give none: a position in [0,1] or a preset (economy,
   * balanced, max, match = the cheapest setting measured as accurate as the best single model).
   */
  SWITCHYARD_QUALITY: z.union([qualityPresetSchema, z.coerce.number().min(0).max(1)]).default(DEFAULT_QUALITY),
  /** Timeout of one model call, ms. */
  SWITCHYARD_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /**
   * A call whose remaining budget cannot pay this many output tokens after its input's worst case is
   * not made (the query's budget is a hard cap: each request's output limit is what the budget pays).
   */
  SWITCHYARD_MIN_OUTPUT_TOKENS: z.coerce.number().int().positive().default(16),
  /** Output-token cap of an LLM judge call (its verdict is a short JSON document). */
  SWITCHYARD_JUDGE_MAX_OUTPUT_TOKENS: z.coerce.number().int().positive().default(512),
  /** Judge prompt version: a folder of packages/queues/judge-prompts (recorded in every judge attempt). */
  SWITCHYARD_JUDGE_PROMPT_VERSION: z.string().min(1).default('v1'),
  /** Tries of one model call (retryable errors only), including the first. */
  SWITCHYARD_CALL_ATTEMPTS: z.coerce.number().int().positive().default(5),
  /** First retry delay of a model call, ms; doubles each retry unless the provider says retry-after. */
  SWITCHYARD_CALL_BACKOFF_MS: z.coerce.number().int().nonnegative().default(1_000),
  /**
   * HMAC-SHA256 secret callbacks are signed with, at least 16 characters (32+ random recommended).
   * Every callback-sending worker must have the same one; with it unset, one worker signs with a
   * random secret and a second is refused.
   */
  SWITCHYARD_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Allow callbacks to loopback/private addresses (operators; tests). */
  SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: booleanString.default(false),
  /** How often the reconciler re-enqueues work Redis lost, ms (0 = off). */
  SWITCHYARD_RECONCILE_INTERVAL_MS: z.coerce.number().int().nonnegative().default(30_000),
  /**
   * The reconciler enqueues again the route job of a query still queued after this long, and the
   * delivery job of a callback still pending after this long without a try, ms. (A no-op while the
   * job exists in Redis.)
   */
  SWITCHYARD_RECONCILE_QUEUED_AFTER_MS: z.coerce.number().int().nonnegative().default(15_000),
  /**
   * A routing/running query without ledger progress for this long gets a recovery decide job from the
   * reconciler, ms; it also re-runs calls whose job failed for good (e.g. tries used up while the
   * database was down). Keep it above SWITCHYARD_CALL_TIMEOUT_MS: after Redis lost its queues, a
   * recovery for a query whose call is still running on a live worker would make that call again.
   */
  SWITCHYARD_RECONCILE_STALLED_AFTER_MS: z.coerce.number().int().positive().default(300_000),
  /**
   * Lock of an active job, ms; renewed every half of it while the job runs. A crashed worker's jobs are
   * taken back by another worker at the earliest this long after the crash. Too short a lock on a busy
   * machine lets a live job be taken for stalled and run twice.
   */
  SWITCHYARD_LOCK_DURATION_MS: z.coerce.number().int().positive().default(30_000),
  /** How often a worker checks for stalled jobs (active jobs whose lock expired), ms. */
  SWITCHYARD_STALLED_INTERVAL_MS: z.coerce.number().int().positive().default(30_000),
  /** Set by `pnpm start`/`demo`: exit when the launching process dies (its stdin pipe closes). */
  SWITCHYARD_EXIT_WITH_PARENT: booleanString.default(false),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** Parses the environment, or exits with one line per bad variable. */
export function readWorkerEnv(environment: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const parsed = workerEnvSchema.safeParse(environment);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    console.error(`error: environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  process.exit(2);
}
