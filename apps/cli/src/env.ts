import { z } from 'zod';

/** Environment of the CLI. Read once, here; packages receive typed settings. */
export const cliEnvSchema = z.object({
  /** Postgres for queries, batches and the attempt ledger. */
  DATABASE_URL: z.string().default('postgresql://postgres@127.0.0.1:5432/switchyard'),
  /** Redis for the job queues. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** The API the client commands (submit, batches) talk to. */
  SWITCHYARD_API_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** API key of the client commands (or --api-key). */
  SWITCHYARD_API_KEY: z.string().optional(),
});
export type CliEnv = z.infer<typeof cliEnvSchema>;

export function readCliEnv(environment: NodeJS.ProcessEnv = process.env): CliEnv {
  return cliEnvSchema.parse(environment);
}
