import {
  DatabaseSetupError,
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

/**
 * Checks that Redis and Postgres answer, creates the database if missing and migrates it.
 * Returns the problems found, one line each with what to run; empty when everything is ready.
 */
export async function prepareServices(
  urls: ServiceUrls,
  log: (line: string) => void,
  options: { redis?: boolean } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const [redisProblem, databaseProblem] = await Promise.all([
    options.redis === false ? null : checkRedis(urls.redisUrl),
    preparePostgres(urls, log),
  ]);
  if (redisProblem) problems.push(redisProblem);
  if (databaseProblem) problems.push(databaseProblem);
  return problems;
}

async function preparePostgres(urls: ServiceUrls, log: (line: string) => void): Promise<string | null> {
  try {
    const target = parseDatabaseUrl(urls.databaseUrl);
    const created = await ensureDatabase(target);
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

/**
 * Prepares the services named by the CLI environment, printing each problem; false when the command
 * must stop (exit code already set). `log` receives the progress lines (stdout by default; commands
 * whose stdout is data pass stderr); `redis: false` skips Redis for commands that only use Postgres.
 */
export async function prepareServicesOrReport(
  urls: ServiceUrls,
  options: { log?: (line: string) => void; redis?: boolean } = {},
): Promise<boolean> {
  const problems = await prepareServices(urls, options.log ?? ((line) => console.log(line)), {
    ...(options.redis === undefined ? {} : { redis: options.redis }),
  });
  for (const problem of problems) console.error(`error: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
  return problems.length === 0;
}
