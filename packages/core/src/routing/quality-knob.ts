import { z } from 'zod';
import { CoreError } from '../errors.js';
import { fnv1a32 } from './text-features.js';

/**
 * The one cost/accuracy knob of every router.
 *
 * A router has internal settings ordered from cheapest to most accurate (a trained router's price of
 * accuracy, the fixed cascade's judge strictness). Training measures each setting's cost and accuracy
 * by cross-validation; the settings on the upper concave hull of those points are the router's
 * frontier (a `KnobCalibration`). `quality` q ∈ [0,1] means the same thing for every router: the point
 * of that frontier whose expected cost per query is c₀·(c₁/c₀)^q, log-linear between the frontier's
 * cheapest (q = 0) and most accurate (q = 1) setting. A point between two hull settings is reached by
 * mixing them: each query takes the dearer setting with the probability that makes the expected cost
 * right, decided by a hash of its prompt (so the same prompt always gets the same setting, in eval and
 * in workers alike). Mixing is what makes the knob smooth: its expected (cost, accuracy) lies on the
 * hull's segment.
 *
 * Presets: `economy` (q = 0.25), `balanced` (q = 0.5), `max` (q = 1), and `match`: the cheapest hull
 * setting whose cross-validated accuracy reaches the best single model's. `targetCostUsd` asks for the
 * frontier point whose cross-validated cost is that amount (clamped to the frontier's range).
 */

/** A knob position in [0,1]: 0 = cheapest, 1 = most accurate. */
export const qualitySchema = z.number().min(0).max(1);

/** The named knob positions. */
export const QUALITY_PRESETS = ['economy', 'balanced', 'max', 'match'] as const;
export const qualityPresetSchema = z.enum(QUALITY_PRESETS);
export type QualityPreset = z.infer<typeof qualityPresetSchema>;

/** The fixed positions of the presets other than `match`. */
export const PRESET_QUALITY: Readonly<Record<Exclude<QualityPreset, 'match'>, number>> = {
  economy: 0.25,
  balanced: 0.5,
  max: 1,
};

/** What a query may ask of the knob: a position or preset, or a target cost per query (not both). */
export interface KnobRequest {
  quality?: number | QualityPreset;
  targetCostUsd?: number;
}

export const knobRequestSchema = z.object({
  quality: z.union([qualitySchema, qualityPresetSchema]).optional(),
  targetCostUsd: z.number().positive().optional(),
});

/** The default knob: `match`, the cheapest setting measured to be as accurate as the best single model. */
export const DEFAULT_QUALITY: QualityPreset = 'match';

/** The knob positions `switchyard eval` reports (the presets are reported besides). */
export const QUALITY_LEVELS: readonly number[] = Array.from({ length: 11 }, (_, index) => index / 10);

/** One setting of a router with its measured (cross-validated) mean cost per query and accuracy. */
export interface KnobPoint {
  /** The router's internal setting (an index into its settings). */
  setting: number;
  costUsd: number;
  accuracy: number;
}

const knobPointSchema = z.object({
  setting: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  accuracy: z.number().min(0).max(1),
});

/**
 * A router's measured frontier (stored in its artifact). `points`: the upper concave hull of the
 * settings' cross-validated (cost, accuracy), cheapest first. `match`: the quality of the `match`
 * preset, null when no setting reached the best single model. `measured: false` marks a router
 * without training data (the fixed cascade): its points are nominal, only their order is known.
 */
export const knobCalibrationSchema = z.object({
  points: z.array(knobPointSchema).min(1),
  match: qualitySchema.nullable(),
  measured: z.boolean(),
  bestSingle: z.object({ model: z.string(), accuracy: z.number(), costUsd: z.number() }).optional(),
});
export type KnobCalibration = z.infer<typeof knobCalibrationSchema>;

