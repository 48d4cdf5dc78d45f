import {
  type Aggregation,
  type AnswerType,
  artifactAnswerType,
  artifactVerifier,
  createArtifactRouter,
  createFixedRouter,
  inferAnswerType,
  type JudgeTask,
  judgeTaskSchema,
  type KnobRequest,
  knobRequestSchema,
  type Plan,
  parseRouterArtifact,
  type QualityPreset,
  type RouterArtifact,
  type VerifierRequest,
} from '@switchyard/core';
import { findActiveRouterArtifact, type PrismaClient } from '@switchyard/db';
import type { RoutableQuery } from '@switchyard/queues';

/**
 * The `router_artifacts.kind` of the routers workers route with (see `switchyard router train`). Every
 * trained router kind (the document's own `kind`: switchyard, taxonomy, learned) is stored under it, so
 * one of them is the active default.
 */
export const ROUTER_ARTIFACT_KIND = 'switchyard';

export interface StoredArtifact {
  id: string;
  version: number;
  artifact: RouterArtifact;
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
      return { id: row.id, version: row.version, artifact: parseRouterArtifact(row.data) };
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
 * cascade when none is active. The knob is the query's `quality` (a number in [0,1] or a preset name:
 * economy, balanced, max, match) or `targetCostUsd` (trained routers only), else the worker's default
 * (`SWITCHYARD_QUALITY`). The answer type (how answers are extracted and compared) is inferred as
 * `switchyard eval` infers it: `metadata.answerType` if valid, else the artifact's classifier, else a
 * rule of thumb; the category is `metadata.category` when the artifact knows it, else classified.
 * Throws (failing the query with the message) for a bad knob request.
 */
export function createPlanQuery(options: {
  pool: readonly string[];
  /** The LLM judge panel (registry models with the `judge` role) the fixed cascade uses for open-ended queries. */
  judgePanel?: readonly string[];
  /** How the fixed cascade aggregates the panel's verdicts (default `min`). */
  judgeAggregation?: Aggregation;
  defaultQuality: number | QualityPreset;
  artifacts: ArtifactSource;
}) {
  const { pool, defaultQuality, artifacts } = options;
  return async (query: RoutableQuery): Promise<Plan> => {
    const metadata = query.options.metadata ?? {};
    const category = typeof metadata.category === 'string' ? metadata.category : undefined;
    if (query.options.pinnedModel !== undefined) {
      return pinnedPlan(query.options.pinnedModel, pool, inferAnswerType(query.prompt, { metadata }), query.maxCostUsd);
    }
    if (query.options.record !== undefined) {
      const judgeTask = judgeTaskSchema.safeParse(metadata.judgeTask);
      return recordPlan({
        pool,
        judgePanel: options.judgePanel ?? [],
        answerType: inferAnswerType(query.prompt, { metadata }),
        ...(category === undefined ? {} : { category }),
        ...(judgeTask.success ? { judgeTask: judgeTask.data } : {}),
        judged: query.options.record.reference === null,
        maxCostUsd: query.maxCostUsd,
      });
    }
    // `model: "switchyard/<preset>"` stores the preset beside the knob: it is a quality preset.
    const knob = knobOf(
      query.options.preset !== undefined && query.options.quality === undefined
        ? { ...query.options, quality: query.options.preset }
        : query.options,
      defaultQuality,
    );
    const maxCostUsd = query.maxCostUsd === null ? undefined : Number(query.maxCostUsd);
    const requested = query.options.router;
    let stored: StoredArtifact | null = null;
    if (requested !== undefined && requested !== 'fixed') {
      stored = await artifacts.byId(requested);
      if (stored === null) throw new Error(`router artifact ${requested} does not exist`);
    } else if (requested === undefined) {
      stored = await artifacts.active();
    }
    const answerType =
      stored === null
        ? inferAnswerType(query.prompt, { metadata })
        : artifactAnswerType(stored.artifact, query.prompt, metadata);
    const routingQuery = { answerType, prompt: query.prompt, ...(category === undefined ? {} : { category }) };
    if (stored === null) {
      const router = createFixedRouter({
        models: pool,
        knob,
        ...(options.judgePanel && options.judgePanel.length > 0 ? { judgePanel: options.judgePanel } : {}),
        ...(options.judgeAggregation === undefined ? {} : { judgeAggregation: options.judgeAggregation }),
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
      knob,
      ...(maxCostUsd === undefined ? {} : { maxCostUsd }),
    })(routingQuery);
    return { ...plan, artifactId: stored.id };
  };
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

/**
 * A recording query's plan (`switchyard record`): every pool model, cheapest first, one stage each, and
 * no stage accepted (`record`), so each model answers once. `judged` (no reference answer to grade by)
 * adds the LLM judge panel, which then gives its verdict on every answer; without a panel such a query
 * cannot be labelled and fails.
 */
export function recordPlan(options: {
  pool: readonly string[];
  judgePanel: readonly string[];
  answerType: AnswerType;
  category?: string;
  judgeTask?: JudgeTask;
  judged: boolean;
  maxCostUsd: string | null;
}): Plan {
  if (options.judged && options.judgePanel.length === 0) {
    throw new Error(
      'a prompt without a reference answer is labelled by the LLM judge panel, and this pool has no judge models (give models "roles": ["judge"] in SWITCHYARD_MODELS, or give the prompt a reference)',
    );
  }
  return {
    version: 1,
    router: 'record',
    answerType: options.answerType,
    ...(options.category === undefined ? {} : { category: options.category }),
    ...(options.judgeTask === undefined ? {} : { judgeTask: options.judgeTask }),
    stages: options.pool.map((model) => ({ model })),
    judges: options.judged ? [{ kind: 'llm', models: [...options.judgePanel] }] : [],
    acceptThreshold: 1,
    ...(options.maxCostUsd === null ? {} : { maxCostUsd: Number(options.maxCostUsd) }),
    setting: options.judged ? 'record: every pool model, judged by the LLM panel' : 'record: every pool model',
    record: true,
  };
}

/** The query's knob request: its `quality` or `targetCostUsd`, else the default quality. */
function knobOf(
  options: { quality?: unknown; targetCostUsd?: unknown },
  defaultQuality: number | QualityPreset,
): KnobRequest {
  const given = {
    ...(options.quality === undefined ? {} : { quality: options.quality }),
    ...(options.targetCostUsd === undefined ? {} : { targetCostUsd: options.targetCostUsd }),
  };
  const parsed = knobRequestSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `invalid knob: ${issue?.path.join('.') || 'quality'}: ${issue?.message ?? 'invalid'} (quality: a number in [0,1] or economy|balanced|max|match; targetCostUsd: a positive number)`,
    );
  }
  const request = parsed.data as KnobRequest;
  if (request.quality === undefined && request.targetCostUsd === undefined) return { quality: defaultQuality };
  return request;
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
