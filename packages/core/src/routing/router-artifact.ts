import { z } from 'zod';
import type { AnswerType } from '../answers/answer-type.js';
import { inferAnswerType } from '../answers/infer-answer-type.js';
import type { VerifierRequest } from '../cascade/step.js';
import { CoreError } from '../errors.js';
import { type AgreementCalibration, scoreAgreementCalibration } from '../judges/agreement-calibration.js';
import { cascadePolicySchema, planFromPolicy } from './cascade-policy.js';
import { type CategoryClassifier, classifyCategory } from './category-classifier.js';
import { type CategoryStats, statsForCategory } from './category-stats.js';
import type { Router, RoutingQuery } from './fixed-router.js';
import { planLearnedCascade, queryView } from './learned-cascade-router.js';
import { createLearnedRouter, type LearnedRouterModel } from './learned-router.js';
import {
  type KnobCalibration,
  type KnobRequest,
  knobCalibrationSchema,
  pickSetting,
  resolveKnob,
} from './quality-knob.js';
import { chooseTaxonomyModel } from './taxonomy-router.js';
import { textFeatureConfigSchema } from './text-features.js';

/**
 * Router artifacts: everything a trained router learned, as one JSON document that `switchyard router
 * train` stores in `router_artifacts` and workers and `switchyard eval` route with. Every kind carries
 * its knob calibration (`KnobCalibration`: the cross-validated cost and accuracy of its settings, see
 * quality-knob.ts) and its internal settings, the prices of accuracy `accuracyPerUsd[setting]`.
 * - `switchyard` (version 3): per setting, the learned cascade (per-query stages from the learned
 *   router's priors, references by value of information), one cascade policy per category (a single
 *   model is a policy too: the taxonomy router), or the learned router's one model per query; a category
 *   classifier and two agreement calibrations (the verifiers of the two cascade families).
 * - `taxonomy`: per setting and classified category, the one model with the best accuracy − price × cost.
 * - `learned`: per setting, the one model with the best predicted P(correct | prompt) − price × cost.
 * Each may carry an answer-type classifier (see `inferAnswerType`).
 */

const modelStatsSchema = z.object({
  accuracy: z.number().min(0).max(1),
  costUsd: z.number().nonnegative(),
  count: z.number().int().nonnegative(),
});

const categoryStatsSchema = z.object({
  overall: z.record(z.string(), modelStatsSchema),
  byCategory: z.record(z.string(), z.record(z.string(), modelStatsSchema)),
});

const sparseWeightsSchema = z
  .object({ bias: z.number(), indices: z.array(z.number().int().nonnegative()), weights: z.array(z.number()) })
  .refine((weights) => weights.indices.length === weights.weights.length, { message: 'indices and weights differ' });

/** A `LearnedRouterModel` as stored in an artifact. */
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

/** A `CategoryClassifier` as stored in an artifact. */
export const categoryClassifierSchema = z
  .object({
    version: z.literal(1),
    kind: z.literal('category-classifier'),
    features: textFeatureConfigSchema,
    categories: z.array(z.string()).min(1),
    outputs: z.array(sparseWeightsSchema),
    counts: z.record(z.string(), z.number()),
  })
  .refine((classifier) => classifier.categories.length === classifier.outputs.length, {
    message: 'categories and outputs differ',
  });

/** An `AgreementCalibration` as stored in an artifact. */
export const agreementCalibrationSchema = z.object({
  version: z.literal(1),
  id: z.string().min(1),
  strength: z.number().positive(),
  counts: z.record(z.string(), z.tuple([z.number().nonnegative(), z.number().nonnegative()])),
});

const common = {
  /** The pool, cheapest → most expensive. Workers refuse an artifact naming a model they do not have. */
  pool: z.array(z.string().min(1)).min(1),
  /** Price of accuracy of each internal setting (knob points name settings by index). */
  accuracyPerUsd: z.array(z.number().nonnegative()).min(1),
  knob: knobCalibrationSchema,
  answerTypeClassifier: categoryClassifierSchema.optional(),
  /** What it was trained on, for people reading it later. */
  trainedOn: z.object({ file: z.string(), records: z.number().int().nonnegative() }).optional(),
};

/** One setting of a Switchyard router: which family plans the queries at that price of accuracy. */
export const switchyardSettingSchema = z.discriminatedUnion('family', [
  z.object({ family: z.literal('learned-cascade') }),
  /** One model per query: the learned router's pick (no cascade). */
  z.object({ family: z.literal('learned-router') }),
  z.object({
    family: z.literal('policy'),
    /** Category → its cascade; a query of another category is planned by the learned cascade. */
    policies: z.record(z.string(), cascadePolicySchema),
  }),
]);

