import { createApiKey, createPrismaClient, type PrismaClient } from '@switchyard/db';
import { createTestDatabase, type TestDatabase } from '@switchyard/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDate } from '../commands/router.js';
import { findKeyId } from './ledger-queries.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_find_key' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

describe('the keys and dates record and router train take', () => {
  it('finds a key in use by name or id, and refuses an expired one as the API does', async () => {
    const live = await createApiKey(prisma, { name: 'live' });
    const expired = await createApiKey(prisma, { name: 'old', expiresAt: new Date(Date.now() - 60_000) });
    expect(await findKeyId(prisma, 'live')).toBe(live.summary.id);
    expect(await findKeyId(prisma, live.summary.id)).toBe(live.summary.id);
    // record --key used to accept an expired session key.
    await expect(findKeyId(prisma, 'old')).rejects.toThrow(/no API key in use .*"old": it expired/);
    await expect(findKeyId(prisma, expired.summary.id)).rejects.toThrow(/it expired/);
    await expect(findKeyId(prisma, 'nobody')).rejects.toThrow(/no API key in use is named or has id "nobody"/);
  });

  it('takes --since only as a calendar date that exists', () => {
    expect(parseDate('2026-02-28').toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(parseDate('2026-11-01T12:00:00Z').toISOString()).toBe('2026-11-01T12:00:00.000Z');
    // new Date('2026-02-31') is 3 March; it used to be taken as that.
    for (const value of ['2026-02-31', '2026-13-01', '2026-00-10', 'yesterday', '']) {
      expect(() => parseDate(value), value).toThrow(/--since must be a date/);
    }
  });
});
