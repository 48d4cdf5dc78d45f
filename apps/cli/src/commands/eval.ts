import path from 'node:path';
import { QUALITY_LEVELS, qualitySchema } from '@switchyard/core';
import { DatasetError, readRecords } from '@switchyard/datasets';
import { TrainingError } from '@switchyard/training';
import { type Command, InvalidArgumentError } from 'commander';
import { readCliEnv } from '../env.js';
import { type DistributedEval, startDistributedEval } from '../eval/distributed.js';
import { measureExtractionAgreement } from '../eval/extraction-agreement.js';
import { EvalInputError } from '../eval/load-eval-data.js';
import { formatReportTable } from '../eval/report-table.js';
import { runEval } from '../eval/run-eval.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';

function parseInteger(name: string, minimum: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || parsed < minimum) {
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${minimum}, got "${value}"`);
    }
    return parsed;
  };
}

/** A plain decimal number: Number('') is 0 and Number('0x1') is 1, neither of which anyone meant. */
const DECIMAL = /^\d+(\.\d+)?(e[-+]?\d+)?$|^\.\d+(e[-+]?\d+)?$/i;

export function parseQualities(value: string): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const qualities = parts.map(Number);
  if (
    parts.some((part) => !DECIMAL.test(part)) ||
    qualities.some((quality) => !qualitySchema.safeParse(quality).success)
  ) {
    throw new InvalidArgumentError(`--qualities must be comma-separated numbers in [0,1], got "${value}"`);
  }
  return [...new Set(qualities)].sort((a, b) => a - b);
}

export function parseCosts(value: string, previous: number[] = []): number[] {
  const parts = value.split(',').map((part) => part.trim());
  const costs = parts.map(Number);
  if (parts.some((part) => !DECIMAL.test(part)) || costs.some((cost) => !(Number.isFinite(cost) && cost > 0))) {
    throw new InvalidArgumentError(`--target-cost-usd must be positive numbers (USD per query), got "${value}"`);
  }
  return [...new Set([...previous, ...costs])].sort((a, b) => a - b);
}

/** `switchyard eval` (offline evaluation on recorded datasets) and `switchyard eval-extraction`. */
export function registerEvalCommands(program: Command): void {
  program
    .command('eval')
    .description('Evaluate single models, the oracle, every router kind and Switchyard on recorded responses (replay)')
    .requiredOption('--train <file>', 'training records (.jsonl); everything learned comes from here')
    .option('--test <file>', 'test records (.jsonl), only scored; ids must not overlap --train')
    .option('--cv <k>', 'k-fold cross-validation inside --train instead of --test', parseInteger('--cv', 2))
    .option('--seed <n>', 'seed of the fold assignment', parseInteger('--seed', 0), 0)
    .option('--models <file>', 'pool models.json (default: models.json beside the train file)')
    .option(
      '--qualities <list>',
      'knob positions of every knob router (the presets are added for Switchyard)',
      parseQualities,
      [...QUALITY_LEVELS],
    )
    .option(
      '--target-cost-usd <x>',
      'also report Switchyard aiming at this mean cost per query (USD; comma-separated or repeated)',
      parseCosts,
    )
    .requiredOption('--out <dir>', 'output folder for report.json, predictions.jsonl, frontier.svg')
    .option(
      '--distributed',
      'run the Switchyard rows through the real queues and workers (DATABASE_URL, REDIS_URL) and compare with in-process',
    )
    .option('--workers <n>', 'worker processes for --distributed', parseInteger('--workers', 1), 2)
    .option(
      '--sample <n>',
      'score only n test records (deterministic by --seed); training is unchanged',
      parseInteger('--sample', 1),
    )
    .action(
      async (options: {
        train: string;
        test?: string;
        cv?: number;
        seed: number;
        models?: string;
        qualities: number[];
        targetCostUsd?: number[];
        out: string;
        distributed?: boolean;
        workers: number;
        sample?: number;
      }) => {
        let distributed: DistributedEval | undefined;
        try {
          if (options.distributed) {
            const env = readCliEnv();
            if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }))) return;
            if (options.cv === undefined && options.test === undefined) {
              throw new EvalInputError('give exactly one of --test <file> and --cv <k>');
            }
            distributed = await startDistributedEval({
              databaseUrl: env.DATABASE_URL,
              redisUrl: env.REDIS_URL,
              replayFile: options.test ?? options.train,
              modelsFile: options.models ?? path.join(path.dirname(options.train), 'models.json'),
              workers: options.workers,
              queuePrefix: env.SWITCHYARD_QUEUE_PREFIX,
              log: (line) => process.stderr.write(`${line}\n`),
            });
          }
          const { distributed: _flag, workers: _workers, targetCostUsd, ...evalOptions } = options;
          const { report } = await runEval({
            ...evalOptions,
            ...(targetCostUsd === undefined ? {} : { targetCostsUsd: targetCostUsd }),
            ...(distributed === undefined ? {} : { distributed }),
          });
          for (const warning of report.warnings) process.stderr.write(`warning: ${warning}\n`);
          process.stdout.write(`${formatReportTable(report)}\n`);
          if (report.distributed !== undefined) {
            const { compared, identical, differences, runId } = report.distributed;
            process.stdout.write(
              `distributed (${runId}): ${identical}/${compared} Switchyard predictions identical to in-process (answer model, calls, cost, outcome)\n`,
            );
            for (const difference of differences.slice(0, 5)) {
              process.stdout.write(
                `  differs: ${difference.system} ${difference.id}: in-process ${JSON.stringify(difference.inProcess)} distributed ${JSON.stringify(difference.distributed)}\n`,
              );
            }
            if (identical !== compared) process.exitCode = 1;
          }
          process.stdout.write(
            `wrote ${path.join(options.out, 'report.json')}, predictions.jsonl, frontier.svg in ${(report.elapsedMs / 1000).toFixed(1)} s\n`,
          );
        } catch (error) {
          // TrainingError: too few records to train on (each fold trains on the others).
          if (error instanceof EvalInputError || error instanceof DatasetError || error instanceof TrainingError) {
            process.stderr.write(`switchyard eval: ${error.message}\n`);
            process.exitCode = 2;
            return;
          }
          throw error;
        } finally {
          await distributed?.close();
        }
      },
    );

  program
    .command('eval-extraction')
    .description("Measure how often extractAnswer agrees with the datasets' recorded answer fields")
    .argument('<files...>', 'dataset .jsonl files')
    .action(async (files: string[]) => {
      for (const file of files) {
        let records: Awaited<ReturnType<typeof readRecords>>;
        try {
          records = await readRecords(file);
        } catch (error) {
          process.stderr.write(`switchyard eval-extraction: ${(error as Error).message}\n`);
          process.exitCode = 2;
          return;
        }
        process.stdout.write(`${file}\nbenchmark        type     responses  agree   rate     missed  extra  differ\n`);
        for (const row of measureExtractionAgreement(records, 0)) {
          process.stdout.write(
            `${row.benchmark.padEnd(16)} ${row.answerType.padEnd(8)} ${String(row.responses).padStart(9)}  ${String(row.agree).padStart(5)}  ${(row.rate * 100).toFixed(2).padStart(6)}%  ${String(row.missed).padStart(6)}  ${String(row.extra).padStart(5)}  ${String(row.differ).padStart(6)}\n`,
          );
        }
      }
    });
}
