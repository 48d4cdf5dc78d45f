import {
  connectClient,
  DatabaseSetupError,
  type DatabaseTarget,
  defaultMigrationsDirectory,
  ensureDatabase,
  parseDatabaseUrl,
  runMigrations,
} from '@switchyard/db';
import { checkRedis } from './check-redis.js';

export interface ServiceUrls {
  databaseUrl: string;
  redisUrl: string;
}

export interface PrepareOptions {
  /** false: skip Redis, for commands that only use Postgres. Default true. */
  redis?: boolean;
  /**
   * false: a missing database is a problem, not something to create. For commands that only read or
   * change existing data, where a mistyped DATABASE_URL must not quietly give them an empty database.
   * Default true (commands that set things up: setup, demo, start, record, router train).
   */
  createDatabase?: boolean;
}

/** SQLSTATE invalid_catalog_name: the server has no database of that name. */
const DATABASE_DOES_NOT_EXIST = '3D000';

/**
 * Checks that Redis and Postgres answer, creates the database if missing (unless `createDatabase:
 * false`) and migrates it. Returns the problems found, one line each with what to run; empty when
 * everything is ready.
 */
export async function prepareServices(
  urls: ServiceUrls,
  log: (line: string) => void,
  options: PrepareOptions = {},
): Promise<string[]> {
  const problems: string[] = [];
  const [redisProblem, databaseProblem] = await Promise.all([
    options.redis === false ? null : checkRedis(urls.redisUrl),
    preparePostgres(urls, log, options.createDatabase ?? true),
  ]);
  if (redisProblem) problems.push(redisProblem);
  if (databaseProblem) problems.push(databaseProblem);
  return problems;
}

async function preparePostgres(
  urls: ServiceUrls,
  log: (line: string) => void,
  createDatabase: boolean,
): Promise<string | null> {
  try {
    const target = parseDatabaseUrl(urls.databaseUrl);
    if (!createDatabase && !(await databaseExists(target))) {
      return (
        `database "${target.databaseName}" does not exist on ${target.redacted}. To fix: check DATABASE_URL, ` +
        'or create it with `pnpm services` (or `pnpm demo`)'
      );
    }
    const created = createDatabase ? await ensureDatabase(target) : false;
    const result = await runMigrations({
      databaseUrl: urls.databaseUrl,
      migrationsDirectory: defaultMigrationsDirectory,
    });
    log(
      `postgres ${target.redacted}: ${created ? 'database created, ' : ''}${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} up to date`,
    );
    return null;
  } catch (error) {
    if (error instanceof DatabaseSetupError) return `${error.message}. To fix: ${error.hint}`;
    throw error;
  }
}

/** Connects to the target database: false when the server answers that it has no such database. */
async function databaseExists(target: DatabaseTarget): Promise<boolean> {
  try {
    const probe = await connectClient(target.url, target.redacted);
    await probe.end();
    return true;
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === DATABASE_DOES_NOT_EXIST) return false;
    throw error;
  }
}

/**
 * Prepares the services named by the CLI environment, printing each problem; false when the command
 * must stop (exit code already set). `log` receives the progress lines (stderr by default, so they
 * never mix into a command's output); see PrepareOptions for `redis` and `createDatabase`.
 */
export async function prepareServicesOrReport(
  urls: ServiceUrls,
  options: PrepareOptions & { log?: (line: string) => void } = {},
): Promise<boolean> {
  const { log = (line: string) => process.stderr.write(`${line}\n`), ...prepareOptions } = options;
  const problems = await prepareServices(urls, log, prepareOptions);
  for (const problem of problems) console.error(`error: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
  return problems.length === 0;
}
