import { DatasetError } from '@switchyard/datasets';
import { createPrismaClient } from '@switchyard/db';
import { type Command, InvalidArgumentError } from 'commander';
import { readCliEnv } from '../env.js';
import { readRecordPool } from '../record/record-pool.js';
import { RECORD_MAX_COST_USD, RecordInputError, runRecord } from '../record/run-record.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';

function parsePositive(name: string, integer: boolean, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0 || parsed > max || (integer && !Number.isInteger(parsed))) {
      throw new InvalidArgumentError(
        `${name} must be a positive ${integer ? 'integer' : 'number'} up to ${max}, got "${value}"`,
      );
    }
    return parsed;
  };
}

/** `switchyard record`: run prompts through every pool model and write a training dataset. */
export function registerRecordCommand(program: Command): void {
  program
    .command('record')
    .description(
      'Run each prompt through every pool model (the ledger pays and records every call) and write a dataset to train routers on',
    )
    .requiredOption(
      '--input <file>',
      'prompts, one JSON object per line: {"prompt", "id"?, "reference"?, "answerType"?, "category"?, "benchmark"?, "judgeTask"?}',
    )
    .requiredOption('--out <file>', 'dataset .jsonl to append to (models.json is written beside it)')
    .option(
      '--references',
      'every line has a "reference" answer: labels come from grading against it, no judge is paid (a line without one is an error)',
    )
    .option(
      '--max-cost-usd <usd>',
      'budget of each prompt: all its model and judge calls (default SWITCHYARD_DEFAULT_MAX_COST_USD)',
      parsePositive('--max-cost-usd', false, RECORD_MAX_COST_USD),
    )
    .option('--key <name|id>', 'API key the queries belong to and are billed to (its monthly budget applies)')
    .option('--concurrency <n>', 'prompts in flight at once', parsePositive('--concurrency', true, 1_000), 16)
    .option('--workers <n>', 'worker processes to start', parsePositive('--workers', true, 32), 1)
    .action(
      async (options: {
        input: string;
        out: string;
        references?: boolean;
        maxCostUsd?: number;
        key?: string;
        concurrency: number;
        workers: number;
      }) => {
        const env = readCliEnv();
        // Read (and so checked) before anything is prepared: a bad SWITCHYARD_DEFAULT_MAX_COST_USD stops here.
        const maxCostUsd = options.maxCostUsd ?? env.SWITCHYARD_DEFAULT_MAX_COST_USD;
        let pool: Awaited<ReturnType<typeof readRecordPool>>;
        try {
          pool = await readRecordPool({
            modelsFile: env.SWITCHYARD_MODELS,
            replay: env.SWITCHYARD_REPLAY,
            replayModelsFile: env.SWITCHYARD_REPLAY_MODELS,
            env: process.env,
          });
        } catch (error) {
          process.stderr.write(`switchyard record: cannot read the pool: ${(error as Error).message}\n`);
          process.exitCode = 2;
          return;
        }
        if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }))) {
          process.exitCode = 1;
          return;
        }
        const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
        try {
          const started = Date.now();
          const summary = await runRecord(prisma, {
            input: options.input,
            out: options.out,
            requireReferences: options.references === true,
            maxCostUsd,
            ...(options.key === undefined ? {} : { key: options.key }),
            concurrency: options.concurrency,
            workers: options.workers,
            pool,
            databaseUrl: env.DATABASE_URL,
            redisUrl: env.REDIS_URL,
            queuePrefix: env.SWITCHYARD_QUEUE_PREFIX,
            env: process.env,
            log: (line) => process.stderr.write(`${line}\n`),
          });
          for (const failure of summary.failed) {
            process.stderr.write(`  ${options.input}:${failure.line} (${failure.id}): ${failure.reason}\n`);
          }
          console.log(
            `recorded ${summary.recorded} prompt(s) to ${options.out} in ${((Date.now() - started) / 1000).toFixed(1)} s (${summary.reused} reused an earlier run's query, nothing paid twice; ${summary.alreadyInOutput} were already in the file); ${summary.failed.length} not recorded; paid by this run $${summary.paidUsd}, cost of the recorded prompts $${summary.recordedCostUsd} (from the ledger)`,
          );
          if (summary.failed.length > 0) process.exitCode = 1;
        } catch (error) {
          if (error instanceof RecordInputError || error instanceof DatasetError) {
            process.stderr.write(`switchyard record: ${error.message}\n`);
            process.exitCode = 2;
            return;
          }
          if (error instanceof Error && /^no API key in use/.test(error.message)) {
            process.stderr.write(`switchyard record: --key: ${error.message}\n`);
            process.exitCode = 2;
            return;
          }
          throw error;
        } finally {
          await prisma.$disconnect();
        }
      },
    );
}
