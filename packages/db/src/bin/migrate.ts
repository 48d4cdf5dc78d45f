/**
 * `pnpm db:migrate`: creates the database named by DATABASE_URL if missing and applies
 * prisma/migrations. Exits non-zero with one line naming the problem and what to do.
 */
import { ensureDatabase } from '../connection/connect.js';
import { DatabaseSetupError, parseDatabaseUrl } from '../connection/database-url.js';
import { runMigrations } from '../migrations/run-migrations.js';
import { defaultMigrationsDirectory } from '../paths.js';

const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/switchyard';

try {
  const target = parseDatabaseUrl(databaseUrl);
  const created = await ensureDatabase(target);
  const result = await runMigrations({ databaseUrl, migrationsDirectory: defaultMigrationsDirectory });
  console.log(
    `${target.redacted}: ${created ? 'created; ' : ''}${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied`,
  );
} catch (error) {
  if (error instanceof DatabaseSetupError) {
    console.error(`error: ${error.message}. To fix: ${error.hint}`);
    process.exit(1);
  }
  throw error;
}
