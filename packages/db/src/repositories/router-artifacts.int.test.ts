import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../client.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { activateRouterArtifact, findActiveRouterArtifact, saveRouterArtifact } from './router-artifacts.js';

let database: TestDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'sy_artifacts' });
  prisma = createPrismaClient({ databaseUrl: database.url, maxConnections: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await database?.drop();
});

describe('router artifacts', () => {
  it('activates an artifact of the kind asked for, and leaves everything as it was for another kind', async () => {
    const router = await saveRouterArtifact(prisma, { kind: 'router', data: {}, source: 'a', activate: true });
    const other = await saveRouterArtifact(prisma, { kind: 'other', data: {}, source: 'b', activate: false });
    // The CLI's `router activate <id of another kind>` used to activate it, then say "no router has id".
    expect(await activateRouterArtifact(prisma, other.id, { kind: 'router' })).toBeNull();
    expect((await prisma.routerArtifact.findUniqueOrThrow({ where: { id: other.id } })).active).toBe(false);
    expect((await findActiveRouterArtifact(prisma, 'router'))?.id).toBe(router.id);
    // Without a kind, or with its own, it is activated.
    expect((await activateRouterArtifact(prisma, other.id, { kind: 'other' }))?.active).toBe(true);
    expect(await activateRouterArtifact(prisma, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});
