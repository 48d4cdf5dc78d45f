import { type SparseVector, type SparseWeights, sigmoid, softmax } from '@switchyard/core';
import { TrainingError } from '../errors.js';

/**
 * Training of linear models over hashed sparse features (Adagrad), shared by the category classifier
 * (softmax over categories) and the learned router (one sigmoid per model). Scoring is core's
 * `linearScores`.
 */

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
  if (vectors.length === 0) throw new TrainingError('linear model: no training examples');
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

/** Defaults overridden by the options that are set (an explicit `undefined` keeps the default). */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const result = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (result as Record<string, unknown>)[key] = value;
  }
  return result;
}
