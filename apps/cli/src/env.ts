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
  /** Redis key prefix of the deployment's queues; `record` runs its own workers on `<prefix>-record`. */
  SWITCHYARD_QUEUE_PREFIX: z.string().min(1).default('switchyard'),
  /** The pool `record` records (as the workers read it): a JSON model registry file... */
  SWITCHYARD_MODELS: z.string().optional(),
  /** ...else a dataset folder or .jsonl to replay, with its models.json (else the built-in sim pool). */
  SWITCHYARD_REPLAY: z.string().optional(),
  /** The replay pool's models.json when it is not beside the SWITCHYARD_REPLAY file. */
  SWITCHYARD_REPLAY_MODELS: z.string().optional(),
  /** Budget of each recorded prompt when `record` gets no --max-cost-usd, USD (as the API's default). */
  SWITCHYARD_DEFAULT_MAX_COST_USD: z.coerce.number().positive().max(1_000).default(1),
});
export type CliEnv = z.infer<typeof cliEnvSchema>;

export function readCliEnv(environment: NodeJS.ProcessEnv = process.env): CliEnv {
  return cliEnvSchema.parse(environment);
}
