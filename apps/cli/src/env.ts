import { z } from 'zod';

/** Environment of the CLI. Read once, here; packages receive typed settings. */
export const cliEnvSchema = z.object({
  /** Postgres for queries, batches and the attempt ledger. */
  DATABASE_URL: z.string().default('postgresql://postgres@127.0.0.1:5432/switchyard'),
  /** Redis for the job queues. */
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
});
export type CliEnv = z.infer<typeof cliEnvSchema>;

export function readCliEnv(environment: NodeJS.ProcessEnv = process.env): CliEnv {
  return cliEnvSchema.parse(environment);
}
