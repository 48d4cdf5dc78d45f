import { z } from 'zod';

const booleanString = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** API environment, read once at start-up. */
export const apiEnvSchema = z.object({
  /** HTTP port. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Interface to listen on. */
  HOST: z.string().default('127.0.0.1'),
  /** Postgres: queries, plans, the attempt ledger, API keys. */
  DATABASE_URL: z.string().default('postgresql://postgres@127.0.0.1:5432/switchyard'),
  /** Redis holding the queues and the per-key rate limits. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Key prefix of every queue; API and workers of one deployment must agree. */
  SWITCHYARD_QUEUE_PREFIX: z.string().min(1).default('switchyard'),
  /** Largest uploaded file (POST /v1/files), MB; a batch input of 200 MB needs at least 200. */
  SWITCHYARD_MAX_FILE_MB: z.coerce.number().int().positive().max(4_096).default(512),
  /** How long POST /v1/chat/completions waits for the answer before 504 with the query id, ms. */
  SWITCHYARD_CHAT_TIMEOUT_MS: z.coerce.number().int().positive().default(120_000),
  /** Largest JSON request body. */
  SWITCHYARD_BODY_LIMIT: z.string().default('2mb'),
  /** Allow callbackUrl to point at loopback/private addresses (operators; tests). */
  SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: booleanString.default(false),
  /**
   * Operator credential for /admin/queues (the dashboard) and /metrics: a Bearer token, or the
   * password of HTTP basic auth with any user name. Unset = both are not mounted at all.
   */
  SWITCHYARD_ADMIN_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters (use e.g. `openssl rand -hex 32`)')
    .optional(),
  /** Let the dashboard change queues (pause, retry, clean, add jobs); read-only by default. */
  SWITCHYARD_DASHBOARD_WRITE: booleanString.default(false),
  /** Budget in USD of a query that sends no maxCostUsd, so no query is unbounded. */
  SWITCHYARD_DEFAULT_MAX_COST_USD: z.coerce.number().positive().max(1_000).default(1),
  /**
   * Express `trust proxy` setting when the API runs behind a reverse proxy (e.g. `1` for one hop,
   * or `loopback`); unset = do not trust X-Forwarded-* headers.
   */
  SWITCHYARD_TRUST_PROXY: z.string().optional(),
  /** Set by `pnpm start`/`demo`: exit when the launching process dies (its stdin pipe closes). */
  SWITCHYARD_EXIT_WITH_PARENT: booleanString.default(false),
  /** pino log level. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function readApiEnv(environment: NodeJS.ProcessEnv = process.env): ApiEnv {
  const parsed = apiEnvSchema.safeParse(environment);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    console.error(`error: environment variable ${issue.path.join('.')}: ${issue.message}`);
  }
  process.exit(2);
}
