import type { VerifierRequest } from '../cascade/step.js';

/**
 * A verifier learned from recorded data: P(the stage's answer is correct | answering model, query
 * category, which references agree). Plain JSON, so it can be stored as a router artifact.
 * Counts are kept per pattern at five levels, from specific to general; a score shrinks each level's
 * rate toward the next more general one, so rare patterns borrow strength from common ones. Trained by
 * `@switchyard/training`'s `trainAgreementCalibration`.
 */
export interface AgreementCalibration {
  version: 1;
  id: string;
  /** Pseudo-count of the shrinkage toward the more general level. */
  strength: number;
  /** key → [correct, total]. */
  counts: Record<string, [number, number]>;
}

/** What a calibration is keyed by: the judged answer's model and category, and each reference's agreement. */
export interface AgreementPattern {
  category?: string;
  model: string;
  /** False when no final answer could be extracted. */
  answered: boolean;
  references: readonly { model: string; agrees: boolean }[];
}

/**
 * The counts a score reads, by key: a stored calibration's (see {@link calibrationCounts}), or a
 * training-time view (e.g. counts of some cross-validation folds only).
 */
export interface CalibrationCounts {
  strength: number;
  count(key: string): readonly [number, number] | undefined;
}

/** The five keys of a pattern, most general first (the shrinkage order). */
export function calibrationLevelKeys(pattern: AgreementPattern): string[] {
  let agreeing = 0;
  for (const reference of pattern.references) if (reference.agrees) agreeing += 1;
  const count = `${pattern.answered ? '' : 'unanswered,'}${agreeing}/${pattern.references.length}`;
  const references = pattern.references
    .map((reference) => `${reference.model}=${reference.agrees ? 1 : 0}`)
    .sort()
    .join(',');
  const category = pattern.category ?? '';
  return [
    'all',
    `n:${count}`,
    `m:${pattern.model}|n:${count}`,
    `m:${pattern.model}|c:${category}|n:${count}`,
    `m:${pattern.model}|c:${category}|n:${count}|p:${references}`,
  ];
}

const countsCache = new WeakMap<AgreementCalibration, CalibrationCounts>();

/** The counts of a stored calibration. */
export function calibrationCounts(calibration: AgreementCalibration): CalibrationCounts {
  let counts = countsCache.get(calibration);
  if (counts === undefined) {
    counts = { strength: calibration.strength, count: (key) => calibration.counts[key] };
    countsCache.set(calibration, counts);
  }
  return counts;
}

/** P(correct) of a pattern under the counts; 0.5 with no data at all. */
export function scoreAgreementPattern(counts: CalibrationCounts, pattern: AgreementPattern): number {
  let estimate = 0.5;
  for (const key of calibrationLevelKeys(pattern)) {
    const [correct, total] = counts.count(key) ?? [0, 0];
    estimate = (correct + counts.strength * estimate) / (total + counts.strength);
  }
  return estimate;
}

/** P(correct) for a verifier request under the calibration; 0.5 with no data at all. */
export function scoreAgreementCalibration(
  calibration: AgreementCalibration,
  request: Pick<VerifierRequest, 'category' | 'model' | 'answer' | 'references'>,
): number {
  return scoreAgreementPattern(calibrationCounts(calibration), {
    ...categoryOf(request),
    model: request.model,
    answered: request.answer !== null,
    references: request.references,
  });
}

/** One agreement pattern of an answered stage answer with a set of references. */
export interface AgreementPatternOutcome {
  /** Per reference (in the order given), whether it agrees. */
  agrees: boolean[];
  /** How often the pattern occurred in training (smoothed), given the model and category. */
  probability: number;
  /** The calibrated P(correct) of the answer when the pattern is observed. */
  pCorrect: number;
}

/**
 * Every agree/disagree pattern the references can show for an answered stage answer of `model`, with
 * its training frequency (the pattern's count at the most specific calibration level, +½ each,
 * normalised) and the calibrated P(correct) it leads to. What a router needs to price references
 * before calling them: the value of asking them is how much the patterns change its accept decision.
 */
export function agreementPatternOutcomes(
  calibration: AgreementCalibration | CalibrationCounts,
  request: { category?: string; model: string; references: readonly string[] },
): AgreementPatternOutcome[] {
  const counts = 'counts' in calibration ? calibrationCounts(calibration) : calibration;
  const outcomes: AgreementPatternOutcome[] = [];
  let total = 0;
  for (let mask = 0; mask < 1 << request.references.length; mask += 1) {
    const agrees = request.references.map((_, index) => (mask & (1 << index)) !== 0);
    const references = request.references.map((model, index) => ({ model, agrees: agrees[index] === true }));
    const pattern: AgreementPattern = { model: request.model, answered: true, references, ...categoryOf(request) };
    const keys = calibrationLevelKeys(pattern);
    const weight = (counts.count(keys[keys.length - 1] as string)?.[1] ?? 0) + 0.5;
    total += weight;
    outcomes.push({ agrees, probability: weight, pCorrect: scoreAgreementPattern(counts, pattern) });
  }
  for (const outcome of outcomes) outcome.probability /= total;
  return outcomes;
}

function categoryOf(request: { category?: string }): { category?: string } {
  return request.category === undefined ? {} : { category: request.category };
}
