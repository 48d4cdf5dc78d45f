import { CoreError } from '../errors.js';
import type { SparseVector } from './text-features.js';

/**
 * Scoring of linear models over hashed sparse features, shared by the category classifier (softmax over
 * categories) and the learned router (one sigmoid per model). Training lives in `@switchyard/training`.
 */

/** One output's weights as stored in JSON: ascending bucket indices and their weights. */
export interface SparseWeights {
  bias: number;
  indices: number[];
  weights: number[];
}

export function sigmoid(score: number): number {
  return score >= 0 ? 1 / (1 + Math.exp(-score)) : Math.exp(score) / (1 + Math.exp(score));
}

export function softmax(scores: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < scores.length; index += 1) max = Math.max(max, scores[index] as number);
  const result = new Float64Array(scores.length);
  let sum = 0;
  for (let index = 0; index < scores.length; index += 1) {
    const value = Math.exp((scores[index] as number) - max);
    result[index] = value;
    sum += value;
  }
  for (let index = 0; index < result.length; index += 1) result[index] = (result[index] as number) / sum;
  return result;
}

/** Stored weights of several outputs, laid out for fast scoring. */
interface CompiledWeights {
  outputs: number;
  bias: Float64Array;
  /** bucket → row in `weights`, or -1. */
  rowOf: Int32Array;
  weights: Float64Array;
}

const compiled = new WeakMap<readonly SparseWeights[], CompiledWeights>();

function compile(stored: readonly SparseWeights[], bits: number): CompiledWeights {
  const cached = compiled.get(stored);
  if (cached !== undefined) return cached;
  const outputs = stored.length;
  const rowOf = new Int32Array(1 << bits).fill(-1);
  let rows = 0;
  for (const output of stored) {
    for (const index of output.indices) {
      if (!Number.isInteger(index) || index < 0 || index >= rowOf.length) {
        throw new CoreError(`linear model: bucket ${index} outside 2^${bits}`);
      }
      if (rowOf[index] === -1) {
        rowOf[index] = rows;
        rows += 1;
      }
    }
  }
  const weights = new Float64Array(rows * outputs);
  stored.forEach((output, position) => {
    output.indices.forEach((index, entry) => {
      weights[(rowOf[index] as number) * outputs + position] = output.weights[entry] ?? 0;
    });
  });
  const result = { outputs, bias: Float64Array.from(stored.map((output) => output.bias)), rowOf, weights };
  compiled.set(stored, result);
  return result;
}

/**
 * Linear scores (bias + w·x) of every output for one vector. Compiles the stored weights once per
 * weights array (memoised; the result depends only on the stored JSON). `bits`: the features' hash size.
 */
export function linearScores(stored: readonly SparseWeights[], bits: number, vector: SparseVector): Float64Array {
  const model = compile(stored, bits);
  const { outputs, rowOf, weights } = model;
  const scores = Float64Array.from(model.bias);
  for (let position = 0; position < vector.indices.length; position += 1) {
    const row = rowOf[vector.indices[position] as number] ?? -1;
    if (row < 0) continue;
    const value = vector.values[position] as number;
    const base = row * outputs;
    for (let output = 0; output < outputs; output += 1) {
      scores[output] = (scores[output] as number) + (weights[base + output] as number) * value;
    }
  }
  return scores;
}
