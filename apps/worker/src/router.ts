import {
  type AnswerType,
  answerTypeSchema,
  artifactVerifier,
  createArtifactRouter,
  createFixedRouter,
  judgeTaskSchema,
  type Plan,
  parseSwitchyardArtifact,
  type SwitchyardArtifact,
  type VerifierRequest,
} from '@switchyard/core';
import { findActiveRouterArtifact, type PrismaClient } from '@switchyard/db';
import type { RoutableQuery } from '@switchyard/queues';

/** The artifact kind workers route with (see `switchyard router train`). */
export const ROUTER_ARTIFACT_KIND = 'switchyard';

export interface StoredArtifact {
  id: string;
  version: number;
  artifact: SwitchyardArtifact;
}

/** Where the worker reads trained routers from. */
export interface ArtifactSource {
  byId(id: string): Promise<StoredArtifact | null>;
  /** The active artifact (the default router), or null for the fixed router. */
  active(): Promise<StoredArtifact | null>;
}

/**
 * Reads router artifacts from Postgres. Artifacts are immutable, so one read by id is cached for the
 * process's life; which one is active is re-read at most every `activeTtlMs`.
 */
export function createArtifactSource(prisma: PrismaClient, options: { activeTtlMs?: number } = {}): ArtifactSource {
  const byId = new Map<string, Promise<StoredArtifact | null>>();
  let active: { at: number; value: Promise<StoredArtifact | null> } | undefined;
  const ttl = options.activeTtlMs ?? 5_000;
  const toStored = (row: { id: string; version: number; data: unknown; kind: string }): StoredArtifact => {
    try {
      return { id: row.id, version: row.version, artifact: parseSwitchyardArtifact(row.data) };
    } catch (error) {
      throw new Error(
        `router artifact ${row.id} (${row.kind} v${row.version}) is invalid: ${(error as Error).message}`,
      );
    }
  };
  return {
    byId(id) {
      let cached = byId.get(id);
      if (cached === undefined) {
        cached = (
          /^[0-9a-f-]{36}$/i.test(id) ? prisma.routerArtifact.findUnique({ where: { id } }) : Promise.resolve(null)
        ).then((row) => (row === null || row.kind !== ROUTER_ARTIFACT_KIND ? null : toStored(row)));
        // A miss or a failed read is not cached: the artifact may be stored a moment later.
        cached.then(
          (value) => value === null && byId.delete(id),
          () => byId.delete(id),
        );
        byId.set(id, cached);
      }
      return cached;
    },
    active() {
      const now = Date.now();
      if (active === undefined || now - active.at >= ttl) {
        const value = findActiveRouterArtifact(prisma, ROUTER_ARTIFACT_KIND).then((row) =>
          row === null ? null : toStored(row),
        );
        value.catch(() => {
          active = undefined;
        });
        active = { at: now, value };
      }
      return active.value;
    },
  };
}

/**
 * The workers' router. A query that names a stored artifact (`router: <id>`) is routed by it; "fixed"
 * asks for the fixed cheap→expensive cascade; otherwise the active artifact routes it, or the fixed
 * cascade when none is active. The answer type (how answers are extracted and compared) comes from
 * `metadata.answerType`, the category from `metadata.category` when the artifact knows it.
 */
