import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RouterArtifact } from '@switchyard/core';
import { DatasetError } from '@switchyard/datasets';
import { activateRouterArtifact, createPrismaClient, type PrismaClient, saveRouterArtifact } from '@switchyard/db';
import {
  createTrainingContext,
  TrainingError,
  type TrainingRecord,
  trainLearnedArtifact,
  trainSwitchyard,
  trainTaxonomy,
} from '@switchyard/training';
import { type Command, InvalidArgumentError } from 'commander';
import { readCliEnv } from '../env.js';
import { EvalInputError, loadEvalData } from '../eval/load-eval-data.js';
import { trainingRecordsOf } from '../eval/systems.js';
import { findKeyId } from '../record/ledger-queries.js';
import { type LedgerTrainingData, LedgerTrainingError, readLedgerTrainingData } from '../record/ledger-training.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';

const ROUTER_KINDS = ['switchyard', 'taxonomy', 'learned'] as const;
type TrainedKind = (typeof ROUTER_KINDS)[number];

function parseRouterKind(value: string): TrainedKind {
  if (!(ROUTER_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`--router must be one of ${ROUTER_KINDS.join(', ')}, got "${value}"`);
  }
  return value as TrainedKind;
}

const KIND = 'switchyard';
/** Cross-validation folds inside the training records (training's default); it needs 2 records per fold. */
const TRAINING_FOLDS = 5;

export function parseDate(value: string): Date {
  const date = new Date(value);
  const [, year, month, day] = /^(\d{4})-(\d{2})-(\d{2})/.exec(value) ?? [];
  // new Date('2026-02-31') is 3 March: the calendar date must exist as written.
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (
    year === undefined ||
    Number.isNaN(date.getTime()) ||
    calendar.getUTCMonth() !== Number(month) - 1 ||
    calendar.getUTCDate() !== Number(day)
  ) {
    throw new InvalidArgumentError(`--since must be a date like 2026-11-01 or 2026-11-01T12:00:00Z, got "${value}"`);
  }
  return date;
}

function parsePool(value: string): string[] {
  const models = value
    .split(',')
    .map((model) => model.trim())
    .filter(Boolean);
  if (models.length === 0 || new Set(models).size !== models.length) {
    throw new InvalidArgumentError(`--pool must list distinct model ids separated by commas, got "${value}"`);
  }
  return models;
}

/** Trains one router kind on the records (skipped records are reported on stderr). */
function trainArtifact(
  kind: TrainedKind,
  records: readonly TrainingRecord[],
  pool: readonly string[],
  trainFile: string,
): RouterArtifact {
  const context = createTrainingContext(records, pool, { trainFile, folds: TRAINING_FOLDS });
  if (context.skipped.length > 0) {
    process.stderr.write(
      `warning: ${context.skipped.length} record(s) not trained on (e.g. ${context.skipped[0]?.id}: ${context.skipped[0]?.reason})\n`,
    );
  }
  return kind === 'switchyard'
    ? trainSwitchyard(context).artifact
    : kind === 'taxonomy'
      ? trainTaxonomy(context)
      : trainLearnedArtifact(context);
}

/** Stores a trained router and prints what it is and how to use it. */
async function storeArtifact(
  prisma: PrismaClient,
  artifact: RouterArtifact,
  source: string,
  options: { activate: boolean; trainedOn: string },
): Promise<void> {
  const { knob } = artifact;
  const row = await saveRouterArtifact(prisma, {
    kind: KIND,
    data: artifact as object,
    source,
    metrics: { router: artifact.kind, records: artifact.trainedOn?.records ?? 0, knob },
    activate: options.activate,
  });
  console.log(
    `stored router ${row.id} (${artifact.kind}, v${row.version}${row.active ? ', active' : ''}): pool ${artifact.pool.join(', ')}; trained on ${options.trainedOn}`,
  );
  const ends = [knob.points[0], knob.points[knob.points.length - 1]].map(
    (point) => `${((point?.accuracy ?? 0) * 100).toFixed(2)} % at ${(point?.costUsd ?? 0).toExponential(3)} USD`,
  );
  console.log(
    `knob (cross-validated on the training records): quality 0 → ${ends[0]}, quality 1 → ${ends[1]}; match = ${knob.match === null ? 'not reached (resolves to quality 1)' : `quality ${knob.match.toFixed(3)}`}`,
  );
  console.log(
    row.active
      ? 'workers route every query that names no router with it (within SWITCHYARD_ROUTER_REFRESH_MS)'
      : `use it per query with "router": "${row.id}", or make it the default: switchyard router activate ${row.id}`,
  );
}

