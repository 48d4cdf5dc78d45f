import { CoreError } from '../errors.js';
import {
  type LinearTrainingOptions,
  linearScores,
  type SparseWeights,
  softmax,
  trainSparseLinear,
  withDefaults,
} from './sparse-linear.js';
import {
  hashTextFeatures,
  resolveTextFeatures,
  type TextFeatureConfig,
  type TextFeatureOptions,
} from './text-features.js';

/**
 * A query-category classifier: multinomial logistic regression over hashed prompt features
 * (see `hashTextFeatures`). Plain JSON (a router artifact); only non-zero weights are stored.
 */
export interface CategoryClassifier {
  version: 1;
  kind: 'category-classifier';
  features: TextFeatureConfig;
  /** Sorted category names; `outputs[i]` scores `categories[i]`. */
  categories: string[];
  outputs: SparseWeights[];
  /** Training examples per category. */
  counts: Record<string, number>;
}

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
  if (examples.length === 0) throw new CoreError('category classifier: no training examples');
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

/** P(category | prompt) for every category of the classifier. */
export function categoryProbabilities(classifier: CategoryClassifier, prompt: string): Record<string, number> {
  checkClassifier(classifier);
  const probabilities = softmax(
    linearScores(classifier.outputs, classifier.features.bits, hashTextFeatures(prompt, classifier.features)),
  );
  return Object.fromEntries(classifier.categories.map((category, index) => [category, probabilities[index] ?? 0]));
}

/** The most probable category of a prompt and its probability (ties → the first in sorted order). */
export function classifyCategory(
  classifier: CategoryClassifier,
  prompt: string,
): { category: string; confidence: number } {
  checkClassifier(classifier);
  const probabilities = softmax(
    linearScores(classifier.outputs, classifier.features.bits, hashTextFeatures(prompt, classifier.features)),
  );
  let best = 0;
  for (let index = 1; index < probabilities.length; index += 1) {
    if ((probabilities[index] ?? 0) > (probabilities[best] ?? 0)) best = index;
  }
  return { category: classifier.categories[best] as string, confidence: probabilities[best] ?? 0 };
}

function checkClassifier(classifier: CategoryClassifier): void {
  if (classifier.version !== 1 || classifier.kind !== 'category-classifier') {
    throw new CoreError(`category classifier: unsupported artifact (kind ${classifier.kind}, v${classifier.version})`);
  }
  if (classifier.categories.length === 0 || classifier.categories.length !== classifier.outputs.length) {
    throw new CoreError('category classifier: categories and outputs do not match');
  }
}
