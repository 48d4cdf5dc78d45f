import { redactUrl } from './redact-url.js';

/** Base error of the db package; `name` is stable for callers that switch on it. */
export class DatabaseSetupError extends Error {
  override readonly name = 'DatabaseSetupError';
  constructor(
    message: string,
    /** One line telling the operator what to do about it. */
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A parsed Postgres URL: the target database, and the same server's maintenance database. */
export interface DatabaseTarget {
  url: string;
  databaseName: string;
  /** URL of the `postgres` database on the same server, used to create the target. */
  maintenanceUrl: string;
  redacted: string;
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new DatabaseSetupError(
      `DATABASE_URL is not a valid URL: ${redactUrl(url)}`,
      'set DATABASE_URL=postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE, with / ? # @ : % in the password percent-encoded',
      { cause: error },
    );
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new DatabaseSetupError(
      `DATABASE_URL must start with postgresql://, got ${parsed.protocol}//… (${redactUrl(url)})`,
      'set DATABASE_URL=postgresql://USER[:PASSWORD]@HOST:PORT/DATABASE',
    );
  }
  const databaseName = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!databaseName) {
    throw new DatabaseSetupError(
      `DATABASE_URL names no database: ${redactUrl(url)}`,
      'add the database name to the path, e.g. postgresql://postgres@127.0.0.1:5432/switchyard',
    );
  }
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  return { url, databaseName, maintenanceUrl: maintenance.toString(), redacted: redactUrl(url) };
}
