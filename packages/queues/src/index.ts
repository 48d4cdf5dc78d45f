export { answeredQueryOf, attemptsByQuery, failedQueryOf, QUERY_VIEW_SELECT } from './batches/answered-query.js';
export { enqueueFinalizeIfReady, isBatchReadyToFinalize } from './batches/batch-progress.js';
export { batchErrorLines, batchOutputLines } from './batches/batch-results.js';
export { type CancelBatchResult, cancelBatch } from './batches/cancel-batch.js';
export { defaultExpandSettings, type ExpandSettings, expandBatch } from './batches/expand-batch.js';
export { finalizeBatch } from './batches/finalize-batch.js';
export { type InputLine, readLines } from './batches/read-lines.js';
export {
  type BatchJob,
  batchJobSchema,
  type CallJob,
  callJobSchema,
  type DecideJob,
  decideJobSchema,
  defaultRetrySettings,
  jobIds,
  QUEUE_NAMES,
  type QueueName,
  type RetrySettings,
  type RouteJob,
  routeJobSchema,
  type WebhookJob,
  webhookJobSchema,
} from './catalog.js';
export { createRedisConnection } from './connection.js';
export { buildJudgeInput, type JudgePromptUse } from './judges/judge-input.js';
export {
  DEFAULT_JUDGE_PROMPT_VERSION,
  JUDGE_PROMPTS_DIRECTORY,
  type JudgePrompt,
  type JudgePrompts,
  loadJudgePrompts,
  renderJudgeUserTurn,
} from './judges/judge-prompts.js';
export { callQueueName, type ModelCallLimits } from './limits/call-queues.js';
export { createModelGate, type ModelGate } from './limits/model-gate.js';
export { createSemaphore, type Semaphore } from './limits/semaphore.js';
export {
  createQueueWaitRecorder,
  QUEUE_WAIT_BUCKETS_SECONDS,
  type QueueWaitRecorder,
  queueWaitKey,
  readQueueWaits,
} from './metrics/queue-wait.js';
export { chargeForFailure } from './pipeline/charge-policy.js';
export { decideQuery } from './pipeline/decide-query.js';
export type {
  GatewayError,
  GatewayInput,
  GatewayPricing,
  GatewayResult,
  Logger,
  ModelGateway,
  PipelineDeps,
  QueryOptions,
  RecordOptions,
  RoutableQuery,
} from './pipeline/deps.js';
export { completeQuery, failQuery } from './pipeline/finalize-query.js';
export { attemptToObservation, settledObservations } from './pipeline/observations.js';
export { performCall, RefusedJobError, RetryableCallError, ThrottledCallError } from './pipeline/perform-call.js';
export { queryGatewayInput } from './pipeline/query-input.js';
export { routeQuery } from './pipeline/route-query.js';
export { deleteQueueKeys } from './queue-keys.js';
export { createQueues, type QueueSettings, type Queues, type ReplaceOptions } from './queues.js';
export { defaultReconcileSettings, type ReconcileSettings, reconcileQueries, recoveryRoundAt } from './reconcile.js';
export { type CallbackUrlCheck, checkCallbackUrl } from './webhooks/callback-url.js';
export { deliverWebhook, type WebhookSettings } from './webhooks/deliver-webhook.js';
export { signWebhook, verifyWebhookSignature } from './webhooks/sign-webhook.js';
export {
  registerWebhookSigner,
  SIGNER_LEASE_MS,
  type SignerRegistration,
  SigningSecretConflictError,
} from './webhooks/signer-registry.js';
export {
  DEFAULT_MAX_CALLS_IN_FLIGHT,
  type RunningWorkers,
  startWorkers,
  WORKER_ROLES,
  type WorkerRole,
  type WorkerSettings,
} from './workers.js';
