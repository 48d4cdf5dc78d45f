import { formatUsd, outputTokenLimit, parseUsd } from '@switchyard/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { beginAttempt } from './ledger.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_ledger_fn' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 4 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

/** A USD amount with up to 12 decimals, from pico-dollars. */
const usd = (max: bigint) => fc.bigInt({ min: 0n, max }).map((pico) => formatUsd(pico));

describe('switchyard_begin_try prices a token call exactly as core’s outputTokenLimit', () => {
  it('gives the same output limit and reservation, or refuses the same calls, over random budgets and prices', async () => {
    await fc.assert(
      fc.asyncProperty(
        usd(50_000_000_000n), // budget up to $0.05
        usd(5_000_000_000n), // input worst case up to $0.005
        usd(80_000_000_000_000n), // output price up to $80 per 1M tokens
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 64 }),
        async (budget, input, outputPrice, maxOutputTokens, minOutputTokens) => {
          const query = await prisma.query.create({ data: { prompt: 'p', maxCostUsd: budget } });
          const result = await beginAttempt(
            prisma,
            { queryId: query.id, stage: 0, role: 'answer', slot: 0 },
            {
              model: 'm',
              provider: 'sim',
              pricing: {
                kind: 'tokens',
                inputWorstCaseUsd: input,
                outputUsdPerMTok: outputPrice,
                maxOutputTokens,
                minOutputTokens,
              },
            },
          );
          const expected = outputTokenLimit({
            remainingPicoUsd: parseUsd(budget),
            inputWorstCasePicoUsd: parseUsd(input),
            outputUsdPerMTok: outputPrice,
            maxOutputTokens,
            minOutputTokens,
          });
          if (!expected.ok) {
            expect(result.kind).toBe('over-budget');
            return;
          }
          expect(result.kind).toBe('proceed');
          if (result.kind !== 'proceed') return;
          expect(result.try.maxOutputTokens).toBe(expected.maxOutputTokens);
          expect(parseUsd(result.try.reservedUsd)).toBe(expected.reservationPicoUsd);
          expect(parseUsd(result.try.reservedUsd)).toBeLessThanOrEqual(parseUsd(budget));
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
