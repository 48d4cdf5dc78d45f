import { createHash } from 'node:crypto';

/**
 * Every model has a queue of its own for its calls, so its limits (calls in flight, requests per
 * minute, a provider's 429) hold for every worker process at once: BullMQ keeps a queue's global
 * concurrency and rate limit in Redis. Model ids may hold characters BullMQ or Redis Cluster hash
 * tags do not like (`:`, `{`, `}`, spaces); those become `_` and a short hash keeps names distinct.
 */
export function callQueueName(modelId: string): string {
  const safe = modelId.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe === modelId) return `call-${modelId}`;
  return `call-${safe}-${createHash('sha256').update(modelId).digest('hex').slice(0, 8)}`;
}

/** The Redis hash of the model ids workers serve: id → unix seconds when a worker first served it. */
export function servedModelsKey(prefix: string): string {
  return `${prefix}:switchyard:served-models`;
}

/** The Redis set (under the deployment's prefix) naming every call queue a worker has served. */
export function callQueueRegistryKey(prefix: string): string {
  return `${prefix}:switchyard:call-queues`;
}

/** Per-model limits, from the model registry (`concurrency`, `rpm`, `tpm`). */
export interface ModelCallLimits {
  /** The model's id in plans and the ledger. */
  id: string;
  /** Calls in flight to this model across every worker process; null = none of its own. */
  concurrency: number | null;
  /** Requests per minute across every worker process; null = none. */
  rpm: number | null;
  /** Tokens per minute (input bound + output limit of each request) across every worker; null = none. */
  tpm: number | null;
}
