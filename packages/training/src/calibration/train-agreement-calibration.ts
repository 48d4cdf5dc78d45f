import { type AgreementCalibration, type AgreementPattern, calibrationLevelKeys } from '@switchyard/core';

/** One training example: a stage answer, which references agreed with it, and whether it was correct. */
export interface CalibrationExample extends AgreementPattern {
  correct: boolean;
}

/** Counts the examples at every level of the calibration's keys (`calibrationLevelKeys`). */
export function trainAgreementCalibration(
  examples: Iterable<CalibrationExample>,
  options: { id: string; strength?: number },
): AgreementCalibration {
  const counts: Record<string, [number, number]> = {};
  for (const example of examples) {
    for (const key of calibrationLevelKeys(example)) {
      const entry = counts[key] ?? [0, 0];
      entry[0] += example.correct ? 1 : 0;
      entry[1] += 1;
      counts[key] = entry;
    }
  }
  return { version: 1, id: options.id, strength: options.strength ?? 4, counts };
}

/**
 * One example per subset of the example's references (the empty set included), each labelled like the
 * original. A cascade's verifier request reveals the agreement with every reference, so it also tells
 * what any subset of them would have shown: training on the subsets lets a router price reference
 * sets it did not run (see `agreementPatternOutcomes`). At most 2^`maxReferences` examples; an
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
