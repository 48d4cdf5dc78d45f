import {
  type CategoryClassifier,
  hashTextFeatures,
  resolveTextFeatures,
  type TextFeatureOptions,
} from '@switchyard/core';
import { TrainingError } from '../errors.js';
import { type LinearTrainingOptions, trainSparseLinear, withDefaults } from '../linear/train-sparse-linear.js';

/** One training example. */
export interface CategoryExample {
  prompt: string;
  category: string;
}

/** Options of {@link trainCategoryClassifier}; defaults measured by CV on the train files. */
export interface CategoryClassifierOptions extends Partial<LinearTrainingOptions> {
  features?: TextFeatureOptions;
}

/**
 * Defaults of the classifier's training: unigrams only, few epochs, coarse weights. Measured by 5-fold
 * CV on the mix and routerbench train files; bigrams, more epochs and finer weights were no more
 * accurate but several times larger and slower.
 */
export const CATEGORY_CLASSIFIER_DEFAULTS: LinearTrainingOptions & { features: TextFeatureOptions } = {
  features: { bigrams: false, tailChars: 0 },
  epochs: 2,
  learningRate: 0.5,
  l2: 1e-4,
  seed: 1,
  minDocumentFrequency: 3,
  decimals: 2,
};

/** Trains the classifier. Deterministic: the same examples in the same order give identical JSON. */
export function trainCategoryClassifier(
  examples: readonly CategoryExample[],
  options: CategoryClassifierOptions = {},
): CategoryClassifier {
  if (examples.length === 0) throw new TrainingError('category classifier: no training examples');
  const settings = withDefaults(CATEGORY_CLASSIFIER_DEFAULTS, options);
  const features = resolveTextFeatures(settings.features);
  const counts: Record<string, number> = {};
  for (const example of examples) counts[example.category] = (counts[example.category] ?? 0) + 1;
  const categories = Object.keys(counts).sort();
  const classOf = new Map(categories.map((category, index) => [category, index]));
  const outputs = trainSparseLinear({
    vectors: examples.map((example) => hashTextFeatures(example.prompt, features)),
    outputs: categories.length,
    mode: 'softmax',
    targets: Float64Array.from(examples.map((example) => classOf.get(example.category) ?? 0)),
    // Log priors, centred.
    initialBias: categories.map((category) => Math.log((counts[category] ?? 1) / examples.length)),
    options: settings,
  });
  return { version: 1, kind: 'category-classifier', features, categories, outputs, counts };
}
