export { type BatchResult, createBatcher } from './batching/batcher.js';
export { createPrismaClient, type PrismaClient, sqlPool } from './client.js';
export { connectClient, ensureDatabase, quoteIdentifier } from './connection/connect.js';
export { isDatabaseUnavailable } from './connection/database-errors.js';
export { DatabaseSetupError, type DatabaseTarget, parseDatabaseUrl } from './connection/database-url.js';
export { redactUrl } from './connection/redact-url.js';
export type {
  ApiKey,
  ApiKeyUsage,
  Attempt,
  AttemptTry,
  Batch,
  BatchLineError,
  File,
  Query,
  QueryFeedback,
  RouterArtifact,
  WebhookDelivery,
} from './generated/prisma/client.js';
export { Prisma } from './generated/prisma/client.js';
export {
  AttemptOutcome,
  AttemptRole,
  BatchStatus,
  QueryStatus,
  WebhookStatus,
} from './generated/prisma/enums.js';
export { type MigrationFile, readMigrations } from './migrations/read-migrations.js';
export { type MigrationRunResult, runMigrations } from './migrations/run-migrations.js';
export { defaultMigrationsDirectory } from './paths.js';
export {
  type ApiKeyAuthentication,
  ApiKeyError,
  type ApiKeyPrincipal,
  type ApiKeySummary,
  authenticateApiKey,
  CURRENT_BUDGET_MONTH,
  createApiKey,
  listApiKeys,
  type NewApiKey,
  remainingKeyBudgetUsd,
  revokeApiKey,
  touchApiKey,
} from './repositories/api-keys.js';
export {
  type BodyStats,
  createFileStore,
  type FileStore,
  FileTooLargeError,
  LineCounter,
  type NewFileRow,
  type StoredFile,
} from './repositories/file-store.js';
export {
  type AttemptKey,
  type AttemptSettlement,
  type AttemptTryHandle,
  type BeginAttemptResult,
  beginAttempt,
  type CallPricing,
  type ChargeBasis,
  chargeAttemptTry,
  listAttempts,
  listAttemptTries,
  readAttempt,
  readAttemptByKey,
  settleAttempt,
  settleAttemptAndRead,
  type TryCharge,
} from './repositories/ledger.js';
export {
  aggregateCalls,
  aggregateDecisions,
  type CallTotals,
  type DecisionTotals,
  LATENCY_BUCKETS_SECONDS,
} from './repositories/ledger-metrics.js';
export {
  type DecisionAttempt,
  type DecisionState,
  type PipelineQuery,
  type QueryViewRow,
  readDecisionState,
  readPipelineQuery,
  readQueryStatus,
  readQueryView,
} from './repositories/pipeline-reads.js';
export {
  type AcceptedQuery,
  type BatchCounters,
  type BatchCountersRow,
  finalizeQueryRow,
  findQueryByIdempotencyKey,
  insertQuery,
  markQueryRunning,
  type NewQuery,
  type QueryEnding,
  readQueryForRouting,
  storeQueryPlan,
} from './repositories/pipeline-writes.js';
export {
  activateRouterArtifact,
  findActiveRouterArtifact,
  type NewRouterArtifact,
  saveRouterArtifact,
} from './repositories/router-artifacts.js';
