import { randomBytes } from 'node:crypto';
import {
  connectClient,
  createPrismaClient,
  type PrismaClient,
  parseDatabaseUrl,
  quoteIdentifier,
} from '@switchyard/db';
import { baseTestDatabaseUrl, createTestDatabase, type TestDatabase } from '@switchyard/db/testing';
import { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerKeysCommands } from './keys.js';

let database: TestDatabase;
let prisma: PrismaClient;
const savedDatabaseUrl = process.env.DATABASE_URL;
const server = parseDatabaseUrl(baseTestDatabaseUrl());
/** Databases a test expects not to exist, dropped afterwards in case a regression created them. */
const unwanted: string[] = [];

async function withAdmin<T>(run: (admin: Awaited<ReturnType<typeof connectClient>>) => Promise<T>): Promise<T> {
  const admin = await connectClient(server.maintenanceUrl, server.redacted);
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_cli_keys' });
  prisma = createPrismaClient({ databaseUrl: database.url });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});
afterEach(async () => {
  for (const name of unwanted.splice(0))
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`));
  vi.restoreAllMocks();
  process.exitCode = undefined;
  if (savedDatabaseUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = savedDatabaseUrl;
});

/** Runs `switchyard keys …` in this process against `databaseUrl`; what it printed, and its exit code. */
async function runKeys(
  args: string[],
  databaseUrl = database.url,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  process.env.DATABASE_URL = databaseUrl;
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(`${parts.join(' ')}\n`));
  vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void stderr.push(`${parts.join(' ')}\n`));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  const program = new Command().exitOverride();
  registerKeysCommands(program);
  await program.parseAsync(['keys', ...args], { from: 'user' });
  const exitCode = Number(process.exitCode ?? 0);
  vi.restoreAllMocks();
  process.exitCode = undefined;
  return { stdout: stdout.join(''), stderr: stderr.join(''), exitCode };
}

async function databaseExists(name: string): Promise<boolean> {
  const { rowCount } = await withAdmin((admin) => admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]));
  return rowCount === 1;
}

describe('switchyard keys', () => {
  it.each([[['revoke', 'someone']], [['list']], [['create', '--name', 'typo-team']]])(
    'keys %j with a DATABASE_URL naming a missing database says so and creates nothing',
    async (args) => {
      const name = `sy_cli_keys_typo_${randomBytes(5).toString('hex')}`;
      unwanted.push(name);
      const url = new URL(database.url);
      url.pathname = `/${name}`;
      const result = await runKeys(args, url.toString());
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`error: database "${name}" does not exist`);
      expect(result.stderr).toContain('check DATABASE_URL, or create it with `pnpm services` (or `pnpm demo`)');
      expect(await databaseExists(name)).toBe(false);
    },
  );

  it('refuses a name with a newline or an escape sequence, naming the code point without printing it', async () => {
    const result = await runKeys(['create', '--name', 'ok\n\u001b[31mname']);
    expect(result).toMatchObject({ exitCode: 2, stdout: '' });
    expect(result.stderr).toBe(
      'error: a key name must be printable characters only: character 3 is U+000A, which is not\n',
    );
    expect(await prisma.apiKey.count({ where: { name: { contains: 'name' } } })).toBe(0);
  });

  it('lists a name stored before names were checked with its control characters escaped', async () => {
    const legacy = await prisma.apiKey.create({
      data: { name: 'evil\nname  spoofed-row\u001b[2J\u202e', prefix: 'sy_legacy01', hash: 'legacy-list' },
    });
    const table = await runKeys(['list']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout.replaceAll('\n', '')).not.toMatch(/[\p{C}\p{Zl}\p{Zp}]/u);
    expect(table.stdout).toContain('evil\\u000aname  spoofed-row\\u001b[2J\\u202e');
    const rows = await prisma.apiKey.count();
    expect(table.stdout.trimEnd().split('\n')).toHaveLength(rows + 1);

    const json = await runKeys(['list', '--json']);
    expect(json.stdout.replaceAll('\n', '')).not.toMatch(/[\p{C}\p{Zl}\p{Zp}]/u);
    const listed = (JSON.parse(json.stdout) as { id: string; name: string }[]).find((row) => row.id === legacy.id);
    expect(listed?.name).toBe(legacy.name);
    await prisma.apiKey.update({ where: { id: legacy.id }, data: { revokedAt: new Date() } });
  });

  it('refuses an id-shaped name, and revoke says which to use when an older key is named like another’s id', async () => {
    const created = await runKeys(['create', '--name', 'victim']);
    expect(created.exitCode).toBe(0);
    const victim = await prisma.apiKey.findFirstOrThrow({ where: { name: 'victim', revokedAt: null } });

    const refused = await runKeys(['create', '--name', victim.id]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('a name must not look like a key id');

    // As the probe did before the fix: a key whose name is the victim's id.
    const legacy = await prisma.apiKey.create({ data: { name: victim.id, prefix: 'sy_legacy02', hash: 'legacy-id' } });
    const ambiguous = await runKeys(['revoke', victim.id]);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toContain(`keys revoke ${victim.id} --id, or --name`);
    expect(await prisma.apiKey.count({ where: { id: { in: [victim.id, legacy.id] }, revokedAt: { not: null } } })).toBe(
      0,
    );

    expect((await runKeys(['revoke', victim.id, '--name'])).stdout).toBe(`revoked key ${victim.id} (${legacy.id})\n`);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: victim.id } })).revokedAt).toBeNull();
    expect((await runKeys(['revoke', victim.id, '--id'])).stdout).toBe(`revoked key victim (${victim.id})\n`);
  });

  it('refuses a budget the column cannot hold with the maximum, not a database error', async () => {
    const result = await runKeys(['create', '--name', 'huge', '--budget-usd', '100000000']);
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: 'error: --budget-usd must be less than 100000000 USD (at most 99999999.999999999999); got "100000000"\n',
    });
    const largest = await runKeys(['create', '--name', 'largest', '--budget-usd', '99999999.999999999999']);
    expect(largest.exitCode).toBe(0);
    expect(largest.stdout).toMatch(/^sy_\S+\n$/);
  });
});
