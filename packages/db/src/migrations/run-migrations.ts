import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { connectClient } from '../connection/connect.js';
import { DatabaseSetupError, parseDatabaseUrl } from '../connection/database-url.js';
import { type MigrationFile, readMigrations } from './read-migrations.js';

/** The advisory lock key `prisma migrate` itself takes, so our runner and Prisma's exclude each other. */
const MIGRATION_LOCK_KEY = 72_707_369;

/** Prisma's bookkeeping table, created the way `prisma migrate deploy` creates it. */
const CREATE_BOOKKEEPING_SQL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationRunResult {
  applied: string[];
  alreadyApplied: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}

/**
 * Applies every migration in `migrationsDirectory` not yet recorded in `_prisma_migrations`, each in
 * its own transaction, and records it as Prisma does. Running it twice is a no-op; two processes at
 * once serialise on Prisma's advisory lock, and the second finds everything applied.
 */
export async function runMigrations(options: {
  databaseUrl: string;
  migrationsDirectory: string;
  connectTimeoutMs?: number;
}): Promise<MigrationRunResult> {
  const target = parseDatabaseUrl(options.databaseUrl);
  const migrations = await readMigrations(options.migrationsDirectory);
  const client = await connectClient(target.url, target.redacted, options.connectTimeoutMs);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(CREATE_BOOKKEEPING_SQL);
      return await applyPending(client, migrations);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function applyPending(client: pg.Client, migrations: MigrationFile[]): Promise<MigrationRunResult> {
  const { rows } = await client.query<AppliedRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at, logs FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
  );
  const recorded = new Map(rows.map((row) => [row.migration_name, row]));
  const result: MigrationRunResult = { applied: [], alreadyApplied: [] };
  for (const migration of migrations) {
    const row = recorded.get(migration.name);
    if (row) {
      if (row.finished_at === null) {
        throw new DatabaseSetupError(
          `migration ${migration.name} is recorded as started but never finished${row.logs ? `: ${row.logs}` : ''}`,
          'fix the database by hand, then mark the row in _prisma_migrations rolled back (rolled_back_at = now())',
        );
      }
      if (row.checksum !== migration.checksum) {
        throw new DatabaseSetupError(
          `migration ${migration.name} was edited after it was applied (checksum differs)`,
          'restore the original migration.sql and put the change in a new migration',
        );
      }
      result.alreadyApplied.push(migration.name);
      continue;
    }
    await applyOne(client, migration);
    result.applied.push(migration.name);
  }
  return result;
}

async function applyOne(client: pg.Client, migration: MigrationFile): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [
      id,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw new DatabaseSetupError(
      `migration ${migration.name} failed and was rolled back: ${(error as Error).message}`,
      `fix prisma/migrations/${migration.name}/migration.sql (nothing of it was applied)`,
      { cause: error },
    );
  }
}
