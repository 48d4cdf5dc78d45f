export { type AnswerType, answerTypeSchema } from './answers/answer-type.js';
export { answersEqual, extractAnswer, normalizeAnswer } from './answers/extract-answer.js';
export { type CallBudgetInput, remainingPicoUsd, selectAffordableCalls } from './budget/call-budget.js';
export { type OutputLimit, type OutputLimitInput, outputTokenLimit, tokenCostPicoUsd } from './budget/output-limit.js';
export { formatUsd, PICO_USD_PER_USD, parseUsd, sumUsd, usdFromNumber } from './budget/usd.js';
export {
  type AnswerReference,
  answerReferenceSchema,
  type CallInput,
  type CallObservation,
  type CallRequest,
  callInputSchema,
  callObservationSchema,
  callRequestSchema,
} from './cascade/calls.js';
export {
  judgeReferenceModels,
  nextCascadeStep,
  type PlannedCall,
  plannedCall,
  stageJudgeModels,
  stageReferenceModels,
} from './cascade/next-cascade-step.js';
export { type Plan, type PlanStage, planSchema, planStageSchema } from './cascade/plan.js';
export { isPlannedCall } from './cascade/planned-call.js';
export type {
  CascadeContext,
  CascadeOutcome,
  CascadeStep,
  JudgeVerdict,
  StageVerdict,
  VerifierRequest,
} from './cascade/step.js';
export { CoreError } from './errors.js';
export {
  type AgreementCalibration,
  type AgreementPatternOutcome,
  agreementPatternOutcomes,
  type CalibrationExample,
  expandReferenceSubsets,
  scoreAgreementCalibration,
  trainAgreementCalibration,
} from './judges/agreement-calibration.js';
export {
  aggregateConfidence,
  evaluateJudge,
  type JudgeInput,
  type ObservedAnswer,
  panelFor,
} from './judges/evaluate-judges.js';
export {
  checkAnswerFormat,
  type FormatCheck,
  type FormatCheckInput,
  type FormatFailure,
} from './judges/format-check.js';
export {
  type Aggregation,
  type AgreementJudgeSpec,
  aggregationSchema,
  type FormatJudgeSpec,
  type JudgeSpec,
  judgeSpecSchema,
  type LlmJudgeSpec,
  llmJudgeSchema,
  type VerifierJudgeSpec,
} from './judges/judge-spec.js';
export { type JudgeTask, judgeTaskFor, judgeTaskSchema } from './judges/judge-task.js';
export {
  JUDGE_VERDICT_JSON_SCHEMA,
  type JudgeVerdictDocument,
  judgeVerdictSchema,
  type ParsedJudgeVerdict,
  parseJudgeVerdict,
  verdictScore,
} from './judges/judge-verdict.js';
export {
  accuracyPerUsdForQuality,
  type CalibratedRouterConfig,
  chooseStages,
  createCalibratedRouter,
  escalationThresholds,
} from './routing/calibrated-router.js';
export {
  type CategoryStats,
  type ModelOutcome,
  type ModelStats,
  measureCategoryStats,
  statsForCategory,
} from './routing/category-stats.js';
export {
  createFixedRouter,
  type FixedRouterConfig,
  nextTierAgreement,
  type Router,
  type RoutingQuery,
} from './routing/fixed-router.js';
export {
  DEFAULT_QUALITY,
  llmAcceptThresholdForQuality,
  QUALITY_LEVELS,
  type QualitySettings,
  qualitySchema,
  settingsForQuality,
} from './routing/quality-knob.js';
export {
  artifactCategory,
  artifactVerifier,
  createArtifactRouter,
  type LearnedCascadeArtifact,
  learnedCascadeArtifactSchema,
  learnedRouterModelSchema,
  parseSwitchyardArtifact,
  type SwitchyardArtifact,
  switchyardArtifactSchema,
} from './routing/router-artifact.js';
export { type ModelPerformance, selectParetoPool } from './routing/select-pool.js';

// Learned routing components: prompt features, category classifier, learned router.

export {
  CATEGORY_CLASSIFIER_DEFAULTS,
  type CategoryClassifier,
  type CategoryClassifierOptions,
  type CategoryExample,
  categoryProbabilities,
  classifyCategory,
  trainCategoryClassifier,
} from './routing/category-classifier.js';
export {
  type CascadeQueryView,
  type CascadeStagePlan,
  cheapestOthers,
  chooseReferences,
  createLearnedCascadeRouter,
  LEARNED_CASCADE_DEFAULTS,
  type LearnedCascadeRouterConfig,
  type LearnedCascadeSettings,
  learnedCascadeTrainingPlans,
  planLearnedCascade,
  priorParetoStages,
  priorThresholds,
  queryView,
} from './routing/learned-cascade-router.js';
export {
  chooseLearnedModel,
  createLearnedRouter,
  crossFitCorrectness,
  LEARNED_ROUTER_DEFAULTS,
  type LearnedModelEntry,
  type LearnedRouterConfig,
  type LearnedRouterExample,
  type LearnedRouterModel,
  type LearnedRouterOptions,
  predictCorrectness,
  trainLearnedRouter,
} from './routing/learned-router.js';
export type { LinearTrainingOptions, SparseWeights } from './routing/sparse-linear.js';
export {
  DEFAULT_TEXT_FEATURES,
  fnv1a32,
  hashTextFeatures,
  resolveTextFeatures,
  type SparseVector,
  type TextFeatureConfig,
  type TextFeatureOptions,
  textFeatureConfigSchema,
  tokenizePrompt,
} from './routing/text-features.js';
