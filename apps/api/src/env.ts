import { z } from 'zod';

/** API environment, read once at start-up. */
export const apiEnvSchema = z.object({
  /** HTTP port. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Interface to listen on. */
  HOST: z.string().default('127.0.0.1'),
  /** Postgres: queries, plans, the attempt ledger. */
  DATABASE_URL: z.string().default('postgresql://postgres@127.0.0.1:5432/switchyard'),
  /** Redis holding the queues. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Key prefix of every queue; API and workers of one deployment must agree. */
  SWITCHYARD_QUEUE_PREFIX: z.string().min(1).default('switchyard'),
  /** Largest JSON request body. */
  SWITCHYARD_BODY_LIMIT: z.string().default('2mb'),
  /** Allow callbackUrl to point at loopback/private addresses (operators; tests). */
  SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: z
    .enum(['true', 'false', '1', '0'])
    .transform((value) => value === 'true' || value === '1')
    .default(false),
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