export function createPlanQuery(options: {
  pool: readonly string[];
  /** The LLM judge panel (registry models with the `judge` role) the fixed cascade uses for open-ended queries. */
  judgePanel?: readonly string[];
  defaultQuality: number;
  artifacts: ArtifactSource;
}) {
  const { pool, defaultQuality, artifacts } = options;
  return async (query: RoutableQuery): Promise<Plan> => {
    const metadata = query.options.metadata ?? {};
    const answerType = parseAnswerType(metadata.answerType);
    const category = typeof metadata.category === 'string' ? metadata.category : undefined;
    if (query.options.pinnedModel !== undefined)
      return pinnedPlan(query.options.pinnedModel, pool, answerType, query.maxCostUsd);
    const quality = query.options.quality ?? presetQuality(query.options.preset) ?? defaultQuality;
    const maxCostUsd = query.maxCostUsd === null ? undefined : Number(query.maxCostUsd);
    const requested = query.options.router;
    let stored: StoredArtifact | null = null;
    if (requested !== undefined && requested !== 'fixed') {
      stored = await artifacts.byId(requested);
      if (stored === null) throw new Error(`router artifact ${requested} does not exist`);
    } else if (requested === undefined) {
      stored = await artifacts.active();
    }
    const routingQuery = { answerType, prompt: query.prompt, ...(category === undefined ? {} : { category }) };
    if (stored === null) {
      const router = createFixedRouter({
        models: pool,
        quality,
        ...(options.judgePanel && options.judgePanel.length > 0 ? { judgePanel: options.judgePanel } : {}),
        ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
      });
      const judgeTask = judgeTaskSchema.safeParse(metadata.judgeTask);
      return { ...router(routingQuery), ...(judgeTask.success ? { judgeTask: judgeTask.data } : {}) };
    }
    const missing = stored.artifact.pool.filter((model) => !pool.includes(model));
    if (missing.length > 0) {
      throw new Error(
        `router artifact ${stored.id} (v${stored.version}) uses models this worker is not configured with: ${missing.join(', ')}`,
      );
    }
    const plan = createArtifactRouter(stored.artifact, {
      quality,
      ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
    })(routingQuery);
    return { ...plan, artifactId: stored.id };
  };
}

/**
 * The knob value of a preset (`model: "switchyard/<preset>"`). A temporary table until the trained
 * knob calibration (issue 12) replaces this one function; undefined = no preset, use the default.
 */
export function presetQuality(preset: string | undefined): number | undefined {
  switch (preset) {
    case undefined:
      return undefined;
    case 'economy':
      return 0.25;
    case 'balanced':
      return 0.5;
    case 'match':
      return 0.75;
    case 'max':
      return 1;
    default:
      throw new Error(`unknown knob preset ${JSON.stringify(preset)}`);
  }
}

/** Raised for a pinned model the pool does not have; the query fails with `model_not_found`. */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  readonly code = 'model_not_found';
}

/**
 * A concrete pool model asked for by id: one stage with that model, no judges, accepted as answered
 * (router "pinned"). Checked here because only workers know the pool.
 */
export function pinnedPlan(
  model: string,
  pool: readonly string[],
  answerType: AnswerType,
  maxCostUsd: string | null,
): Plan {
  if (!pool.includes(model)) {
    throw new UnknownModelError(
      `model ${JSON.stringify(model)} is not in this deployment's pool (${pool.join(', ')}); use "switchyard", "switchyard/<preset>" or one of those`,
    );
  }
  return {
    version: 1,
    router: 'pinned',
    answerType,
    stages: [{ model }],
    judges: [],
    acceptThreshold: 0,
    ...(maxCostUsd === null ? {} : { maxCostUsd: Number(maxCostUsd) }),
    setting: `pinned=${model}`,
  };
}

/** The trained verifier of a plan made from an artifact; undefined for other plans. */
export function createVerifierFor(artifacts: ArtifactSource, logger: { warn(object: object, message?: string): void }) {
  return async (plan: Plan): Promise<((request: VerifierRequest) => number | null) | undefined> => {
    if (plan.artifactId === undefined) return undefined;
    const stored = await artifacts.byId(plan.artifactId);
    if (stored === null) {
      logger.warn({ artifactId: plan.artifactId }, 'router artifact of a plan is gone: its verifier judges abstain');
      return undefined;
    }
    return artifactVerifier(stored.artifact);
  };
}

function parseAnswerType(value: unknown): AnswerType {
  const parsed = answerTypeSchema.safeParse(value);
  return parsed.success ? parsed.data : 'literal';
}
