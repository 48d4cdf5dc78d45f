import type { VerifierRequest } from '../cascade/step.js';

/** One training example: a stage answer, which references agreed with it, and whether it was correct. */
export interface CalibrationExample {
  category?: string;
  model: string;
  /** False when no final answer could be extracted. */
  answered: boolean;
  references: readonly { model: string; agrees: boolean }[];
  correct: boolean;
}

/**
 * A verifier learned from recorded data: P(the stage's answer is correct | answering model, query
 * category, which references agree). Plain JSON, so it can be stored as a router artifact.
 * Counts are kept per pattern at five levels, from specific to general; a score shrinks each level's
 * rate toward the next more general one, so rare patterns borrow strength from common ones.
 */
export interface AgreementCalibration {
  version: 1;
  id: string;
  /** Pseudo-count of the shrinkage toward the more general level. */
  strength: number;
  /** key → [correct, total]. */
  counts: Record<string, [number, number]>;
}

function levelKeys(request: Pick<CalibrationExample, 'category' | 'model' | 'answered' | 'references'>): string[] {
  const agreeing = request.references.filter((reference) => reference.agrees).length;
  const count = `${request.answered ? '' : 'unanswered,'}${agreeing}/${request.references.length}`;
  const pattern = request.references
    .map((reference) => `${reference.model}=${reference.agrees ? 1 : 0}`)
    .sort()
    .join(',');
  const category = request.category ?? '';
  // Most general first.
  return [
    'all',
    `n:${count}`,
    `m:${request.model}|n:${count}`,
    `m:${request.model}|c:${category}|n:${count}`,
    `m:${request.model}|c:${category}|n:${count}|p:${pattern}`,
  ];
}

/** Counts the examples at every level. */
export function trainAgreementCalibration(
  examples: Iterable<CalibrationExample>,
  options: { id: string; strength?: number },
): AgreementCalibration {
  const counts: Record<string, [number, number]> = {};
  for (const example of examples) {
    for (const key of levelKeys(example)) {
      const entry = counts[key] ?? [0, 0];
      entry[0] += example.correct ? 1 : 0;
      entry[1] += 1;
      counts[key] = entry;
    }
  }
  return { version: 1, id: options.id, strength: options.strength ?? 4, counts };
}

/** P(correct) for a verifier request under the calibration; 0.5 with no data at all. */
export function scoreAgreementCalibration(
  calibration: AgreementCalibration,
  request: Pick<VerifierRequest, 'category' | 'model' | 'answer' | 'references'>,
): number {
  let estimate = 0.5;
  for (const key of levelKeys({ ...request, answered: request.answer !== null })) {
    const [correct, total] = calibration.counts[key] ?? [0, 0];
    estimate = (correct + calibration.strength * estimate) / (total + calibration.strength);
  }
  return estimate;
}

/**
 * One example per subset of the example's references (the empty set included), each labelled like the
 * original. A cascade's verifier request reveals the agreement with every reference, so it also tells
 * what any subset of them would have shown: training on the subsets lets a router price reference
 * sets it did not run (see {@link agreementPatternOutcomes}). At most 2^`maxReferences` examples; an
 * example with more references is returned unexpanded.
 */
export function expandReferenceSubsets(example: CalibrationExample, maxReferences = 8): CalibrationExample[] {
  const { references } = example;
  if (references.length > maxReferences) return [example];
  const subsets: CalibrationExample[] = [];
  for (let mask = 0; mask < 1 << references.length; mask += 1) {
    subsets.push({ ...example, references: references.filter((_, index) => (mask & (1 << index)) !== 0) });
  }
  return subsets;
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
  calibration: AgreementCalibration,
  request: { category?: string; model: string; references: readonly string[] },
): AgreementPatternOutcome[] {
  const outcomes: AgreementPatternOutcome[] = [];
  let total = 0;
  for (let mask = 0; mask < 1 << request.references.length; mask += 1) {
    const agrees = request.references.map((_, index) => (mask & (1 << index)) !== 0);
    const references = request.references.map((model, index) => ({ model, agrees: agrees[index] === true }));
    const pattern = { model: request.model, answered: true, references, ...categoryOf(request) };
    const keys = levelKeys(pattern);
    const weight = (calibration.counts[keys[keys.length - 1] as string]?.[1] ?? 0) + 0.5;
    total += weight;
    outcomes.push({
      agrees,
      probability: weight,
      pCorrect: scoreAgreementCalibration(calibration, { ...pattern, answer: '' }),
    });
  }
  for (const outcome of outcomes) outcome.probability /= total;
  return outcomes;
}

function categoryOf(request: { category?: string }): { category?: string } {
  return request.category === undefined ? {} : { category: request.category };
}
