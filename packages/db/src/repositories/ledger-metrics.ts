import type { PrismaClient } from '../client.js';
import { Prisma } from '../generated/prisma/client.js';

/** Upper bounds (seconds) of the call-latency histogram buckets. */
export const LATENCY_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

/** Ledger totals of one (model, role, outcome): counts, tokens, cost, latency histogram. */
export interface CallTotals {
  model: string;
  role: string;
  outcome: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Exact decimal USD, summed by the database. */
  costUsd: string;
  latencySumSeconds: number;
  latencyCount: number;
  /** Cumulative counts per LATENCY_BUCKETS_SECONDS bound. */
  latencyBuckets: number[];
}

/** Stage verdicts of finished queries per answering model, and how queries ended. */
export interface DecisionTotals {
  verdicts: { model: string; decision: string; count: number }[];
  queries: { status: string; outcome: string; escalated: boolean; count: number }[];
}

/**
 * Settled attempts with `completed_at` in (from, to]: the ledger is the one record of every call
 * made by any worker on any host, so totals computed from it are the same whichever API process
 * serves /metrics. Settled rows never change, so a caller can add windows up.
 */
export async function aggregateCalls(prisma: PrismaClient, from: Date, to: Date): Promise<CallTotals[]> {
  const bounds = LATENCY_BUCKETS_SECONDS.map((bound) => bound * 1000);
  // width_bucket(ms - 1, bounds) = how many bounds lie below the latency = the first bucket it fits.
  const rows = await prisma.$queryRaw<
    {
      model: string;
      role: string;
      outcome: string;
      bucket: number | null;
      calls: bigint;
      input_tokens: bigint | null;
      output_tokens: bigint | null;
      cost: string | null;
      latency_sum_ms: bigint | null;
      latency_count: bigint;
    }[]
  >`
    SELECT model, role::text, outcome::text, width_bucket(latency_ms - 1, ${bounds}::int[]) AS bucket,
           count(*) AS calls, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cost_usd)::text AS cost, sum(latency_ms) AS latency_sum_ms, count(latency_ms) AS latency_count
    FROM attempts
    WHERE outcome <> 'started' AND completed_at > ${from} AND completed_at <= ${to}
    GROUP BY 1, 2, 3, 4`;
  const totals = new Map<string, CallTotals & { costs: string[] }>();
  for (const row of rows) {
    const key = `${row.model}\u0000${row.role}\u0000${row.outcome}`;
    const entry = totals.get(key) ?? {
      model: row.model,
      role: row.role,
      outcome: row.outcome,
      calls: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: '0',
      costs: [],
      latencySumSeconds: 0,
      latencyCount: 0,
      latencyBuckets: bounds.map(() => 0),
    };
    entry.calls += Number(row.calls);
    entry.inputTokens += Number(row.input_tokens ?? 0);
    entry.outputTokens += Number(row.output_tokens ?? 0);
    if (row.cost !== null) entry.costs.push(row.cost);
    entry.latencySumSeconds += Number(row.latency_sum_ms ?? 0) / 1000;
    const timed = Number(row.latency_count);
    entry.latencyCount += timed;
    if (row.bucket !== null && timed > 0) {
      for (let index = row.bucket; index < bounds.length; index++)
        entry.latencyBuckets[index] = (entry.latencyBuckets[index] ?? 0) + timed;
    }
    totals.set(key, entry);
  }
  return [...totals.values()].map(({ costs, ...entry }) => ({
    ...entry,
    costUsd: costs.reduce((sum, cost) => sum.plus(cost), new Prisma.Decimal(0)).toFixed(),
  }));
}

/** Queries finished with `completed_at` in (from, to]: how they ended and their stage verdicts. */
export async function aggregateDecisions(prisma: PrismaClient, from: Date, to: Date): Promise<DecisionTotals> {
  const verdicts = await prisma.$queryRaw<{ model: string; decision: string; count: bigint }[]>`
    SELECT verdict->>'model' AS model, verdict->>'decision' AS decision, count(*) AS count
    FROM queries q, jsonb_array_elements(COALESCE(q.outcome->'verdicts', '[]'::jsonb)) AS verdict
    WHERE q.completed_at > ${from} AND q.completed_at <= ${to}
    GROUP BY 1, 2`;
  const queries = await prisma.$queryRaw<{ status: string; outcome: string; escalated: boolean; count: bigint }[]>`
    SELECT status::text, COALESCE(outcome->>'outcome', 'none') AS outcome,
           COALESCE((outcome->>'stage')::int, 0) > 0 AS escalated, count(*) AS count
    FROM queries
    WHERE completed_at > ${from} AND completed_at <= ${to}
    GROUP BY 1, 2, 3`;
  return {
    verdicts: verdicts.map((row) => ({
      model: row.model ?? 'unknown',
      decision: row.decision ?? 'unknown',
      count: Number(row.count),
    })),
    queries: queries.map((row) => ({ ...row, count: Number(row.count) })),
  };
}
