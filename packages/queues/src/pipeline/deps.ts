import type { Plan, VerifierRequest } from '@switchyard/core';
import type { CallPricing, FileStore, PrismaClient } from '@switchyard/db';
import type { JudgePrompts } from '../judges/judge-prompts.js';
import type { ModelCallLimits } from '../limits/call-queues.js';
import type { Queues } from '../queues.js';

/**
 * What a call sends: the query's own prompt (answer and reference calls), or constructed messages with
 * a structured response format (LLM judges, built in the worker from Postgres).
 */
export interface GatewayInput {
  prompt?: string;
  system?: string;
  messages?: { role: 'user' | 'assistant'; content: string }[];
  /** JSON output with this schema (an LLM judge's verdict document). */
  responseFormat?: {
    type: 'json';
    schema: Record<string, unknown>;
    name: string;
    description?: string;
    strict?: boolean;
  };
  /** `judge` calls are capped at the judges' output limit (a verdict is short). Default `answer`. */
  role?: 'answer' | 'judge';
  /**
   * The client's `metadata.recordId`, for the query's own prompt only: the replay provider uses it to
   * pick among recordings of one prompt. Other providers ignore it.
   */
  recordId?: string;
  /** The client's limit on output tokens (OpenAI `max_tokens`); default: the model's configured limit. */
  maxOutputTokens?: number;
  /** The client's sampling temperature, when it gave one. */
  temperature?: number;
}

export interface GatewayResult {
  text: string;
  provider: string;
  /** Exact cost, decimal string; null = the provider reported no usage (charged at the reservation). */
  costUsd: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  latencyMs: number;
  providerRequestId: string | null;
  /** The provider's finish reason as sent (`stop`, `end_turn`, …), or the unified one when it sent none. */
  finishReason: string | null;
  /** The unified finish reason: `stop`, `length`, `content-filter`, `tool-calls`, `error`, `other`. */
  finish: string;
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

/** How a call is priced before it is made, with the input bound behind it (recorded with the attempt). */
export interface GatewayPricing {
  pricing: CallPricing;
  /** The input token upper bound and how it was counted (`o200k_base`, `cl100k_base`, `bytes`). */
  inputTokenBound?: { tokens: number; tokenizer: string };
}

/** The pipeline's one door to models: the worker builds it from the model registry. */
export interface ModelGateway {
  /** Provider of a configured model; throws for an unknown model id. */
  providerOf(modelId: string): string;
  /**
   * How the ledger prices a try of this call: the input's upper-bound cost, the output price and the
   * model's output cap (the ledger sets the request's output limit from the budget), or a cost known
   * in advance (replay). Throws for an unknown model id.
   */
  callPricing(modelId: string, input: GatewayInput): GatewayPricing;
  /**
   * The least a call must be allowed to spend to be made at all (input worst case + the smallest
   * useful output), decimal USD: what the cascade policy checks before it asks for the call.
   */
  minimumCostUsd(modelId: string, input: GatewayInput): string;
  /** Calls the model; `maxOutputTokens` is the limit the ledger reserved for (every request carries one). */
  generate(
    modelId: string,
    input: GatewayInput,
    options?: { maxOutputTokens?: number; signal?: AbortSignal },
  ): Promise<GatewayResult>;
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
  /**
   * The cost/accuracy knob: a position in [0,1] (higher pays more for accuracy) or a preset name
   * (`economy`, `balanced`, `max`, `match`); see core's `resolveKnob`.
   */
  quality?: number | string;
  /** Instead of `quality`: the expected cost per query the trained router should aim at, USD. */
  targetCostUsd?: number;
  /** A stored router artifact id, or "fixed"; default: the active artifact, else the fixed router. */
  router?: string;
  /** A knob preset (`model: "switchyard/<preset>"`); the planner maps it to a quality. */
  preset?: string;
  /** A pool model id to call directly (`model: "<id>"`): one stage, no judges. */
  pinnedModel?: string;
  /**
   * Set only by `switchyard record` (the operator's CLI writes the row; no API route stores it): run
   * every pool model and label each answer, by grading it against `reference` when there is one, else
   * by the LLM judge panel's verdicts.
   */
  record?: RecordOptions;
}

/** What a recording query (`switchyard record`) carries beside its prompt. */
export interface RecordOptions {
  /** The known right answer; null = none, so every answer is judged by the LLM judge panel. */
  reference: string | null;
  /** The input line's id (the dataset record's `id`). */
  id: string;
  /** The input line's number, for messages. */
  line: number;
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
  /** The LLM judge prompts (one version); default `loadJudgePrompts()` of the default version. */
  judgePrompts?: JudgePrompts;
  logger: Logger;
  /** Where uploaded files' bodies are read from (batch expansion; workers with the router role). */
  files?: FileStore;
  /**
   * The models whose calls go to a queue of their own (`call-<model>`), with their limits, enforced
   * across every worker process. Every cascade worker of a deployment must serve the same list (the
   * registry they share). Unset: calls go to the shared cascade queue and no per-model limit applies.
   */
  callModels?: readonly ModelCallLimits[];
}
