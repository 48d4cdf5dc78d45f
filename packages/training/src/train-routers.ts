import type { LearnedArtifact, TaxonomyArtifact } from '@switchyard/core';
import { type AgreementBaseline, trainAgreementBaselines } from './baselines/agreement-baseline.js';
import { createTrainingContext, type TrainingContext, type TrainingOptions } from './context/training-context.js';
import { trainLearnedArtifact } from './learned-router/train-learned-artifact.js';
import type { TrainingRecord } from './records/training-record.js';
import {
  type SwitchyardTrainingOptions,
  type TrainedSwitchyard,
  trainSwitchyard,
} from './switchyard/train-switchyard.js';
import { trainTaxonomy } from './taxonomy/train-taxonomy.js';

/** Every router kind trained from the same records. */
export interface TrainedRouters {
  context: TrainingContext;
  switchyard: TrainedSwitchyard;
  taxonomy: TaxonomyArtifact;
  learned: LearnedArtifact;
  baselines: AgreementBaseline[];
}

/**
 * The one training entry point: recorded responses (a dataset file's records, or records assembled from
 * the ledger with judge or feedback labels) → every trained router. Pure: no I/O, deterministic.
 */
export function trainRouters(
  records: readonly TrainingRecord[],
  pool: readonly string[],
  options: TrainingOptions & SwitchyardTrainingOptions = {},
): TrainedRouters {
  const context = createTrainingContext(records, pool, options);
  return {
    context,
    switchyard: trainSwitchyard(context, options),
    taxonomy: trainTaxonomy(context),
    learned: trainLearnedArtifact(context),
    baselines: trainAgreementBaselines(context),
  };
}
