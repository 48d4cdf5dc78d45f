import type { Plan, VerifierRequest } from '@switchyard/core';
import type { PrismaClient } from '@switchyard/db';
import type { Queues } from '../queues.js';

/** What a call sends: the query's own prompt, or constructed messages (LLM judges). */
export interface GatewayInput {
  prompt: string;
  system?: string;
  messages?: { role: 'user' | 'assistant'; content: string }[];
  /**
   * The client's `metadata.recordId`, for the query's own prompt only: the replay provider uses it to
   * pick among recordings of one prompt. Other providers ignore it.
   */
  recordId?: string;
}

export interface GatewayResult {
  text: string;
  provider: string;
  /** Exact cost, decimal string; null = the provider reported no usage (flagged, never $0). */
  costUsd: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  latencyMs: number;
  providerRequestId: string | null;
  finishReason: string | null;
  warnings: string[];
  simulated: boolean;
}

/** Error shape the pipeline maps to queue behaviour (providers' ProviderError satisfies it). */
export interface GatewayError extends Error {
  kind: string;
  isRetryable: boolean;
  retryAfterMs?: number;
  statusCode?: number;
}

/** The pipeline's one door to models: the worker builds it from the model registry. */
export interface ModelGateway {
  /** Provider of a configured model; throws for an unknown model id. */
  providerOf(modelId: string): string;
  /** Worst case of a call (input tokens estimate × input price + max output × output price), decimal USD. */
  worstCaseCostUsd(modelId: string, input: GatewayInput): string;
  generate(modelId: string, input: GatewayInput, signal?: AbortSignal): Promise<GatewayResult>;
}

/** The query fields a router sees. */
export interface RoutableQuery {
  id: string;
  prompt: string;
  system: string | null;
  options: QueryOptions;
  maxCostUsd: string | null;
}

/** Options a client gave with the query (stored in `queries.options`). */
export interface QueryOptions {
  metadata?: Record<string, unknown>;
  /** The cost/accuracy knob in [0,1]; higher pays more for accuracy. */
  quality?: number;
  /** A stored router artifact id, or "fixed"; default: the active artifact, else the fixed router. */
  router?: string;
}

export interface Logger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

export interface PipelineDeps {
  prisma: PrismaClient;
  queues: Queues;
  models: ModelGateway;
  /** The router: a plan for one query. Throwing fails the query with the error's message. */
  planQuery(query: RoutableQuery): Plan | Promise<Plan>;
  /**
   * The trained verifier behind a plan's `verifier` judges (from `plan.artifactId`). Without it, or
   * when it returns undefined, verifier judges abstain.
   */
  verifierFor?(plan: Plan): Promise<((request: VerifierRequest) => number | null) | undefined>;
  logger: Logger;
}
