import {
  ApiKeyError,
  type ApiKeySummary,
  createApiKey,
  createPrismaClient,
  listApiKeys,
  revokeApiKey,
} from '@switchyard/db';
import type { Command } from 'commander';
import { readCliEnv } from '../env.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';

const toStderr = (line: string) => process.stderr.write(`${line}\n`);

/** Runs `action` with a migrated database (Postgres only); operator mistakes exit 2 with the message. */
async function withKeys(action: (prisma: ReturnType<typeof createPrismaClient>) => Promise<void>): Promise<void> {
  const env = readCliEnv();
  if (
    !(await prepareServicesOrReport(
      { databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL },
      { log: () => {}, redis: false },
    ))
  )
    return;
  const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
  try {
    await action(prisma);
  } catch (error) {
    if (!(error instanceof ApiKeyError)) throw error;
    toStderr(`error: ${error.message}`);
    process.exitCode = 2;
  } finally {
    await prisma.$disconnect();
  }
}

/** A positive USD amount with at most 12 decimals, as a decimal string (never through a float). */
export function parseBudgetUsd(value: string): string {
  if (!/^\d+(\.\d{1,12})?$/.test(value) || Number(value) <= 0) {
    throw new ApiKeyError(
      `--budget-usd must be a positive amount in USD with at most 12 decimals, e.g. 25 or 0.5; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function parseRpm(value: string): number {
  const rpm = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(rpm) || rpm < 1 || rpm > 1_000_000) {
    throw new ApiKeyError(
      `--rpm must be a whole number of requests per minute from 1 to 1000000; got ${JSON.stringify(value)}`,
    );
  }
  return rpm;
}

function statusOf(key: ApiKeySummary, now = new Date()): string {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return 'active';
}

/** `switchyard keys create|list|revoke`: the API keys clients authenticate with (operators only). */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('Create, list and revoke API keys (stored hashed; shown once)');

  keys
    .command('create')
    .description('create a key and print it once on stdout (details on stderr)')
    .requiredOption('--name <name>', 'a label unique among keys in use, e.g. the team or app')
    .option('--budget-usd <usd>', 'monthly spending cap in USD (UTC months); calls that would pass it are refused')
    .option('--rpm <n>', 'requests per minute over every API process')
    .action(async (options: { name: string; budgetUsd?: string; rpm?: string }) => {
      await withKeys(async (prisma) => {
        const { key, summary } = await createApiKey(prisma, {
          name: options.name,
          ...(options.budgetUsd === undefined ? {} : { monthlyBudgetUsd: parseBudgetUsd(options.budgetUsd) }),
          ...(options.rpm === undefined ? {} : { rpm: parseRpm(options.rpm) }),
        });
        toStderr(
          `created key ${summary.name} (${summary.id})${summary.monthlyBudgetUsd ? `, budget $${summary.monthlyBudgetUsd}/month` : ''}${summary.rpm ? `, ${summary.rpm} requests/min` : ''}. It is shown once; store it now:`,
        );
        console.log(key);
      });
    });

  keys
    .command('list')
    .description('list keys: name, id, created, last used, spend this month, limits (never the key)')
    .option('--json', 'one JSON array instead of a table')
    .action(async (options: { json?: boolean }) => {
      await withKeys(async (prisma) => {
        const rows = await listApiKeys(prisma);
        if (options.json) {
          console.log(
            JSON.stringify(
              rows.map((row) => ({ ...row, status: statusOf(row) })),
              null,
              2,
            ),
          );
          return;
        }
        if (rows.length === 0) {
          toStderr('no keys yet: pnpm switchyard keys create --name <name>');
          return;
        }
        const table = rows.map((row) => ({
          name: row.name,
          id: row.id,
          key: `${row.prefix}…`,
          status: statusOf(row),
          created: row.createdAt.toISOString().slice(0, 19).replace('T', ' '),
          'last used': row.lastUsedAt ? row.lastUsedAt.toISOString().slice(0, 19).replace('T', ' ') : '-',
          'spent this month': `$${row.spentThisMonthUsd}`,
          'budget/month': row.monthlyBudgetUsd ? `$${row.monthlyBudgetUsd}` : '-',
          rpm: row.rpm === null ? '-' : String(row.rpm),
        }));
        const columns = Object.keys(table[0] ?? {}) as (keyof (typeof table)[number])[];
        const widths = columns.map((column) => Math.max(column.length, ...table.map((row) => row[column].length)));
        console.log(columns.map((column, index) => column.padEnd(widths[index] ?? 0)).join('  '));
        for (const row of table)
          console.log(columns.map((column, index) => row[column].padEnd(widths[index] ?? 0)).join('  '));
      });
    });

  keys
    .command('revoke')
    .argument('<name-or-id>', 'the key’s name (while in use) or id')
    .description('revoke a key: every request with it gets 401 from now on')
    .action(async (nameOrId: string) => {
      await withKeys(async (prisma) => {
        const key = await revokeApiKey(prisma, nameOrId);
        console.log(`revoked key ${key.name} (${key.id})`);
      });
    });
}
