import { poolLookupById } from '../batching/batcher.js';
import { type PrismaClient, sqlPool } from '../client.js';
import { type Attempt, Prisma } from '../generated/prisma/client.js';

/** The fields of a query the pipeline's jobs read (one round trip, no Prisma engine). */
export interface PipelineQuery {
  id: string;
  prompt: string;
  system: string | null;
  options: unknown;
  plan: unknown;
  status: 'queued' | 'routing' | 'running' | 'completed' | 'failed';
  apiKeyId: string | null;
  /** Decimal USD, or null for no budget. */
  maxCostUsd: string | null;
}

/** A query's pipeline fields as SQL returns them (`PIPELINE_QUERY_COLUMNS`, or the same keys in JSON). */
export interface PipelineQueryRow {
  id: string;
  prompt: string;
  system: string | null;
  options: unknown;
  plan: unknown;
  status: PipelineQuery['status'];
  api_key_id: string | null;
  max_cost_usd: string | null;
}

export function pipelineQueryFromRow(row: PipelineQueryRow): PipelineQuery {
  return {
    id: row.id,
    prompt: row.prompt,
    system: row.system,
    options: row.options,
    plan: row.plan,
    status: row.status,
    apiKeyId: row.api_key_id,
    maxCostUsd: row.max_cost_usd,
  };
}

/** A query as a call or decide job reads it; null when there is none. Batched ({@link poolLookupById}). */
export function readPipelineQuery(prisma: PrismaClient, queryId: string): Promise<PipelineQuery | null> {
  const read = poolLookupById<PipelineQueryRow>(
    sqlPool(prisma),
    'switchyard_read_queries',
    'SELECT * FROM switchyard_read_queries($1::uuid[])',
  );
  return read(queryId).then((row) => (row === null ? null : pipelineQueryFromRow(row)));
}

/**
 * What a decide step reads of an attempt: what the cascade policy observes and what a failure
 * reports; `detail` holds only the finish reason.
 */
export type DecisionAttempt = Pick<
  Attempt,
  'stage' | 'role' | 'slot' | 'model' | 'outcome' | 'output' | 'costUsd' | 'errorCode' | 'errorMessage'
> & { detail: { finish: string } | null };

/** What a decide step reads: the query, its attempts in ledger order, what its key may still spend. */
export interface DecisionState {
  query: PipelineQuery;
  attempts: DecisionAttempt[];
  keyRemainingUsd: string | null;
}

/** An attempt as `switchyard_decision_attempt_json` writes it (migration 20261130090000). */
export interface DecisionAttemptJson {
  stage: number;
  role: Attempt['role'];
  slot: number;
  model: string;
  outcome: Attempt['outcome'];
  output: string | null;
  cost_usd: string | null;
  error_code: string | null;
  error_message: string | null;
  finish: string | null;
}

export function decisionAttemptFromJson(json: DecisionAttemptJson): DecisionAttempt {
  return {
    stage: json.stage,
    role: json.role,
    slot: json.slot,
    model: json.model,
    outcome: json.outcome,
    output: json.output,
    costUsd: json.cost_usd === null ? null : new Prisma.Decimal(json.cost_usd),
    errorCode: json.error_code,
    errorMessage: json.error_message,
    detail: json.finish === null ? null : { finish: json.finish },
  };
}

/**
 * What a decide job needs, in one round trip (`switchyard_decision_state`, migration 20261129230000):
 * the query, its attempts in ledger order, and what its API key may still spend this month (null:
 * no budgeted key).
 */
export async function readDecisionState(prisma: PrismaClient, queryId: string): Promise<DecisionState | null> {
  const { rows } = await sqlPool(prisma).query<{ state: DecisionStateJson | null }>({
    name: 'switchyard_decision_state',
    text: 'SELECT switchyard_decision_state($1) AS state',
    values: [queryId],
  });
  const state = rows[0]?.state;
  return state == null ? null : decisionStateFromJson(state);
}

