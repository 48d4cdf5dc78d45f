import type { PrismaClient } from '../client.js';
import type { Prisma, RouterArtifact } from '../generated/prisma/client.js';

/** What a caller stores: the artifact document and where it came from. */
export interface NewRouterArtifact {
  kind: string;
  data: Prisma.InputJsonValue;
  metrics?: Prisma.InputJsonValue;
  source?: string;
  /** Make it the one active artifact of its kind (the workers' default router). */
  activate?: boolean;
}

/** Serialises writers of one kind: version numbers and the single active row stay consistent. */
const ARTIFACT_LOCK = 72707370;
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 60_000 };

/**
 * Stores an artifact as the next version of its kind. Artifacts are immutable; activating one
 * deactivates the others of its kind in the same transaction.
 */
export async function saveRouterArtifact(prisma: PrismaClient, artifact: NewRouterArtifact): Promise<RouterArtifact> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ARTIFACT_LOCK})`;
    const latest = await tx.routerArtifact.aggregate({ where: { kind: artifact.kind }, _max: { version: true } });
    if (artifact.activate) {
      await tx.routerArtifact.updateMany({ where: { kind: artifact.kind, active: true }, data: { active: false } });
    }
    return tx.routerArtifact.create({
      data: {
        kind: artifact.kind,
        version: (latest._max.version ?? 0) + 1,
        data: artifact.data,
        ...(artifact.metrics === undefined ? {} : { metrics: artifact.metrics }),
        source: artifact.source ?? null,
        active: artifact.activate === true,
      },
    });
    // An artifact is about a megabyte of JSON: writing it can outlast Prisma's 5 s default.
  }, TRANSACTION_OPTIONS);
}

/**
 * Makes `id` the active artifact of its kind; null (and nothing changed) when no artifact has that id,
 * or, given `kind`, when the artifact is of another kind.
 */
export async function activateRouterArtifact(
  prisma: PrismaClient,
  id: string,
  options: { kind?: string } = {},
): Promise<RouterArtifact | null> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ARTIFACT_LOCK})`;
    const artifact = await tx.routerArtifact.findUnique({ where: { id } });
    if (!artifact || (options.kind !== undefined && artifact.kind !== options.kind)) return null;
    await tx.routerArtifact.updateMany({ where: { kind: artifact.kind, active: true }, data: { active: false } });
    return tx.routerArtifact.update({ where: { id }, data: { active: true } });
  });
}

/** The active artifact of a kind, or null. */
export function findActiveRouterArtifact(prisma: PrismaClient, kind: string): Promise<RouterArtifact | null> {
  return prisma.routerArtifact.findFirst({ where: { kind, active: true } });
}
