import { randomBytes } from 'node:crypto';
import { connectClient, parseDatabaseUrl, quoteIdentifier } from '@switchyard/db';
import { baseTestDatabaseUrl, createTestDatabase } from '@switchyard/db/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { prepareServices, prepareServicesOrReport } from './prepare-services.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const server = parseDatabaseUrl(baseTestDatabaseUrl());
const cleanups: (() => Promise<void>)[] = [];

/** A URL on the test server naming a database that does not exist (dropped after the test if made). */
function missingDatabaseUrl(): { url: string; name: string } {
  const name = `sy_prep_missing_${randomBytes(5).toString('hex')}`;
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  cleanups.push(async () => {
    const admin = await connectClient(server.maintenanceUrl, server.redacted);
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
  return { url: url.toString(), name };
}

async function databaseExists(name: string): Promise<boolean> {
  const admin = await connectClient(server.maintenanceUrl, server.redacted);
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await admin.end();
  }
}

afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('prepareServices', () => {
  it('with createDatabase: false, reports a missing database with what to run, and does not create it', async () => {
    const { url, name } = missingDatabaseUrl();
    const lines: string[] = [];
    const problems = await prepareServices({ databaseUrl: url, redisUrl }, (line) => lines.push(line), {
      redis: false,
      createDatabase: false,
    });
    expect(problems).toEqual([
      `database "${name}" does not exist on ${parseDatabaseUrl(url).redacted}. To fix: check DATABASE_URL, or create it with \`pnpm services\` (or \`pnpm demo\`)`,
    ]);
    expect(lines).toEqual([]);
    expect(await databaseExists(name)).toBe(false);
  });

  it('with createDatabase: false, still migrates a database that exists', async () => {
    const database = await createTestDatabase({ prefix: 'sy_prep', migrate: false });
    cleanups.push(() => database.drop());
    const lines: string[] = [];
    const problems = await prepareServices({ databaseUrl: database.url, redisUrl }, (line) => lines.push(line), {
      redis: false,
      createDatabase: false,
    });
    expect(problems).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/: [1-9]\d* migration\(s\) applied, 0 up to date$/);
  });

  it('by default creates and migrates a missing database (setup, demo, start)', async () => {
    const { url, name } = missingDatabaseUrl();
    const lines: string[] = [];
    expect(await prepareServices({ databaseUrl: url, redisUrl }, (line) => lines.push(line), { redis: false })).toEqual(
      [],
    );
    expect(lines[0]).toMatch(/database created, [1-9]\d* migration\(s\) applied/);
    expect(await databaseExists(name)).toBe(true);
  });
});

describe('prepareServicesOrReport', () => {
  it('prints the postgres progress line on stderr, never into the command’s stdout', async () => {
    const database = await createTestDatabase({ prefix: 'sy_prep' });
    cleanups.push(() => database.drop());
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const consoleLog = vi.spyOn(console, 'log').mockImplementation(() => {});
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await prepareServicesOrReport({ databaseUrl: database.url, redisUrl }, { redis: false })).toBe(true);
    expect(stdout).not.toHaveBeenCalled();
    expect(consoleLog).not.toHaveBeenCalled();
    expect(stderr.mock.calls.map(([chunk]) => String(chunk))).toEqual([
      expect.stringMatching(/^postgres .*: 0 migration\(s\) applied, \d+ up to date\n$/),
    ]);
  });

  it('with createDatabase: false, prints the problem, sets exit code 1 and returns false', async () => {
    const { url, name } = missingDatabaseUrl();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await prepareServicesOrReport({ databaseUrl: url, redisUrl }, { redis: false, createDatabase: false })).toBe(
      false,
    );
    expect(process.exitCode).toBe(1);
    expect(consoleError).toHaveBeenCalledWith(
      expect.stringMatching(new RegExp(`^error: database "${name}" does not exist`)),
    );
    expect(await databaseExists(name)).toBe(false);
  });
});
