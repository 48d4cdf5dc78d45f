import { createHash } from 'node:crypto';

/**
 * The cross-validation fold of a record: sha256 of `<seed>:<id>` modulo k. Deterministic, independent
 * of record order, and different seeds give different partitions.
 */
export function foldOf(id: string, folds: number, seed: number): number {
  const digest = createHash('sha256').update(`${seed}:${id}`, 'utf8').digest();
  return digest.readUInt32BE(0) % folds;
}

/** The dataset convention for train/test halves: sha256(id) first byte even → train. */
export function isTrainHalf(id: string): boolean {
  const first = createHash('sha256').update(id, 'utf8').digest()[0] ?? 0;
  return first % 2 === 0;
}
