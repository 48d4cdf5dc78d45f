import type { Command } from 'commander';
import { runBench } from '../bench/run-bench.js';
import { readCliEnv } from '../env.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';

function positiveInteger(name: string, value: string, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1 || number > max) {
    throw new Error(`${name} must be a whole number from 1 to ${max}; got ${JSON.stringify(value)}`);
  }
  return number;
}

function submitMode(value: string): 'queries' | 'batch' {
  if (value === 'queries' || value === 'batch') return value;
  throw new Error(`--submit must be queries or batch; got ${JSON.stringify(value)}`);
}

/**
 * `switchyard bench`: throughput of the whole distributed pipeline on the sim pool against raw BullMQ
 * on the same Redis. Prints progress on stderr and one JSON line on stdout (the numbers).
 */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('measure the pipeline (API → queues → workers → Postgres ledger) on the sim pool against raw BullMQ')
    .option('--queries <n>', 'queries to submit', '20000')
    .option('--workers <k>', 'worker processes', '2')
    .option('--latency-ms <ms>', 'latency of every simulated model call', '0')
    .option('--submit-concurrency <n>', 'HTTP requests in flight while submitting', '64')
    .option(
      '--submit <how>',
      'queries: one POST /v1/queries each; batch: one JSONL file and one /v1/batches',
      'queries',
    )
    .option(
      '--calls-in-flight <n>',
      'provider calls in flight per worker process (SWITCHYARD_MAX_CALLS_IN_FLIGHT)',
      '256',
    )
    .option('--raw-jobs <n>', 'trivial jobs of the raw BullMQ measurement', '20000')
    .option('--raw-runs <n>', 'raw BullMQ measurements; the fastest is the yardstick', '3')
    .option('--keep', 'keep the bench database and queue keys afterwards')
    .option('--cpu-prof <dir>', 'write V8 CPU profiles of the API and workers into this folder (node --cpu-prof)')
    .action(
      async (options: {
        queries: string;
        workers: string;
        latencyMs: string;
        submitConcurrency: string;
        submit: string;
        callsInFlight: string;
        rawJobs: string;
        rawRuns: string;
        keep?: boolean;
        cpuProf?: string;
      }) => {
        let parsed: {
          queries: number;
          workers: number;
          latencyMs: number;
          submitConcurrency: number;
          submit: 'queries' | 'batch';
          callsInFlight: number;
          rawJobs: number;
          rawRuns: number;
        };
        try {
          parsed = {
            queries: positiveInteger('--queries', options.queries, 1_000_000),
            workers: positiveInteger('--workers', options.workers, 64),
            latencyMs: options.latencyMs === '0' ? 0 : positiveInteger('--latency-ms', options.latencyMs, 600_000),
            submitConcurrency: positiveInteger('--submit-concurrency', options.submitConcurrency, 10_000),
            submit: submitMode(options.submit),
            callsInFlight: positiveInteger('--calls-in-flight', options.callsInFlight, 100_000),
            rawJobs: positiveInteger('--raw-jobs', options.rawJobs, 10_000_000),
            rawRuns: positiveInteger('--raw-runs', options.rawRuns, 20),
          };
        } catch (error) {
          console.error(`error: ${(error as Error).message}`);
          process.exitCode = 2;
          return;
        }
        const env = readCliEnv();
        const log = (line: string) => process.stderr.write(`${line}\n`);
        if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }, { log })))
          return;
        const result = await runBench({
          ...parsed,
          databaseUrl: env.DATABASE_URL,
          redisUrl: env.REDIS_URL,
          env: {},
          ...(options.cpuProf ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.cpuProf}`] } : {}),
          keep: options.keep === true,
          log,
        });
        log(
          `pipeline: ${result.pipelineQueriesPerSec} queries/s (${result.callsPerSec} calls/s, ${result.jobsPerQuery} jobs/query), raw BullMQ ${result.rawBullmqJobsPerSec} jobs/s, ratio ${result.ratioToRaw}`,
        );
        console.log(JSON.stringify(result));
      },
    );
}
