import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { RouterArtifact } from '@switchyard/core';
import { DatasetError } from '@switchyard/datasets';
import { activateRouterArtifact, createPrismaClient, type PrismaClient, saveRouterArtifact } from '@switchyard/db';
import {
  createTrainingContext,
  TrainingError,
  trainLearnedArtifact,
  trainSwitchyard,
  trainTaxonomy,
} from '@switchyard/training';
import { type Command, InvalidArgumentError } from 'commander';
import { readCliEnv } from '../env.js';
import { EvalInputError, loadEvalData } from '../eval/load-eval-data.js';
import { trainingRecordsOf } from '../eval/systems.js';
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

async function withDatabase(run: (prisma: PrismaClient) => Promise<void>): Promise<void> {
  const env = readCliEnv();
  if (!(await prepareServicesOrReport({ databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL }))) return;
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
    .description('Learn a router from recorded responses (as `switchyard eval` does) and store it')
    .requiredOption('--train <file>', 'training records (.jsonl) in the ../shared/datasets format')
    .option('--models <file>', 'pool models.json (default: models.json beside the train file)')
    .option(
      '--router <kind>',
      `which router: ${ROUTER_KINDS.join(' (default), ')} (one model per query, by predicted P(correct | prompt))`,
      parseRouterKind,
      'switchyard',
    )
    .option('--activate', 'make it the default router of every query that names none')
    .action(async (options: { train: string; models?: string; router: TrainedKind; activate?: boolean }) => {
      let artifact: RouterArtifact;
      let digest: string;
      try {
        const data = await loadEvalData({ train: options.train, models: options.models });
        for (const warning of data.warnings) process.stderr.write(`warning: ${warning}\n`);
        const context = createTrainingContext(
          trainingRecordsOf(data.train),
          data.models.map((model) => model.id),
          { trainFile: options.train },
        );
        if (context.skipped.length > 0) {
          process.stderr.write(
            `warning: ${context.skipped.length} record(s) not trained on (e.g. ${context.skipped[0]?.id}: ${context.skipped[0]?.reason})\n`,
          );
        }
        artifact =
          options.router === 'switchyard'
            ? trainSwitchyard(context).artifact
            : options.router === 'taxonomy'
              ? trainTaxonomy(context)
              : trainLearnedArtifact(context);
        digest = createHash('sha256')
          .update(await readFile(options.train))
          .digest('hex');
      } catch (error) {
        if (error instanceof EvalInputError || error instanceof DatasetError || error instanceof TrainingError) {
          process.stderr.write(`switchyard router train: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
      await withDatabase(async (prisma) => {
        const { knob } = artifact;
        const row = await saveRouterArtifact(prisma, {
          kind: KIND,
          data: artifact as object,
          source: `${options.train} sha256:${digest}`,
          metrics: { router: artifact.kind, records: artifact.trainedOn?.records ?? 0, knob },
          activate: options.activate === true,
        });
        console.log(
          `stored router ${row.id} (${artifact.kind}, v${row.version}${row.active ? ', active' : ''}): pool ${artifact.pool.join(', ')}; trained on ${artifact.trainedOn?.records} records of ${options.train}`,
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
      });
    });

  router
    .command('list')
    .description('List stored routers, newest first')
    .action(async () => {
      await withDatabase(async (prisma) => {
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
      });
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
      await withDatabase(async (prisma) => {
        const row = await activateRouterArtifact(prisma, id);
        if (row === null || row.kind !== KIND) {
          process.stderr.write(`switchyard router activate: no router has id ${id} (see switchyard router list)\n`);
          process.exitCode = 2;
          return;
        }
        console.log(`router ${row.id} (v${row.version}) is now the default`);
      });
    });

  router
    .command('deactivate')
    .description('Route queries that name no router with the fixed cascade again')
    .action(async () => {
      await withDatabase(async (prisma) => {
        const { count } = await prisma.routerArtifact.updateMany({
          where: { kind: KIND, active: true },
          data: { active: false },
        });
        console.log(count > 0 ? 'no router is active: the fixed cascade is the default' : 'no router was active');
      });
    });
}
