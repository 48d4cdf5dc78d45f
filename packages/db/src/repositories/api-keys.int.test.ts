import { hashApiKey } from '@switchyard/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import {
  ApiKeyError,
  authenticateApiKey,
  createApiKey,
  listApiKeys,
  remainingKeyBudgetUsd,
  revokeApiKey,
} from './api-keys.js';
import { beginAttempt, settleAttempt } from './ledger.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_keys' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 12 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

describe('API keys', () => {
  it('stores only the hash and the prefix, and authenticates the key in clear', async () => {
    const { key, summary } = await createApiKey(prisma, { name: 'team-a', rpm: 60, monthlyBudgetUsd: '12.5' });
    expect(key).toMatch(/^sy_/);
    const row = await prisma.apiKey.findUniqueOrThrow({ where: { id: summary.id } });
    expect(row.hash).toBe(hashApiKey(key));
    expect(JSON.stringify(row)).not.toContain(key.slice(11));
    expect(row.prefix).toBe(key.slice(0, 11));
    expect(await authenticateApiKey(prisma, key)).toEqual({
      kind: 'ok',
      principal: { apiKeyId: summary.id, name: 'team-a', rpm: 60, monthlyBudgetUsd: '12.5' },
    });
    // Same prefix, different secret: unknown.
    const forged = `${key.slice(0, 11)}${'A'.repeat(key.length - 11)}`;
    expect(await authenticateApiKey(prisma, forged)).toEqual({ kind: 'unknown' });
    expect(await authenticateApiKey(prisma, 'sy_short')).toEqual({ kind: 'unknown' });
  });

  it('refuses a second key in use with the same name, and allows it once the first is revoked', async () => {
    const first = await createApiKey(prisma, { name: 'dup' });
    await expect(createApiKey(prisma, { name: 'dup' })).rejects.toThrow(ApiKeyError);
    await expect(createApiKey(prisma, { name: '  ' })).rejects.toThrow(/1 to 100/);
    const revoked = await revokeApiKey(prisma, 'dup');
    expect(revoked.id).toBe(first.summary.id);
    expect(await authenticateApiKey(prisma, first.key)).toEqual({ kind: 'revoked' });
    await expect(revokeApiKey(prisma, first.summary.id)).rejects.toThrow(/already revoked/);
    await expect(revokeApiKey(prisma, 'no-such-key')).rejects.toThrow(/no key in use/);
    const second = await createApiKey(prisma, { name: 'dup' });
    expect(await authenticateApiKey(prisma, second.key)).toMatchObject({ kind: 'ok' });
  });

  it('expires session keys', async () => {
    const { key } = await createApiKey(prisma, { name: 'session', expiresAt: new Date(Date.now() - 1000) });
    expect(await authenticateApiKey(prisma, key)).toEqual({ kind: 'expired' });
  });

  it('never lets concurrent calls of one key reserve past its monthly budget, and lists its spend', async () => {
    const { summary } = await createApiKey(prisma, { name: 'budgeted', monthlyBudgetUsd: '0.010' });
    const queries = await Promise.all(
      Array.from({ length: 30 }, () => prisma.query.create({ data: { prompt: 'p', apiKeyId: summary.id } })),
    );
    // 30 calls of 0.001 at once against a 0.010 budget: exactly 10 may proceed.
    const begun = await Promise.all(
      queries.map((query) =>
        beginAttempt(
          prisma,
          { queryId: query.id, stage: 0, role: 'answer', slot: 0 },
          { model: 'm', provider: 'sim', pricing: { kind: 'fixed', worstCaseUsd: '0.001' } },
        ),
      ),
    );
    const proceeded = begun.flatMap((result) => (result.kind === 'proceed' ? [result] : []));
    expect(proceeded).toHaveLength(10);
    const refused = begun.filter((result) => result.kind === 'over-budget');
    expect(refused).toHaveLength(20);
    expect(refused[0]?.attempt).toMatchObject({ errorCode: 'key_budget_exceeded', outcome: 'failed' });
    expect(await remainingKeyBudgetUsd(prisma, summary.id)).toBe('0');

    // Settling below the worst case frees the difference for later calls; spend is what was settled.
    await Promise.all(
      proceeded.map((result) =>
        settleAttempt(prisma, result.attempt.id, {
          outcome: 'succeeded',
          try: { id: result.try.id, chargedUsd: '0.0004', basis: 'usage' },
        }),
      ),
    );
    expect(await remainingKeyBudgetUsd(prisma, summary.id)).toBe('0.006');
    const listed = (await listApiKeys(prisma)).find((key) => key.id === summary.id);
    expect(listed).toMatchObject({ spentThisMonthUsd: '0.004', monthlyBudgetUsd: '0.01' });
  });

  it('has no budget row or lock for keys without a budget', async () => {
    const { summary } = await createApiKey(prisma, { name: 'unbudgeted' });
    const query = await prisma.query.create({ data: { prompt: 'p', apiKeyId: summary.id } });
    const begun = await beginAttempt(
      prisma,
      { queryId: query.id, stage: 0, role: 'answer', slot: 0 },
      { model: 'm', provider: 'sim', pricing: { kind: 'fixed', worstCaseUsd: '5' } },
    );
    expect(begun.kind).toBe('proceed');
    const row = await prisma.attempt.findUniqueOrThrow({ where: { id: begun.attempt.id } });
    expect(row.keyBudgetMonth).toBeNull();
    expect(await remainingKeyBudgetUsd(prisma, summary.id)).toBeNull();
    expect(await prisma.apiKeyUsage.count({ where: { apiKeyId: summary.id } })).toBe(0);
  });

  it('authenticates many requests at once in one lookup, each with its own answer', async () => {
    const live = await createApiKey(prisma, { name: 'batch-live', monthlyBudgetUsd: '3' });
    const other = await createApiKey(prisma, { name: 'batch-other' });
    const revoked = await createApiKey(prisma, { name: 'batch-revoked' });
    await revokeApiKey(prisma, revoked.summary.id);
    // Same prefix as the live key, wrong secret: must not pass for it.
    const forged = `${live.key.slice(0, 11)}${'x'.repeat(live.key.length - 11)}`;
    const results = await Promise.all(
      [live.key, other.key, revoked.key, forged, 'not a key', live.key].map((token) =>
        authenticateApiKey(prisma, token),
      ),
    );
    expect(results.map((result) => (result.kind === 'ok' ? result.principal.name : result.kind))).toEqual([
      'batch-live',
      'batch-other',
      'revoked',
      'unknown',
      'unknown',
      'batch-live',
    ]);
    const remaining = await Promise.all(
      [live.summary.id, other.summary.id, 'nope'].map((id) => remainingKeyBudgetUsd(prisma, id)),
    );
    expect(remaining).toEqual(['3', null, null]);
  });
  it('refuses control characters and id-shaped names at creation, storing nothing', async () => {
    const before = await prisma.apiKey.count();
    await expect(createApiKey(prisma, { name: 'spoof\nname  id' })).rejects.toThrow(/U\+000A/);
    await expect(createApiKey(prisma, { name: '\u001b[2Jwipe' })).rejects.toThrow(/U\+001B/);
    await expect(createApiKey(prisma, { name: '0b4f6e0e-0000-4000-8000-000000000000' })).rejects.toThrow(
      /must not look like a key id/,
    );
    expect(await prisma.apiKey.count()).toBe(before);
  });

  it('revokes by id or by name unambiguously when an older key is named like another key’s id', async () => {
    const target = await createApiKey(prisma, { name: 'target' });
    // A key stored before id-shaped names were refused: its name is the other key's id.
    const legacy = await prisma.apiKey.create({
      data: { name: target.summary.id, prefix: 'sy_legacy00', hash: `legacy-${target.summary.id}` },
    });
    await expect(revokeApiKey(prisma, target.summary.id)).rejects.toThrow(/both the id of key "target" and the name/);
    expect(await authenticateApiKey(prisma, target.key)).toMatchObject({ kind: 'ok' });
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: legacy.id } })).revokedAt).toBeNull();

    const byName = await revokeApiKey(prisma, target.summary.id, { by: 'name' });
    expect(byName.id).toBe(legacy.id);
    expect(await authenticateApiKey(prisma, target.key)).toMatchObject({ kind: 'ok' });

    const byId = await revokeApiKey(prisma, target.summary.id, { by: 'id' });
    expect(byId.id).toBe(target.summary.id);
    expect(await authenticateApiKey(prisma, target.key)).toEqual({ kind: 'revoked' });
  });

  it('reads a UUID as an id when no key in use has it as its name, and checks the shape with by: id', async () => {
    const { key, summary } = await createApiKey(prisma, { name: 'plain' });
    await expect(revokeApiKey(prisma, 'plain', { by: 'id' })).rejects.toThrow(/is not a key id/);
    await expect(revokeApiKey(prisma, summary.id, { by: 'name' })).rejects.toThrow(/no key in use has the name/);
    await expect(revokeApiKey(prisma, '00000000-0000-4000-8000-000000000000')).rejects.toThrow(
      /no key in use has the id or name/,
    );
    expect((await revokeApiKey(prisma, summary.id)).id).toBe(summary.id);
    expect(await authenticateApiKey(prisma, key)).toEqual({ kind: 'revoked' });
  });
});
