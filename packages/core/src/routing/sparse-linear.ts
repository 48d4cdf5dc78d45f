import { CoreError } from '../errors.js';
import type { SparseVector } from './text-features.js';

/**
 * Linear models over hashed sparse features, shared by the category classifier (softmax over
 * categories) and the learned router (one sigmoid per model). Internal to the routing package.
 */

/** One output's weights as stored in JSON: ascending bucket indices and their weights. */
export interface SparseWeights {
  bias: number;
  indices: number[];
  weights: number[];
}

/** Training hyper-parameters. */
export interface LinearTrainingOptions {
  /** Passes over the training data. */
  epochs: number;
  /** Adagrad step size. */
  learningRate: number;
  /** L2 penalty, applied to the weights an example touches (lazy, per step). */
  l2: number;
  /** Seed of the shuffling PRNG. */
  seed: number;
  /** Buckets seen in fewer training examples are dropped. */
  minDocumentFrequency: number;
  /** Weights are rounded to this many decimals; those that round to 0 are not stored. */
  decimals: number;
}

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffleInPlace(order: Int32Array, random: () => number): void {
  for (let index = order.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    const swap = order[index] as number;
    order[index] = order[other] as number;
    order[other] = swap;
  }
}

interface CompactRow {
  ids: Int32Array;
  values: Float64Array;
}

/**
 * Trains `outputs` linear outputs on shared features with Adagrad.
 * - `softmax`: one categorical target per example, `targets[example]` = class index.
 * - `sigmoid`: independent binary targets, `targets[example * outputs + output]` ∈ {0, 1}, or NaN
 *   when unknown (that output skips the example).
 * `initialBias` starts the biases at the base rates so few epochs suffice.
 */
export function trainSparseLinear(input: {
  vectors: readonly SparseVector[];
  outputs: number;
  mode: 'softmax' | 'sigmoid';
  targets: Float64Array;
  initialBias: readonly number[];
  options: LinearTrainingOptions;
}): SparseWeights[] {
  const { vectors, outputs, mode, targets, options } = input;
  if (vectors.length === 0) throw new CoreError('linear model: no training examples');
  // Compact the buckets that are frequent enough into dense ids.
  const documentFrequency = new Map<number, number>();
  for (const vector of vectors) {
    for (const index of vector.indices) documentFrequency.set(index, (documentFrequency.get(index) ?? 0) + 1);
  }
  const kept = [...documentFrequency.entries()]
    .filter(([, count]) => count >= options.minDocumentFrequency)
    .map(([index]) => index)
    .sort((a, b) => a - b);
  const idOf = new Map(kept.map((index, id) => [index, id]));
  const rows: CompactRow[] = vectors.map((vector) => {
    const ids: number[] = [];
    const values: number[] = [];
    vector.indices.forEach((index, position) => {
      const id = idOf.get(index);
      if (id !== undefined) {
        ids.push(id);
        values.push(vector.values[position] ?? 0);
      }
    });
    return { ids: Int32Array.from(ids), values: Float64Array.from(values) };
  });

  const weights = new Float64Array(kept.length * outputs);
  const squares = new Float64Array(kept.length * outputs);
  const bias = Float64Array.from(input.initialBias);
  const biasSquares = new Float64Array(outputs);
  const scores = new Float64Array(outputs);
  const gradients = new Float64Array(outputs);
  const order = Int32Array.from({ length: rows.length }, (_, index) => index);
  const random = seededRandom(options.seed);
  const { learningRate, l2 } = options;
  const epsilon = 1e-8;

  for (let epoch = 0; epoch < options.epochs; epoch += 1) {
    shuffleInPlace(order, random);
    for (const example of order) {
      const row = rows[example] as CompactRow;
      for (let output = 0; output < outputs; output += 1) scores[output] = bias[output] as number;
      for (let position = 0; position < row.ids.length; position += 1) {
        const base = (row.ids[position] as number) * outputs;
        const value = row.values[position] as number;
        for (let output = 0; output < outputs; output += 1) {
          scores[output] = (scores[output] as number) + (weights[base + output] as number) * value;
        }
      }
      if (mode === 'softmax') {
        const probabilities = softmax(scores);
        const target = targets[example] as number;
        for (let output = 0; output < outputs; output += 1) {
          gradients[output] = (probabilities[output] as number) - (output === target ? 1 : 0);
        }
      } else {
        for (let output = 0; output < outputs; output += 1) {
          const target = targets[example * outputs + output] as number;
          gradients[output] = Number.isNaN(target) ? 0 : sigmoid(scores[output] as number) - target;
        }
      }
      for (let output = 0; output < outputs; output += 1) {
        const gradient = gradients[output] as number;
        if (gradient === 0) continue;
        biasSquares[output] = (biasSquares[output] as number) + gradient * gradient;
        bias[output] =
          (bias[output] as number) - (learningRate * gradient) / (Math.sqrt(biasSquares[output] as number) + epsilon);
      }
      for (let position = 0; position < row.ids.length; position += 1) {
        const base = (row.ids[position] as number) * outputs;
        const value = row.values[position] as number;
        for (let output = 0; output < outputs; output += 1) {
          const error = gradients[output] as number;
          if (error === 0 && mode === 'sigmoid') continue;
          const slot = base + output;
          const weight = weights[slot] as number;
          const gradient = error * value + l2 * weight;
          const square = (squares[slot] as number) + gradient * gradient;
          squares[slot] = square;
          weights[slot] = weight - (learningRate * gradient) / (Math.sqrt(square) + epsilon);
        }
      }
    }
  }

  const scale = 10 ** options.decimals;
  const round = (value: number) => Math.round(value * scale) / scale;
  return Array.from({ length: outputs }, (_, output) => {
    const indices: number[] = [];
    const values: number[] = [];
    kept.forEach((index, id) => {
      const weight = round(weights[id * outputs + output] as number);
      if (weight !== 0) {
        indices.push(index);
        values.push(weight);
      }
    });
    return { bias: round(bias[output] as number), indices, weights: values };
  });
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

/** Defaults overridden by the options that are set (an explicit `undefined` keeps the default). */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const result = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (result as Record<string, unknown>)[key] = value;
  }
  return result;
}