export const switchyardArtifactSchema = z.object({
  kind: z.literal('switchyard'),
  version: z.literal(3),
  ...common,
  stats: categoryStatsSchema,
  categoryClassifier: categoryClassifierSchema,
  learned: z.object({
    router: learnedRouterModelSchema,
    candidateReferences: z.number().int().nonnegative(),
    maxReferences: z.number().int().nonnegative(),
  }),
  /** The learned cascade's verifier. */
  calibration: agreementCalibrationSchema,
  /** The policies' verifier. */
  policyCalibration: agreementCalibrationSchema,
  settings: z.array(switchyardSettingSchema).min(1),
});

export const taxonomyArtifactSchema = z.object({
  kind: z.literal('taxonomy'),
  version: z.literal(1),
  ...common,
  stats: categoryStatsSchema,
  categoryClassifier: categoryClassifierSchema,
});

export const learnedArtifactSchema = z.object({
  kind: z.literal('learned'),
  version: z.literal(1),
  ...common,
  router: learnedRouterModelSchema,
});

export const routerArtifactSchema = z.discriminatedUnion('kind', [
  switchyardArtifactSchema,
  taxonomyArtifactSchema,
  learnedArtifactSchema,
]);

interface CommonArtifact {
  pool: string[];
  accuracyPerUsd: number[];
  knob: KnobCalibration;
  answerTypeClassifier?: CategoryClassifier;
  trainedOn?: { file: string; records: number };
}

export type SwitchyardSetting = z.infer<typeof switchyardSettingSchema>;

export interface SwitchyardArtifact extends CommonArtifact {
  kind: 'switchyard';
  version: 3;
  stats: CategoryStats;
  categoryClassifier: CategoryClassifier;
  learned: { router: LearnedRouterModel; candidateReferences: number; maxReferences: number };
  calibration: AgreementCalibration;
  policyCalibration: AgreementCalibration;
  settings: SwitchyardSetting[];
}

export interface TaxonomyArtifact extends CommonArtifact {
  kind: 'taxonomy';
  version: 1;
  stats: CategoryStats;
  categoryClassifier: CategoryClassifier;
}

export interface LearnedArtifact extends CommonArtifact {
  kind: 'learned';
  version: 1;
  router: LearnedRouterModel;
}

export type RouterArtifact = SwitchyardArtifact | TaxonomyArtifact | LearnedArtifact;

/** Validates a stored artifact; the error names the first bad field. */
export function parseRouterArtifact(value: unknown): RouterArtifact {
  const kind = (value as { kind?: unknown } | null)?.kind;
  const version = (value as { version?: unknown } | null)?.version;
  if (kind === 'switchyard' && (version === 1 || version === 2)) {
    throw new CoreError(
      `router artifact: switchyard v${version} predates the calibrated knob; train a new one (switchyard router train)`,
    );
  }
  const parsed = routerArtifactSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CoreError(
      `router artifact: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid document'}`,
    );
  }
  const artifact = parsed.data as RouterArtifact;
  const settings = artifact.accuracyPerUsd.length;
  const outside = artifact.knob.points.find((point) => point.setting >= settings);
  if (outside !== undefined) throw new CoreError(`router artifact: knob: setting ${outside.setting} does not exist`);
  if (artifact.kind === 'switchyard' && artifact.settings.length !== settings) {
    throw new CoreError('router artifact: settings: one per accuracyPerUsd entry');
  }
  return artifact;
}

/** Options of {@link createArtifactRouter}. */
export interface ArtifactRouterOptions {
  knob?: KnobRequest;
  maxCostUsd?: number;
}

/**
 * The router an artifact defines at a knob request (and optional per-query budget). Queries need a
 * prompt (the learned parts read it, and the knob mixes settings by it).
 */
