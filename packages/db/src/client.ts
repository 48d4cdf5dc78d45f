import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export type { PrismaClient };

/** The system's one way to open Prisma: the pg driver adapter, no native engine. */
export function createPrismaClient(options: { databaseUrl: string; maxConnections?: number }): PrismaClient {
  const adapter = new PrismaPg({ connectionString: options.databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}