/** `createDatabase: false` for commands that only read or change stored routers (list, activate, deactivate). */
async function withDatabase(
  run: (prisma: PrismaClient) => Promise<void>,
  options: { createDatabase?: boolean } = {},
): Promise<void> {
  const env = readCliEnv();
  if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }, options))) return;
  const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
  try {
    await run(prisma);
  } finally {
    await prisma.$disconnect();
  }
}

/** `switchyard router train|list|activate|deactivate`: the trained routers the workers use. */
export function registerRouterCommands(program: Command): void {
  const router = program
    .command('router')
    .description('Train, list and activate the router artifacts workers route with (router_artifacts)');

  router
    .command('train')
    .description(
      'Learn a router from recorded responses (a dataset, as `switchyard eval` does, or the ledger) and store it',
    )
    .option('--train <file>', 'training records (.jsonl) in the ../shared/datasets format (or --from-ledger)')
    .option('--models <file>', 'pool models.json (default: models.json beside the train file)')
    .option(
      '--from-ledger',
      'train from the ledger instead: completed queries every pool model answered (switchyard record), labelled by reference, judge verdicts and feedback (feedback wins)',
    )
    .option('--since <date>', 'with --from-ledger: only queries created at or after this date (ISO 8601)', parseDate)
    .option('--key <name|id>', 'with --from-ledger: only the queries of this API key')
    .option(
      '--pool <models>',
      "with --from-ledger: the pool, comma-separated, cheapest first (default: the newest recording's)",
    )
    .option(
      '--router <kind>',
      `which router: switchyard (default: EMAFusion's parts in one), taxonomy (a model per category), learned (one model per query, by predicted P(correct | prompt))`,
      parseRouterKind,
      'switchyard',
    )
    .option('--activate', 'make it the default router of every query that names none')
    .action(
      async (options: {
        train?: string;
        models?: string;
        fromLedger?: boolean;
        since?: Date;
        key?: string;
        pool?: string;
        router: TrainedKind;
        activate?: boolean;
      }) => {
        const fail = (message: string) => {
          process.stderr.write(`switchyard router train: ${message}\n`);
          process.exitCode = 2;
        };
        if ((options.train === undefined) === (options.fromLedger !== true)) {
          fail('give either --train <file> or --from-ledger');
          return;
        }
        if (options.fromLedger !== true && (options.since ?? options.key ?? options.pool) !== undefined) {
          fail('--since, --key and --pool go with --from-ledger');
          return;
        }
        if (options.fromLedger === true) {
          if (options.models !== undefined) {
            fail('--models goes with --train (with --from-ledger, name the pool with --pool)');
            return;
          }
          await withDatabase(async (prisma) => {
            let data: LedgerTrainingData;
            let apiKeyId: string | undefined;
            try {
              if (options.key !== undefined) apiKeyId = await findKeyId(prisma, options.key);
              data = await readLedgerTrainingData(prisma, {
                ...(options.since === undefined ? {} : { since: options.since }),
                ...(apiKeyId === undefined ? {} : { apiKeyId }),
                ...(options.pool === undefined ? {} : { pool: parsePool(options.pool) }),
                minimumRecords: 2 * TRAINING_FOLDS,
              });
            } catch (error) {
              if (error instanceof LedgerTrainingError || /^no API key in use/.test((error as Error).message)) {
                fail((error as Error).message);
                return;
              }
              throw error;
            }
            const sources = Object.entries(data.bySource)
              .map(([source, count]) => `${source} ${count}`)
              .join(', ');
            process.stderr.write(
              `from the ledger: ${data.records.length} usable of ${data.scanned} completed queries (${data.incomplete} without every pool model's answer, ${data.unlabelled} with an unlabelled answer); labels: ${sources}; pool ${data.pool.join(', ')} (from ${data.poolSource})\n`,
            );
            const label = `ledger${options.since ? ` since ${options.since.toISOString()}` : ''}${options.key ? ` key ${options.key}` : ''}`;
            let artifact: RouterArtifact;
            try {
              artifact = trainArtifact(options.router, data.records, data.pool, label);
            } catch (error) {
              if (error instanceof TrainingError) {
                fail(error.message);
                return;
              }
              throw error;
            }
            const digest = createHash('sha256')
              .update(data.records.map((record) => record.id).join('\n'))
              .digest('hex');
            await storeArtifact(prisma, artifact, `${label}: ${data.records.length} queries sha256:${digest}`, {
              activate: options.activate === true,
              trainedOn: `${data.records.length} ledger queries`,
            });
          });
          return;
        }
        const train = options.train as string;
        let artifact: RouterArtifact;
        let digest: string;
        try {
          const data = await loadEvalData({ train, models: options.models });
          for (const warning of data.warnings) process.stderr.write(`warning: ${warning}\n`);
          artifact = trainArtifact(
            options.router,
            trainingRecordsOf(data.train),
            data.models.map((model) => model.id),
            train,
          );
          digest = createHash('sha256')
            .update(await readFile(train))
            .digest('hex');
        } catch (error) {
          if (error instanceof EvalInputError || error instanceof DatasetError || error instanceof TrainingError) {
            fail(error.message);
            return;
          }
          throw error;
        }
        await withDatabase(async (prisma) => {
          await storeArtifact(prisma, artifact, `${train} sha256:${digest}`, {
            activate: options.activate === true,
            trainedOn: `${artifact.trainedOn?.records} records of ${train}`,
          });
        });
      },
    );

  router
    .command('list')
    .description('List stored routers, newest first')
    .action(async () => {
      await withDatabase(
        async (prisma) => {
          const rows = await prisma.routerArtifact.findMany({
            where: { kind: KIND },
            orderBy: { version: 'desc' },
            select: { id: true, version: true, active: true, createdAt: true, source: true, data: true },
          });
          if (rows.length === 0) {
            console.log(
              'no stored routers: workers use the fixed cascade. Train one: switchyard router train --train <file>',
            );
            return;
          }
          for (const row of rows) {
            console.log(
              `${row.id}  v${String(row.version).padEnd(4)} ${String((row.data as { kind?: unknown } | null)?.kind ?? '?').padEnd(10)} ${row.active ? 'active ' : '       '} ${row.createdAt.toISOString()}  ${row.source ?? ''}`,
            );
          }
        },
        { createDatabase: false },
      );
    });

  router
    .command('activate')
    .description('Make a stored router the default for queries that name none')
    .argument('<id>', 'router artifact id (see switchyard router list)')
    .action(async (id: string) => {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
        process.stderr.write(`switchyard router activate: "${id}" is not a router id (see switchyard router list)\n`);
        process.exitCode = 2;
        return;
      }
      await withDatabase(
        async (prisma) => {
          // Checked inside the transaction: an artifact of another kind is never activated.
          const row = await activateRouterArtifact(prisma, id, { kind: KIND });
          if (row === null) {
            process.stderr.write(`switchyard router activate: no router has id ${id} (see switchyard router list)\n`);
            process.exitCode = 2;
            return;
          }
          console.log(`router ${row.id} (v${row.version}) is now the default`);
        },
        { createDatabase: false },
      );
    });

  router
    .command('deactivate')
    .description('Route queries that name no router with the fixed cascade again')
    .action(async () => {
      await withDatabase(
        async (prisma) => {
          const { count } = await prisma.routerArtifact.updateMany({
            where: { kind: KIND, active: true },
            data: { active: false },
          });
          console.log(count > 0 ? 'no router is active: the fixed cascade is the default' : 'no router was active');
        },
        { createDatabase: false },
      );
    });
}
