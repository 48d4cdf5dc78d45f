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
