import { afterEach, describe, expect, it } from 'vitest';
import { connectClient } from '../connection/connect.js';
import { readMigrations } from '../migrations/read-migrations.js';
import { defaultMigrationsDirectory } from '../paths.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { runMigrations } from './run-migrations.js';

const databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

async function emptyDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase({ migrate: false, prefix: 'sy_mig' });
  databases.push(database);
  return database;
}

async function bookkeeping(url: string) {
  const client = await connectClient(url, 'test');
  try {
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" ORDER BY migration_name',
    );
    return rows;
  } finally {
    await client.end();
  }
}

describe('runMigrations', () => {
  it('applies every migration to an empty database and records it as Prisma does', async () => {
    const database = await emptyDatabase();
    const expected = await readMigrations(defaultMigrationsDirectory);
    expect(expected.length).toBeGreaterThan(0);

    const result = await runMigrations({ databaseUrl: database.url, migrationsDirectory: defaultMigrationsDirectory });

    expect(result.applied).toEqual(expected.map((migration) => migration.name));
    const rows = await bookkeeping(database.url);
    expect(rows.map((row) => [row.migration_name, row.checksum])).toEqual(
      expected.map((migration) => [migration.name, migration.checksum]),
    );
    expect(rows.every((row) => row.finished_at instanceof Date)).toBe(true);
    const client = await connectClient(database.url, 'test');
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    await client.end();
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['queries', 'batches', 'attempts', 'webhook_deliveries', 'api_keys', 'router_artifacts']),
    );
  });

  it('re-applies as a no-op', async () => {
    const database = await emptyDatabase();
    await runMigrations({ databaseUrl: database.url, migrationsDirectory: defaultMigrationsDirectory });
    const before = await bookkeeping(database.url);

    const again = await runMigrations({ databaseUrl: database.url, migrationsDirectory: defaultMigrationsDirectory });

    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toEqual(before.map((row) => row.migration_name));
    expect(await bookkeeping(database.url)).toEqual(before);
  });

  it('serialises two concurrent runs: each migration applied exactly once', async () => {
    const database = await emptyDatabase();
    const runs = await Promise.all(
      [0, 1, 2].map(() =>
        runMigrations({ databaseUrl: database.url, migrationsDirectory: defaultMigrationsDirectory }),
      ),
    );
    const expected = (await readMigrations(defaultMigrationsDirectory)).map((migration) => migration.name);
    const appliedByAll = runs.flatMap((run) => run.applied).sort();
    expect(appliedByAll).toEqual(expected);
    expect((await bookkeeping(database.url)).map((row) => row.migration_name)).toEqual(expected);
  });

  it('refuses a migration edited after it was applied', async () => {
    const database = await emptyDatabase();
    await runMigrations({ databaseUrl: database.url, migrationsDirectory: defaultMigrationsDirectory });
    const client = await connectClient(database.url, 'test');
    await client.query(`UPDATE "_prisma_migrations" SET checksum = 'tampered'`);
    await client.end();

    await expect(
      runMigrations({ databaseUrl: database.url, migrationsDirectory: defaultMigrationsDirectory }),
    ).rejects.toThrow(/edited after it was applied/);
  });
});

describe('pnpm db:migrate', () => {
  it('two processes migrating one new database at once both succeed and apply each migration once', async () => {
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const database = await emptyDatabase();
    const root = path.resolve(defaultMigrationsDirectory, '..', '..');
    const runOnce = () =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(
          path.join(root, 'node_modules', '.bin', 'tsx'),
          ['--conditions=@switchyard/source', 'packages/db/src/bin/migrate.ts'],
          { cwd: root, env: { ...process.env, DATABASE_URL: database.url } },
        );
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', (code) => resolve({ code, output }));
      });
    const results = await Promise.all([runOnce(), runOnce()]);
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    const expected = (await readMigrations(defaultMigrationsDirectory)).map((migration) => migration.name);
    expect((await bookkeeping(database.url)).map((row) => row.migration_name)).toEqual(expected);
    // Two tsx processes start here: on a loaded 2-core machine that alone can take 5 s.
  }, 30_000);
});
