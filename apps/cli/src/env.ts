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

/** A CLI environment variable that is set but unusable; the message names it and the problem, never its value. */
export class CliEnvError extends Error {
  override readonly name = 'CliEnvError';
  constructor(
    readonly variable: keyof CliEnv,
    problem: string,
  ) {
    super(`environment variable ${variable}: ${problem} (fix it or unset it)`);
  }
}

/** Validates one variable of `environment`; throws CliEnvError. */
export function readCliEnvVariable<Name extends keyof CliEnv>(
  name: Name,
  environment: NodeJS.ProcessEnv = process.env,
): CliEnv[Name] {
  const schema: z.ZodType = cliEnvSchema.shape[name];
  const parsed = schema.safeParse(environment[name]);
  if (parsed.success) return parsed.data as CliEnv[Name];
  // zod's messages state the rule broken, not the input, so a secret's value is never printed.
  throw new CliEnvError(name, parsed.error.issues.map((issue) => issue.message).join('; '));
}

function exitWithMessage(error: CliEnvError): never {
  console.error(`error: ${error.message}`);
  process.exit(2);
}

/**
 * The CLI's environment. Each variable is validated when a command first reads it, so a bad value
 * of one a command does not use (e.g. SWITCHYARD_DEFAULT_MAX_COST_USD for `keys list`) does not stop
 * it. An invalid variable goes to `onInvalid`: by default one line on stderr and exit code 2.
 */
export function readCliEnv(
  environment: NodeJS.ProcessEnv = process.env,
  onInvalid: (error: CliEnvError) => never = exitWithMessage,
): CliEnv {
  const env = {} as CliEnv;
  for (const name of Object.keys(cliEnvSchema.shape) as (keyof CliEnv)[]) {
    let read: { value: unknown } | undefined;
    Object.defineProperty(env, name, {
      enumerable: true,
      get: () => {
        if (!read) {
          try {
            read = { value: readCliEnvVariable(name, environment) };
          } catch (error) {
            if (!(error instanceof CliEnvError)) throw error;
            onInvalid(error);
          }
        }
        return read.value;
      },
    });
  }
  return env;
}
