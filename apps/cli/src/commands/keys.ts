import {
  ApiKeyError,
  type ApiKeySummary,
  createApiKey,
  createPrismaClient,
  listApiKeys,
  revokeApiKey,
} from '@switchyard/db';
import { type Command, Option } from 'commander';
import { readCliEnv } from '../env.js';
import { prepareServicesOrReport } from '../services/prepare-services.js';

const toStderr = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Runs `action` with a migrated database (Postgres only); operator mistakes exit 2 with the message.
 * The database must exist already: keys belong to the database the API serves (`pnpm start`, `pnpm
 * services` and `pnpm demo` create it), and a key made in a database created by a mistyped
 * DATABASE_URL would be printed as if it worked and then answer 401 everywhere.
 */
async function withKeys(action: (prisma: ReturnType<typeof createPrismaClient>) => Promise<void>): Promise<void> {
  const env = readCliEnv();
  if (
    !(await prepareServicesOrReport(
      { databaseUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL },
      { log: () => {}, redis: false, createDatabase: false },
    ))
  )
    return;
  const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
  try {
    await action(prisma);
  } catch (error) {
    if (!(error instanceof ApiKeyError)) throw error;
    toStderr(`error: ${escapeNonPrintable(error.message)}`);
    process.exitCode = 2;
  } finally {
    await prisma.$disconnect();
  }
}

/** The largest monthly budget the column (Decimal(20,12): 8 digits before the point) holds. */
export const MAX_BUDGET_USD = '99999999.999999999999';

/** A positive USD amount with at most 12 decimals, as a decimal string (never through a float). */
export function parseBudgetUsd(value: string): string {
  const match = /^(\d+)(\.\d{1,12})?$/.exec(value);
  if (!match || Number(value) <= 0) {
    throw new ApiKeyError(
      `--budget-usd must be a positive amount in USD with at most 12 decimals, e.g. 25 or 0.5; got ${JSON.stringify(value)}`,
    );
  }
  if ((match[1] ?? '').replace(/^0+/, '').length > 8) {
    throw new ApiKeyError(
      `--budget-usd must be less than 100000000 USD (at most ${MAX_BUDGET_USD}); got ${JSON.stringify(value)}`,
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

/** Characters a terminal does not print as themselves: controls, format (bidi), separators, unassigned. */
const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}]/gu;

/** Each UTF-16 unit of `character` as \uXXXX, which reads the same in a table and in JSON. */
function escapeUnits(character: string): string {
  let escaped = '';
  for (let index = 0; index < character.length; index++)
    escaped += `\\u${character.charCodeAt(index).toString(16).padStart(4, '0')}`;
  return escaped;
}

/**
 * `text` with every non-printable character as \uXXXX, so a name stored before names were checked
 * cannot fake table rows or send escape sequences to the terminal.
 */
export function escapeNonPrintable(text: string): string {
  return text.replace(NON_PRINTABLE, escapeUnits);
}

/**
 * JSON for a terminal: JSON.stringify already escapes U+0000–U+001F inside strings (so any raw one
 * left is indentation), but not DEL, C1 controls, bidi overrides or line separators.
 */
export function toTerminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(NON_PRINTABLE, (character) =>
    character.charCodeAt(0) < 0x20 ? character : escapeUnits(character),
  );
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
    .requiredOption(
      '--name <name>',
      'a label unique among keys in use, e.g. the team or app: 1 to 100 printable characters, not shaped like a key id (a UUID)',
    )
    .option(
      '--budget-usd <usd>',
      'monthly spending cap in USD (UTC months), below 100000000; calls that would pass it are refused',
    )
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
          console.log(toTerminalJson(rows.map((row) => ({ ...row, status: statusOf(row) }))));
          return;
        }
        if (rows.length === 0) {
          toStderr('no keys yet: pnpm switchyard keys create --name <name>');
          return;
        }
        const table = rows.map((row) => ({
          name: escapeNonPrintable(row.name),
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
    .addOption(new Option('--id', 'the argument is a key id').conflicts('name'))
    .addOption(new Option('--name', 'the argument is the name of a key in use'))
    .description(
      'revoke a key: every request with it gets 401 from now on. A UUID is read as an id; if it is also the name ' +
        'of a key in use (names are no longer allowed to look like ids, older keys may), the command refuses ' +
        'and --id or --name says which was meant',
    )
    .action(async (nameOrId: string, options: { id?: boolean; name?: boolean }) => {
      await withKeys(async (prisma) => {
        const key = await revokeApiKey(prisma, nameOrId, { by: options.id ? 'id' : options.name ? 'name' : 'auto' });
        console.log(`revoked key ${escapeNonPrintable(key.name)} (${key.id})`);
      });
    });
}