export function createArtifactRouter(artifact: RouterArtifact, options: ArtifactRouterOptions = {}): Router {
  const resolved = resolveKnob(artifact.knob, options.knob);
  const budget = options.maxCostUsd === undefined ? {} : { maxCostUsd: options.maxCostUsd };
  const label = (setting: number) =>
    `${resolved.label}: setting ${setting} (${round(artifact.accuracyPerUsd[setting] ?? 0)} accuracy/USD)`;
  const promptOf = (query: RoutingQuery): string => {
    if (query.prompt === undefined) {
      throw new CoreError(`${artifact.kind} router: the query has no prompt; trained routers read the prompt`);
    }
    return query.prompt;
  };
  switch (artifact.kind) {
    case 'learned': {
      const routers = new Map<number, Router>();
      return (query) => {
        const setting = pickSetting(resolved, promptOf(query));
        let router = routers.get(setting);
        if (router === undefined) {
          router = createLearnedRouter({
            model: artifact.router,
            pool: artifact.pool,
            accuracyPerUsd: artifact.accuracyPerUsd[setting] ?? 0,
            label: label(setting),
            ...budget,
          });
          routers.set(setting, router);
        }
        return router(query);
      };
    }
    case 'taxonomy':
      return (query) => {
        const setting = pickSetting(resolved, promptOf(query));
        const category = artifactCategory(artifact, query);
        const model = chooseTaxonomyModel(
          artifact.pool,
          statsForCategory(artifact.stats, category),
          artifact.accuracyPerUsd[setting] ?? 0,
        );
        return planFromPolicy(
          { stages: [{ model, acceptThreshold: 0 }], referenceModels: [] },
          {
            router: 'taxonomy',
            verifierId: 'none',
            answerType: query.answerType,
            ...(category === undefined ? {} : { category }),
            label: label(setting),
            ...budget,
          },
        );
      };
    case 'switchyard':
      return (query) => {
        const prompt = promptOf(query);
        const setting = pickSetting(resolved, prompt);
        const category = artifactCategory(artifact, query);
        const family = artifact.settings[setting] ?? { family: 'learned-cascade' as const };
        const accuracyPerUsd = artifact.accuracyPerUsd[setting] ?? 0;
        if (family.family === 'learned-router') {
          return createLearnedRouter({
            model: artifact.learned.router,
            pool: artifact.pool,
            accuracyPerUsd,
            label: `${label(setting)}, learned router`,
            ...budget,
          })({ ...query, ...(category === undefined ? {} : { category }) });
        }
        const policy = family.family === 'policy' && category !== undefined ? family.policies[category] : undefined;
        if (policy !== undefined) {
          return planFromPolicy(policy, {
            router: 'switchyard-policy',
            verifierId: artifact.policyCalibration.id,
            answerType: query.answerType,
            ...(category === undefined ? {} : { category }),
            label: `${label(setting)}, policy of ${category}`,
            ...budget,
          });
        }
        const view = queryView(artifact.pool, artifact.stats, artifact.learned.router, prompt, category);
        const { stages, referenceModels } = planLearnedCascade(view, artifact.calibration, accuracyPerUsd, {
          candidateReferences: artifact.learned.candidateReferences,
          maxReferences: artifact.learned.maxReferences,
        });
        return {
          version: 1,
          router: 'learned-cascade',
          ...(category === undefined ? {} : { category }),
          answerType: query.answerType,
          stages,
          judges: [{ kind: 'verifier', verifierId: artifact.calibration.id, referenceModels, previousStages: true }],
          aggregation: 'mean',
          acceptThreshold: 1,
          ...budget,
          setting: `${label(setting)}, learned cascade`,
        };
      };
    default:
      return assertNever(artifact);
  }
}

/**
 * The category a query is routed as: the one it gives when the artifact has statistics for it, else
 * the artifact's classifier's reading of the prompt, else none (the overall statistics apply).
 */
export function artifactCategory(
  artifact: RouterArtifact,
  query: { category?: string; prompt?: string },
): string | undefined {
  if (artifact.kind === 'learned') return query.category;
  if (query.category !== undefined && artifact.stats.byCategory[query.category] !== undefined) return query.category;
  if (query.prompt !== undefined) {
    const { category } = classifyCategory(artifact.categoryClassifier, query.prompt);
    if (artifact.stats.byCategory[category] !== undefined) return category;
  }
  return undefined;
}

/** A query's answer type under an artifact: `inferAnswerType` with the artifact's classifier. */
export function artifactAnswerType(
  artifact: RouterArtifact | undefined,
  prompt: string,
  metadata?: Readonly<Record<string, unknown>>,
): AnswerType {
  return inferAnswerType(prompt, {
    ...(metadata === undefined ? {} : { metadata }),
    ...(artifact?.answerTypeClassifier === undefined ? {} : { classifier: artifact.answerTypeClassifier }),
  });
}

/** The `scoreVerifier` of the cascade context for plans made from this artifact. */
export function artifactVerifier(artifact: RouterArtifact): (request: VerifierRequest) => number | null {
  const calibrations = artifact.kind === 'switchyard' ? [artifact.calibration, artifact.policyCalibration] : [];
  return (request) => {
    const calibration = calibrations.find((entry) => entry.id === request.verifierId);
    return calibration === undefined ? null : scoreAgreementCalibration(calibration, request);
  };
}

function round(value: number): number {
  return Number(value.toPrecision(3));
}

function assertNever(value: never): never {
  throw new CoreError(`unexpected router artifact: ${JSON.stringify(value)}`);
}
