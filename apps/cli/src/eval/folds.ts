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

/** A deterministic sample of `count` ids: the lowest sha256 of `<seed>:sample:<id>`. */
export function sampleIds(ids: readonly string[], count: number, seed: number): Set<string> {
  const ranked = ids.map((id) => ({
    id,
    rank: createHash('sha256').update(`${seed}:sample:${id}`, 'utf8').digest('hex'),
  }));
  ranked.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  return new Set(ranked.slice(0, count).map((entry) => entry.id));
}
