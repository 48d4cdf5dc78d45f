import { CoreError } from '../errors.js';
import { linearScores, type SparseWeights, softmax } from './sparse-linear.js';
import { hashTextFeatures, type TextFeatureConfig } from './text-features.js';

/**
 * A query-category classifier: multinomial logistic regression over hashed prompt features
 * (see `hashTextFeatures`). Plain JSON (a router artifact); only non-zero weights are stored. Trained
 * by `@switchyard/training`'s `trainCategoryClassifier`; also used for other prompt labels (the answer type).
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
