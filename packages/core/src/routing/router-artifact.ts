import { z } from 'zod';
import type { VerifierRequest } from '../cascade/step.js';
import { CoreError } from '../errors.js';
import { type AgreementCalibration, scoreAgreementCalibration } from '../judges/agreement-calibration.js';
import { createCalibratedRouter } from './calibrated-router.js';
import { type CategoryClassifier, classifyCategory } from './category-classifier.js';
import type { CategoryStats } from './category-stats.js';
import type { Router } from './fixed-router.js';

const modelStatsSchema = z.object({
  accuracy: z.number().min(0).max(1),
  costUsd: z.number().nonnegative(),
  count: z.number().int().nonnegative(),
});

/**
 * Everything Switchyard's router learned from recorded data, as one JSON document: the pool, the
 * per-category model statistics (taxonomy stages and thresholds) and the agreement calibration of the
 * verifier judge. `switchyard eval` trains one per fold; `switchyard router train` stores one in
 * `router_artifacts`, where workers load it. The same document gives the same plans and verdicts in
 * both places.
 */
export const switchyardArtifactSchema = z.object({
  version: z.literal(1),
  kind: z.literal('switchyard'),
  /** The pool, cheapest → most expensive. Workers refuse an artifact naming a model they do not have. */
  pool: z.array(z.string().min(1)).min(1),
  perCategory: z.boolean(),
  verifierId: z.string().min(1),
  stats: z.object({
    overall: z.record(z.string(), modelStatsSchema),
    byCategory: z.record(z.string(), z.record(z.string(), modelStatsSchema)),
  }),
  calibration: z.object({
    version: z.literal(1),
    id: z.string().min(1),
    strength: z.number().positive(),
    counts: z.record(z.string(), z.tuple([z.number().nonnegative(), z.number().nonnegative()])),
  }),
  /** Prompt → category, for queries that do not give a category the artifact knows. */
  categoryClassifier: z
    .object({
      version: z.literal(1),
      kind: z.literal('category-classifier'),
      features: z.object({ bits: z.number().int().positive() }).loose(),
      categories: z.array(z.string()).min(1),
      outputs: z.array(
        z.object({ bias: z.number(), indices: z.array(z.number().int()), weights: z.array(z.number()) }),
      ),
      counts: z.record(z.string(), z.number()),
    })
    .optional(),
  /** What it was trained on, for people reading it later. */
  trainedOn: z.object({ file: z.string(), records: z.number().int().nonnegative() }).optional(),
});

export interface SwitchyardArtifact {
  version: 1;
  kind: 'switchyard';
  pool: string[];
  perCategory: boolean;
  verifierId: string;
  stats: CategoryStats;
  calibration: AgreementCalibration;
  categoryClassifier?: CategoryClassifier;
  trainedOn?: { file: string; records: number };
}

/** Validates a stored artifact; the error names the first bad field. */
export function parseSwitchyardArtifact(value: unknown): SwitchyardArtifact {
  const parsed = switchyardArtifactSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CoreError(
      `router artifact: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid document'}`,
    );
  }
  return parsed.data as SwitchyardArtifact;
}

/** The router an artifact defines at one knob position (and optional per-query budget). */
export function createArtifactRouter(
  artifact: SwitchyardArtifact,
  options: { quality: number; maxCostUsd?: number },
): Router {
  const router = createCalibratedRouter({
    pool: artifact.pool,
    perCategory: artifact.perCategory,
    verifierId: artifact.verifierId,
    stats: artifact.stats,
    quality: options.quality,
    ...(options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd }),
  });
  return (query) => {
    const category = artifactCategory(artifact, query);
    const { category: _given, ...rest } = query;
    return router(category === undefined ? rest : { ...rest, category });
  };
}

/**
 * The category a query is routed as: the one it gives when the artifact has statistics for it, else
 * the artifact's classifier's reading of the prompt, else none (the overall statistics apply).
 */
export function artifactCategory(
  artifact: SwitchyardArtifact,
  query: { category?: string; prompt?: string },
): string | undefined {
  if (query.category !== undefined && artifact.stats.byCategory[query.category] !== undefined) return query.category;
  if (artifact.categoryClassifier !== undefined && query.prompt !== undefined) {
    const { category } = classifyCategory(artifact.categoryClassifier, query.prompt);
    if (artifact.stats.byCategory[category] !== undefined) return category;
  }
  return undefined;
}

/** The `scoreVerifier` of the cascade context for plans made from this artifact. */
export function artifactVerifier(artifact: SwitchyardArtifact): (request: VerifierRequest) => number | null {
  return (request) =>
    request.verifierId === artifact.verifierId ? scoreAgreementCalibration(artifact.calibration, request) : null;
}
