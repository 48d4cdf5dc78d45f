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
export async function prepareServices(urls: ServiceUrls, log: (line: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const [redisProblem, databaseProblem] = await Promise.all([checkRedis(urls.redisUrl), preparePostgres(urls, log)]);
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
 * must stop (exit code already set).
 */
export async function prepareServicesOrReport(urls: ServiceUrls): Promise<boolean> {
  const problems = await prepareServices(urls, (line) => console.log(line));
  for (const problem of problems) console.error(`error: ${problem}`);
  if (problems.length > 0) process.exitCode = 1;
  return problems.length === 0;
}
