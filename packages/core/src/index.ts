export { type AnswerType, answerTypeSchema } from './answers/answer-type.js';
export { answersEqual, extractAnswer, normalizeAnswer } from './answers/extract-answer.js';
export { guessAnswerType, inferAnswerType } from './answers/infer-answer-type.js';
export { type CallBudgetInput, remainingPicoUsd, selectAffordableCalls } from './budget/call-budget.js';
export { type OutputLimit, type OutputLimitInput, outputTokenLimit, tokenCostPicoUsd } from './budget/output-limit.js';
export { formatUsd, PICO_USD_PER_USD, parseUsd, storedBudgetUsd, sumUsd, usdFromNumber } from './budget/usd.js';
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
  type AgreementPattern,
  type AgreementPatternOutcome,
  agreementPatternOutcomes,
  type CalibrationCounts,
  calibrationCounts,
  calibrationLevelKeys,
  scoreAgreementCalibration,
  scoreAgreementPattern,
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
export { type CascadePolicy, cascadePolicySchema, planFromPolicy } from './routing/cascade-policy.js';
export {
  type CategoryClassifier,
  categoryProbabilities,
  classifyCategory,
} from './routing/category-classifier.js';
export { type CategoryStats, type ModelStats, statsForCategory } from './routing/category-stats.js';
export { escalationThresholds } from './routing/escalation.js';
export {
  createFixedRouter,
  FIXED_ROUTER_KNOB,
  type FixedRouterConfig,
  nextTierAgreement,
  type Router,
  type RoutingQuery,
} from './routing/fixed-router.js';
export {
  type CascadeQueryView,
  type CascadeStagePlan,
  cheapestOthers,
  chooseReferences,
  createLearnedCascadeRouter,
  LEARNED_CASCADE_DEFAULTS,
  type LearnedCascadeRouterConfig,
  type LearnedCascadeSettings,
  planLearnedCascade,
  priorParetoStages,
  priorThresholds,
  queryView,
} from './routing/learned-cascade-router.js';
export {
  chooseLearnedModel,
  createLearnedRouter,
  type LearnedModelEntry,
  type LearnedRouterConfig,
  type LearnedRouterModel,
  predictCorrectness,
} from './routing/learned-router.js';
export {
  calibrateKnob,
  costForQuality,
  DEFAULT_QUALITY,
  type KnobCalibration,
  type KnobPoint,
  type KnobRequest,
  knobCalibrationSchema,
  knobRequestSchema,
  llmAcceptThresholdForQuality,
  PRESET_QUALITY,
  PRICE_OF_ACCURACY_SETTINGS,
  pickSetting,
  QUALITY_LEVELS,
  QUALITY_PRESETS,
  type QualityPreset,
  qualityForCost,
  qualityPresetSchema,
  qualitySchema,
  type ResolvedKnob,
  resolveKnob,
  uncalibratedKnob,
  upperConcaveHull,
} from './routing/quality-knob.js';
export {
  type ArtifactRouterOptions,
  agreementCalibrationSchema,
  artifactAnswerType,
  artifactCategory,
  artifactVerifier,
  categoryClassifierSchema,
  createArtifactRouter,
  type LearnedArtifact,
  learnedArtifactSchema,
  learnedRouterModelSchema,
  parseRouterArtifact,
  type RouterArtifact,
  routerArtifactSchema,
  type SwitchyardArtifact,
  type SwitchyardSetting,
  switchyardArtifactSchema,
  type TaxonomyArtifact,
  taxonomyArtifactSchema,
} from './routing/router-artifact.js';
export { type ModelPerformance, selectParetoPool } from './routing/select-pool.js';
export { linearScores, type SparseWeights, sigmoid, softmax } from './routing/sparse-linear.js';
export { chooseTaxonomyModel } from './routing/taxonomy-router.js';
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
