export { type AgreementBaseline, trainAgreementBaselines } from './baselines/agreement-baseline.js';
export { FoldCounts, scoreFromEntries } from './calibration/fold-counts.js';
export {
  type CalibrationExample,
  expandReferenceSubsets,
  trainAgreementCalibration,
} from './calibration/train-agreement-calibration.js';
export {
  CATEGORY_CLASSIFIER_DEFAULTS,
  type CategoryClassifierOptions,
  type CategoryExample,
  trainCategoryClassifier,
} from './classifier/train-category-classifier.js';
export {
  createTrainingContext,
  singleModelPerformance,
  type TrainingContext,
  type TrainingOptions,
  trainingFoldOf,
} from './context/training-context.js';
export { TrainingError } from './errors.js';
export { learnedCascadeExamples, policyExamples } from './learned-cascade/learned-cascade-examples.js';
export { trainLearnedArtifact } from './learned-router/train-learned-artifact.js';
export {
  crossFitCorrectness,
  LEARNED_ROUTER_DEFAULTS,
  type LearnedRouterExample,
  type LearnedRouterOptions,
  trainLearnedRouter,
} from './learned-router/train-learned-router.js';
export {
  type LabelledQuery,
  type LabelledResponse,
  type LabelledVerdict,
  type LabelSource,
  type LedgerAttempt,
  type LedgerQuery,
  labelLedgerQuery,
  trainingRecordOf,
} from './ledger/label-ledger-query.js';
export {
  type LinearTrainingOptions,
  seededRandom,
  trainSparseLinear,
} from './linear/train-sparse-linear.js';
export {
  type CategoryPolicies,
  candidatePolicies,
  POLICY_SEARCH_DEFAULTS,
  type PolicyCandidate,
  type PolicySearchOptions,
  policyOf,
  searchCategoryPolicies,
} from './policy/search-policies.js';
export { type PreparedRecord, prepareRecords, usableRecords } from './records/prepare-records.js';
export { type TrainingRecord, type TrainingResponse, UNLABELLED_CATEGORY } from './records/training-record.js';
export { type PoolIndex, poolIndex, type SimulatedOutcome, simulatePlan } from './simulation/simulate-plan.js';
export { FoldStats } from './stats/fold-stats.js';
export { CATEGORY_SHRINKAGE, type ModelOutcome, measureCategoryStats } from './stats/measure-category-stats.js';
export {
  LEARNED_CASCADE_VERIFIER,
  POLICY_VERIFIER,
  type SettingReport,
  type SwitchyardTrainingOptions,
  type TrainedSwitchyard,
  trainSwitchyard,
} from './switchyard/train-switchyard.js';
export { trainTaxonomy } from './taxonomy/train-taxonomy.js';
export { type TrainedRouters, trainRouters } from './train-routers.js';
