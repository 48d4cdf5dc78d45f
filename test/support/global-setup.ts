import { connectClient, DatabaseSetupError, parseDatabaseUrl } from '../../packages/db/src/index.js';
import { baseTestDatabaseUrl } from '../../packages/db/src/testing/index.js';

/**
 * Fails the run at once, with the fix, when the test Postgres is down, instead of every
 * integration test timing out on its own.
 */
export default async function globalSetup(): Promise<void> {
  const url = baseTestDatabaseUrl();
  const target = parseDatabaseUrl(url);
  try {
    const client = await connectClient(target.maintenanceUrl, target.redacted);
    await client.end();
  } catch (error) {
    if (error instanceof DatabaseSetupError) throw new Error(`${error.message}. To fix: ${error.hint}`);
    throw error;
  }
}
