import pg from 'pg';
import { DatabaseSetupError, type DatabaseTarget } from './database-url.js';

/** How long to wait for a Postgres server before saying it is not there. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

const START_HINT =
  'start PostgreSQL: `docker compose up -d postgres` (from the repository root), or on a Debian machine ' +
  '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`; or point DATABASE_URL at a running server';

/** Opens one pg client, turning the ways a server can be missing into a one-line DatabaseSetupError. */
export async function connectClient(
  url: string,
  redacted: string,
  connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  // Errors after connect (server restart) must not crash the process as unhandled 'error' events.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw describeConnectError(error, redacted);
  }
}

function describeConnectError(error: unknown, redacted: string): DatabaseSetupError {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
      return new DatabaseSetupError(`PostgreSQL is not answering at ${redacted} (${code})`, START_HINT, {
        cause: error,
      });
    case '28P01':
    case '28000':
      return new DatabaseSetupError(
        `PostgreSQL at ${redacted} refused the credentials (${message})`,
        'fix the user or password in DATABASE_URL',
        { cause: error },
      );
    default:
      if (/timeout/i.test(message)) {
        return new DatabaseSetupError(`PostgreSQL is not answering at ${redacted} (timeout)`, START_HINT, {
          cause: error,
        });
      }
      return new DatabaseSetupError(`cannot connect to PostgreSQL at ${redacted}: ${message}`, START_HINT, {
        cause: error,
      });
  }
}

/**
 * Creates the target database when it does not exist. Safe to race: a concurrent creator's
 * "already exists" is success.
 */
export async function ensureDatabase(target: DatabaseTarget, connectTimeoutMs?: number): Promise<boolean> {
  try {
    const probe = await connectClient(target.url, target.redacted, connectTimeoutMs);
    await probe.end();
    return false;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code !== '3D000') throw error;
  }
  const admin = await connectClient(target.maintenanceUrl, target.redacted, connectTimeoutMs);
  try {
    await admin.query(`CREATE DATABASE ${quoteIdentifier(target.databaseName)}`);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42P04 duplicate_database; 23505 when two CREATE DATABASE race on pg_database's unique index.
    if (code === '42P04' || code === '23505') return false;
    throw new DatabaseSetupError(
      `cannot create database "${target.databaseName}" on ${target.redacted}: ${(error as Error).message}`,
      'create it yourself (createdb) or give DATABASE_URL a user allowed to create databases',
      { cause: error },
    );
  } finally {
    await admin.end().catch(() => {});
  }
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
