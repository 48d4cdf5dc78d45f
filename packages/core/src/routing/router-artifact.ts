import { z } from 'zod';
import type { VerifierRequest } from '../cascade/step.js';
import { CoreError } from '../errors.js';
import { type AgreementCalibration, scoreAgreementCalibration } from '../judges/agreement-calibration.js';
import { createCalibratedRouter } from './calibrated-router.js';
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
  return parsed.data;
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
    // A category the artifact never saw has no statistics; the overall ones apply.
    const known = query.category !== undefined && artifact.stats.byCategory[query.category] !== undefined;
    const { category: _ignored, ...rest } = query;
    return router(known ? query : rest);
  };
}

/** The `scoreVerifier` of the cascade context for plans made from this artifact. */
export function artifactVerifier(artifact: SwitchyardArtifact): (request: VerifierRequest) => number | null {
  return (request) =>
    request.verifierId === artifact.verifierId ? scoreAgreementCalibration(artifact.calibration, request) : null;
}