/** The upper concave hull of points in (cost, accuracy), cheapest first, each more accurate than the last. */
export function upperConcaveHull<T extends { costUsd: number; accuracy: number }>(points: readonly T[]): T[] {
  const sorted = [...points].sort((a, b) => a.costUsd - b.costUsd || b.accuracy - a.accuracy);
  const hull: T[] = [];
  for (const point of sorted) {
    // Start at the most accurate of the cheapest points; a dearer point must be more accurate.
    if (hull.length > 0 && point.accuracy <= (hull[hull.length - 1] as T).accuracy) continue;
    while (hull.length >= 2) {
      const a = hull[hull.length - 2] as T;
      const b = hull[hull.length - 1] as T;
      // b is under the segment a → point: drop it.
      const cross =
        (b.costUsd - a.costUsd) * (point.accuracy - a.accuracy) -
        (b.accuracy - a.accuracy) * (point.costUsd - a.costUsd);
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push(point);
  }
  return hull;
}

/**
 * The calibration of a trained router: the hull of its settings' cross-validated points, and `match`
 * against the best single model's cross-validated accuracy.
 */
export function calibrateKnob(
  points: readonly KnobPoint[],
  bestSingle?: { model: string; accuracy: number; costUsd: number },
): KnobCalibration {
  if (points.length === 0) throw new CoreError('knob: no measured settings');
  const hull = upperConcaveHull(points);
  const calibration: KnobCalibration = {
    points: hull,
    match: null,
    measured: true,
    ...(bestSingle === undefined ? {} : { bestSingle }),
  };
  if (bestSingle !== undefined) {
    const reaching = hull.find((point) => point.accuracy >= bestSingle.accuracy);
    calibration.match = reaching === undefined ? null : qualityForCost(calibration, reaching.costUsd);
  }
  return calibration;
}

/** The knob of a router without measurements: its settings in order, nominally evenly spaced on the scale. */
export function uncalibratedKnob(settings: number): KnobCalibration {
  if (!Number.isInteger(settings) || settings < 1) throw new CoreError(`knob: ${settings} settings`);
  return {
    points: Array.from({ length: settings }, (_, setting) => ({
      setting,
      costUsd: 2 ** setting,
      accuracy: setting / settings,
    })),
    match: null,
    measured: false,
  };
}

/** A knob request resolved against a router's calibration: which settings, mixed how. */
export interface ResolvedKnob {
  /** The position on the router's scale the request means. */
  quality: number;
  /** For `plan.setting`, e.g. "quality=0.6", "match (quality=0.83)", "targetCostUsd=0.002". */
  label: string;
  /** The cheaper and the dearer hull setting, and the share of queries that take the dearer one. */
  lower: number;
  upper: number;
  upperWeight: number;
  /** The cross-validated expectation at this position (measured routers only). */
  expected?: { costUsd: number; accuracy: number };
}

/** Resolves a query's knob request (default `DEFAULT_QUALITY`); the errors name the bad field. */
export function resolveKnob(calibration: KnobCalibration, request: KnobRequest = {}): ResolvedKnob {
  if (request.quality !== undefined && request.targetCostUsd !== undefined) {
    throw new CoreError('knob: give quality or targetCostUsd, not both');
  }
  if (request.targetCostUsd !== undefined) {
    const target = request.targetCostUsd;
    if (!(Number.isFinite(target) && target > 0)) {
      throw new CoreError(`knob: targetCostUsd must be a positive number, got ${target}`);
    }
    if (!calibration.measured) {
      throw new CoreError('knob: targetCostUsd needs a trained router (this router has no measured cost curve)');
    }
    return {
      ...atCost(calibration, target),
      quality: qualityForCost(calibration, target),
      label: `targetCostUsd=${target}`,
    };
  }
  const asked = request.quality ?? DEFAULT_QUALITY;
  let quality: number;
  let label: string;
  if (typeof asked === 'number') {
    const parsed = qualitySchema.safeParse(asked);
    if (!parsed.success) throw new CoreError(`knob: quality must be in [0,1] or a preset, got ${asked}`);
    quality = parsed.data;
    label = `quality=${quality}`;
  } else if (asked === 'match') {
    // Without a measured match, the nearest meaning: balanced when nothing is measured, else the top.
    quality = calibration.match ?? (calibration.measured ? 1 : PRESET_QUALITY.balanced);
    label = `match (quality=${round(quality)})`;
  } else if (asked in PRESET_QUALITY) {
    quality = PRESET_QUALITY[asked];
    label = `${asked} (quality=${quality})`;
  } else {
    throw new CoreError(`knob: unknown quality preset "${String(asked)}" (${QUALITY_PRESETS.join(', ')})`);
  }
  return { ...atCost(calibration, costForQuality(calibration, quality)), quality, label };
}

/** The setting a query takes: the dearer one for the share `upperWeight` of prompts (by prompt hash). */
export function pickSetting(resolved: ResolvedKnob, prompt: string): number {
  if (resolved.upperWeight <= 0) return resolved.lower;
  if (resolved.upperWeight >= 1) return resolved.upper;
  return fnv1a32(prompt) / 4_294_967_296 < resolved.upperWeight ? resolved.upper : resolved.lower;
}

/** The expected cost per query at a knob position: log-linear between the frontier's ends. */
export function costForQuality(calibration: KnobCalibration, quality: number): number {
  const { low, high } = costRange(calibration);
  if (quality <= 0) return (calibration.points[0] as KnobPoint).costUsd;
  if (high <= low) return high;
  return low * (high / low) ** quality;
}

/** The knob position whose expected cost is `costUsd` (clamped to [0,1]). */
export function qualityForCost(calibration: KnobCalibration, costUsd: number): number {
  const { low, high } = costRange(calibration);
  if (high <= low || costUsd >= high) return 1;
  if (costUsd <= low) return 0;
  return Math.log(costUsd / low) / Math.log(high / low);
}

function costRange(calibration: KnobCalibration): { low: number; high: number } {
  const costs = calibration.points.map((point) => point.costUsd);
  const high = Math.max(...costs);
  // A free cheapest setting (a self-hosted model) has no logarithm: start at the cheapest paid one.
  const positive = costs.filter((cost) => cost > 0);
  const low = positive.length === 0 ? high : Math.min(...positive);
  return { low, high };
}

function atCost(
  calibration: KnobCalibration,
  costUsd: number,
): Pick<ResolvedKnob, 'lower' | 'upper' | 'upperWeight' | 'expected'> {
  const points = calibration.points;
  const first = points[0] as KnobPoint;
  const last = points[points.length - 1] as KnobPoint;
  const expected = (point: KnobPoint) =>
    calibration.measured ? { expected: { costUsd: point.costUsd, accuracy: point.accuracy } } : {};
  if (costUsd <= first.costUsd)
    return { lower: first.setting, upper: first.setting, upperWeight: 0, ...expected(first) };
  if (costUsd >= last.costUsd) return { lower: last.setting, upper: last.setting, upperWeight: 1, ...expected(last) };
  for (let index = 1; index < points.length; index += 1) {
    const upper = points[index] as KnobPoint;
    if (upper.costUsd < costUsd) continue;
    const lower = points[index - 1] as KnobPoint;
    const weight = (costUsd - lower.costUsd) / (upper.costUsd - lower.costUsd);
    // On a hull setting itself: that setting alone.
    if (weight >= 1 - 1e-9) return { lower: upper.setting, upper: upper.setting, upperWeight: 1, ...expected(upper) };
    if (weight <= 1e-9) return { lower: lower.setting, upper: lower.setting, upperWeight: 0, ...expected(lower) };
    return {
      lower: lower.setting,
      upper: upper.setting,
      upperWeight: weight,
      ...(calibration.measured
        ? { expected: { costUsd, accuracy: lower.accuracy + weight * (upper.accuracy - lower.accuracy) } }
        : {}),
    };
  }
  return { lower: last.setting, upper: last.setting, upperWeight: 1, ...expected(last) };
}

/**
 * The internal settings of the trained routers: prices of accuracy (accuracy points one USD per query
 * is worth), from 10⁴ per USD (setting 0: almost never pay for a dearer model) down to 0 (the last
 * setting: the most accurate choice regardless of cost), log-spaced. The knob chooses among them.
 */
export const PRICE_OF_ACCURACY_SETTINGS: readonly number[] = Array.from({ length: 33 }, (_, index) =>
  index === 32 ? 0 : 10 ** (4 * (1 - index / 32)) - 1,
);

/**
 * The accept threshold of an LLM judge panel (aggregated with `min`, so every judge must pass at least
 * this confident) at a knob position: 0.8 below 0.25, 0.9 below 0.5, 0.95 below 0.9 (the fixed
 * cascade's default, balanced, accepts a unanimous pass at confidence ≥ 0.95), 0.99 from 0.9.
 * Monotone: a higher knob escalates more.
 */
export function llmAcceptThresholdForQuality(quality: number): number {
  const value = qualitySchema.parse(quality);
  return value < 0.25 ? 0.8 : value < 0.5 ? 0.9 : value < 0.9 ? 0.95 : 0.99;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
