import { z } from 'zod';
import type { VerifierRequest } from '../cascade/step.js';
import { CoreError } from '../errors.js';
import { type AgreementCalibration, scoreAgreementCalibration } from '../judges/agreement-calibration.js';
import { createCalibratedRouter } from './calibrated-router.js';
import { type CategoryClassifier, classifyCategory } from './category-classifier.js';
import type { CategoryStats } from './category-stats.js';
import type { Router } from './fixed-router.js';
import { createLearnedCascadeRouter, type LearnedCascadeSettings } from './learned-cascade-router.js';
import type { LearnedRouterModel } from './learned-router.js';
import { textFeatureConfigSchema } from './text-features.js';

const modelStatsSchema = z.object({
  accuracy: z.number().min(0).max(1),
  costUsd: z.number().nonnegative(),
  count: z.number().int().nonnegative(),
});

const sparseWeightsSchema = z
  .object({ bias: z.number(), indices: z.array(z.number().int().nonnegative()), weights: z.array(z.number()) })
  .refine((weights) => weights.indices.length === weights.weights.length, { message: 'indices and weights differ' });

/** A `LearnedRouterModel` (see `trainLearnedRouter`) as stored in an artifact. */
export const learnedRouterModelSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('learned-router'),
    features: textFeatureConfigSchema,
    models: z
      .array(
        z.object({
          model: z.string().min(1),
          meanCostUsd: z.number().nonnegative(),
          accuracy: z.number().min(0).max(1),
          count: z.number().int().nonnegative(),
        }),
      )
      .min(1),
    outputs: z.array(sparseWeightsSchema),
  })
  .refine((model) => model.models.length === model.outputs.length, { message: 'models and outputs differ' });

/** The learned part of a version-2 artifact: the prompt → P(correct) predictor and the planner's settings. */
export const learnedCascadeArtifactSchema = z.object({
  router: learnedRouterModelSchema,
  candidateReferences: z.number().int().nonnegative(),
  maxReferences: z.number().int().nonnegative(),
});

/**
 * Everything Switchyard's router learned from recorded data, as one JSON document: the pool, the
 * per-category model statistics (taxonomy stages and thresholds) and the agreement calibration of the
 * verifier judge; version 2 adds `learned`, the learned router whose per-query predictions choose the
 * stages, thresholds and references (`createLearnedCascadeRouter`). `switchyard eval` trains one per
 * fold; `switchyard router train` stores one in `router_artifacts`, where workers load it. The same
 * document gives the same plans and verdicts in both places.
 */
export const switchyardArtifactSchema = z.object({
  version: z.union([z.literal(1), z.literal(2)]),
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
  /** Version 2 only: the learned cascade's predictor and settings. */
  learned: learnedCascadeArtifactSchema.optional(),
  /** What it was trained on, for people reading it later. */
  trainedOn: z.object({ file: z.string(), records: z.number().int().nonnegative() }).optional(),
});

export interface SwitchyardArtifact {
  /** 1: the calibrated cascade (`createCalibratedRouter`); 2: the learned cascade (needs `learned`). */
  version: 1 | 2;
  kind: 'switchyard';
  pool: string[];
  perCategory: boolean;
  verifierId: string;
  stats: CategoryStats;
  calibration: AgreementCalibration;
  categoryClassifier?: CategoryClassifier;
  learned?: LearnedCascadeArtifact;
  trainedOn?: { file: string; records: number };
}

/** The learned part of a version-2 artifact. */
export interface LearnedCascadeArtifact extends LearnedCascadeSettings {
  router: LearnedRouterModel;
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
  if ((parsed.data.version === 2) !== (parsed.data.learned !== undefined)) {
    throw new CoreError('router artifact: learned: required by version 2 and only there');
  }
  return parsed.data as SwitchyardArtifact;
}

/**
 * The router an artifact defines at one knob position (and optional per-query budget): the learned
 * cascade for version 2 (queries need a prompt), the calibrated cascade for version 1.
 */
export function createArtifactRouter(
  artifact: SwitchyardArtifact,
  options: { quality: number; maxCostUsd?: number },
): Router {
  const router =
    artifact.learned === undefined
      ? createCalibratedRouter({
          pool: artifact.pool,
          perCategory: artifact.perCategory,
          verifierId: artifact.verifierId,
          stats: artifact.stats,
          quality: options.quality,
          ...(options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd }),
        })
      : createLearnedCascadeRouter({
          pool: artifact.pool,
          stats: artifact.stats,
          learnedRouter: artifact.learned.router,
          calibration: artifact.calibration,
          verifierId: artifact.verifierId,
          quality: options.quality,
          settings: {
            candidateReferences: artifact.learned.candidateReferences,
            maxReferences: artifact.learned.maxReferences,
          },
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
