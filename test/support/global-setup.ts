// Only the connection modules: the package index pulls in every repository and their workspace
// dependencies, which the root config's global setup does not resolve through source conditions.
import { connectClient } from '../../packages/db/src/connection/connect.js';
import { DatabaseSetupError, parseDatabaseUrl } from '../../packages/db/src/connection/database-url.js';
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