/** `switchyard_decision_state`'s JSON. */
export interface DecisionStateJson extends PipelineQueryRow {
  attempts: DecisionAttemptJson[];
  key_remaining_usd: string | null;
}

export function decisionStateFromJson(state: DecisionStateJson): DecisionState {
  return {
    query: pipelineQueryFromRow(state),
    attempts: state.attempts.map(decisionAttemptFromJson),
    keyRemainingUsd: state.key_remaining_usd,
  };
}

/** A query's status (null when there is none): what a waiting request polls, one cheap statement. */
export async function readQueryStatus(prisma: PrismaClient, queryId: string): Promise<PipelineQuery['status'] | null> {
  const { rows } = await sqlPool(prisma).query<{ status: PipelineQuery['status'] }>({
    name: 'switchyard_read_query_status',
    text: 'SELECT status::text AS status FROM queries WHERE id = $1',
    values: [queryId],
  });
  return rows[0]?.status ?? null;
}

/** What GET /v1/queries/:id shows of a query (money as Decimal, like Prisma's rows). */
export interface QueryViewRow {
  id: string;
  status: PipelineQuery['status'];
  answer: string | null;
  answerModel: string | null;
  totalCostUsd: Prisma.Decimal;
  maxCostUsd: Prisma.Decimal | null;
  plan: unknown;
  outcome: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  callbackUrl: string | null;
  createdAt: Date;
  completedAt: Date | null;
  feedback: {
    correct: boolean | null;
    score: number | null;
    comment: string | null;
    createdAt: Date;
    updatedAt: Date;
  } | null;
}

/**
 * A query of `apiKeyId` with its feedback, for GET /v1/queries/:id (null when there is none, or it
 * is another key's): one statement, no Prisma engine (clients poll this).
 */
export async function readQueryView(
  prisma: PrismaClient,
  queryId: string,
  apiKeyId: string | null,
): Promise<QueryViewRow | null> {
  const { rows } = await sqlPool(prisma).query<{
    id: string;
    status: PipelineQuery['status'];
    answer: string | null;
    answer_model: string | null;
    total_cost_usd: string;
    max_cost_usd: string | null;
    plan: unknown;
    outcome: unknown;
    error_code: string | null;
    error_message: string | null;
    callback_url: string | null;
    created_at: Date;
    completed_at: Date | null;
    feedback_correct: boolean | null;
    feedback_score: number | null;
    feedback_comment: string | null;
    feedback_created_at: Date | null;
    feedback_updated_at: Date | null;
  }>({
    name: 'switchyard_read_query_view',
    text: `SELECT q.id, q.status::text AS status, q.answer, q.answer_model, q.total_cost_usd::text AS total_cost_usd,
             q.max_cost_usd::text AS max_cost_usd, q.plan, q.outcome, q.error_code, q.error_message, q.callback_url,
             q.created_at, q.completed_at, f.correct AS feedback_correct, f.score AS feedback_score,
             f.comment AS feedback_comment, f.created_at AS feedback_created_at, f.updated_at AS feedback_updated_at
           FROM queries q LEFT JOIN query_feedback f ON f.query_id = q.id
           WHERE q.id = $1 AND q.api_key_id IS NOT DISTINCT FROM $2`,
    values: [queryId, apiKeyId],
  });
  const row = rows[0];
  if (row === undefined) return null;
  return {
    id: row.id,
    status: row.status,
    answer: row.answer,
    answerModel: row.answer_model,
    totalCostUsd: new Prisma.Decimal(row.total_cost_usd),
    maxCostUsd: row.max_cost_usd === null ? null : new Prisma.Decimal(row.max_cost_usd),
    plan: row.plan,
    outcome: row.outcome,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    callbackUrl: row.callback_url,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    feedback:
      row.feedback_created_at === null || row.feedback_updated_at === null
        ? null
        : {
            correct: row.feedback_correct,
            score: row.feedback_score,
            comment: row.feedback_comment,
            createdAt: row.feedback_created_at,
            updatedAt: row.feedback_updated_at,
          },
  };
}
