import { randomBytes } from 'node:crypto';
import { connectClient, ensureDatabase, quoteIdentifier } from '../connection/connect.js';
import { parseDatabaseUrl } from '../connection/database-url.js';
import { runMigrations } from '../migrations/run-migrations.js';
import { defaultMigrationsDirectory } from '../paths.js';

/** The server integration tests use: TEST_DATABASE_URL, else DATABASE_URL, else local defaults. */
export function baseTestDatabaseUrl(): string {
  return (
    process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/switchyard_test'
  );
}

export interface TestDatabase {
  url: string;
  name: string;
  /** Drops the database (terminating leftover connections). */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, uniquely named database on the test server (or `serverUrl`), optionally migrated. Each test file
 * gets its own, so tests never see each other's rows.
 */
export async function createTestDatabase(
  options: { migrate?: boolean; prefix?: string; serverUrl?: string } = {},
): Promise<TestDatabase> {
  const base = new URL(options.serverUrl ?? baseTestDatabaseUrl());
  const name = `${options.prefix ?? 'sy_test'}_${randomBytes(5).toString('hex')}`;
  base.pathname = `/${name}`;
  const url = base.toString();
  const target = parseDatabaseUrl(url);
  await ensureDatabase(target);
  if (options.migrate ?? true)
    await runMigrations({ databaseUrl: url, migrationsDirectory: defaultMigrationsDirectory });
  return {
    url,
    name,
    async drop() {
      const admin = await connectClient(target.maintenanceUrl, target.redacted);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
export { type PrivatePostgres, startPrivatePostgres } from './private-postgres.js';
