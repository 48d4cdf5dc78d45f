import { sumUsd } from '@switchyard/core';
import {
  aggregateCalls,
  aggregateDecisions,
  type CallTotals,
  type DecisionTotals,
  LATENCY_BUCKETS_SECONDS,
  type PrismaClient,
} from '@switchyard/db';
import { QUEUE_WAIT_BUCKETS_SECONDS, type Queues, readQueueWaits } from '@switchyard/queues';
import type { Redis } from 'ioredis';
import { PrometheusText } from './prometheus-text.js';

/**
 * Rows settled at least this long ago are final and committed: they are added to the running totals
 * once; newer ones are summed afresh at each scrape.
 */
const SETTLED_AFTER_MS = 60_000;

/**
 * The pipeline's series on /metrics. Calls happen in workers on any host; what they did is in the
 * ledger (attempts) and in finished queries, so the API computes per-model call counts, tokens,
 * cost, latency histograms, stage verdicts and escalations from Postgres, incrementally by
 * completion time: every API process serves the same totals. Queue wait is measured by the workers
 * at pickup and summed in Redis.
 */
export function createPipelineMetrics(deps: { prisma: PrismaClient; queues: Queues }) {
  let watermark = new Date(0);
  const settledCalls = new Map<string, CallTotals>();
  const settledVerdicts = new Map<string, DecisionTotals['verdicts'][number]>();
  const settledQueries = new Map<string, DecisionTotals['queries'][number]>();
  let advancing: Promise<void> | undefined;

  const addCalls = (into: Map<string, CallTotals>, rows: CallTotals[]) => {
    for (const row of rows) {
      const key = `${row.model}\u0000${row.role}\u0000${row.outcome}`;
      const current = into.get(key);
      if (current === undefined) {
        into.set(key, { ...row, latencyBuckets: [...row.latencyBuckets] });
        continue;
      }
      current.calls += row.calls;
      current.inputTokens += row.inputTokens;
      current.outputTokens += row.outputTokens;
      current.costUsd = sumUsd([current.costUsd, row.costUsd]);
      current.latencySumSeconds += row.latencySumSeconds;
      current.latencyCount += row.latencyCount;
      current.latencyBuckets = current.latencyBuckets.map((count, index) => count + (row.latencyBuckets[index] ?? 0));
    }
  };
  const addDecisions = (
    verdicts: Map<string, DecisionTotals['verdicts'][number]>,
    queries: Map<string, DecisionTotals['queries'][number]>,
    totals: DecisionTotals,
  ) => {
    for (const row of totals.verdicts) {
      const key = `${row.model}\u0000${row.decision}`;
      const current = verdicts.get(key);
      verdicts.set(key, { ...row, count: (current?.count ?? 0) + row.count });
    }
    for (const row of totals.queries) {
      const key = `${row.status}\u0000${row.outcome}\u0000${row.escalated}`;
      const current = queries.get(key);
      queries.set(key, { ...row, count: (current?.count ?? 0) + row.count });
    }
  };

  const advance = async () => {
    const to = new Date(Date.now() - SETTLED_AFTER_MS);
    if (to <= watermark) return;
    const [calls, decisions] = await Promise.all([
      aggregateCalls(deps.prisma, watermark, to),
      aggregateDecisions(deps.prisma, watermark, to),
    ]);
    addCalls(settledCalls, calls);
    addDecisions(settledVerdicts, settledQueries, decisions);
    watermark = to;
  };

  return {
    async render(): Promise<string> {
      advancing ??= advance().finally(() => {
        advancing = undefined;
      });
      await advancing;
      const future = new Date(Date.now() + 3_600_000);
      const [recentCalls, recentDecisions] = await Promise.all([
        aggregateCalls(deps.prisma, watermark, future),
        aggregateDecisions(deps.prisma, watermark, future),
      ]);
      const calls = new Map<string, CallTotals>();
      addCalls(calls, [...settledCalls.values()]);
      addCalls(calls, recentCalls);
      const verdicts = new Map(settledVerdicts);
      const queries = new Map(settledQueries);
      addDecisions(verdicts, queries, recentDecisions);

      const text = new PrometheusText();
      text.family('switchyard_model_calls_total', 'counter', 'Model and judge calls settled in the ledger');
      for (const row of calls.values()) {
        text.sample(
          'switchyard_model_calls_total',
          { model: row.model, role: row.role, outcome: row.outcome },
          row.calls,
        );
      }
      text.family('switchyard_model_cost_usd_total', 'counter', 'USD paid for calls (the ledger, exact decimals)');
      for (const row of calls.values()) {
        text.sample(
          'switchyard_model_cost_usd_total',
          { model: row.model, role: row.role, outcome: row.outcome },
          row.costUsd,
        );
      }
      text.family('switchyard_model_tokens_total', 'counter', 'Tokens of settled calls');
      for (const row of calls.values()) {
        const labels = { model: row.model, role: row.role, outcome: row.outcome };
        text.sample('switchyard_model_tokens_total', { ...labels, kind: 'input' }, row.inputTokens);
        text.sample('switchyard_model_tokens_total', { ...labels, kind: 'output' }, row.outputTokens);
      }
      text.family('switchyard_model_call_latency_seconds', 'histogram', 'Latency of model and judge calls');
      for (const row of calls.values()) {
        text.histogram(
          'switchyard_model_call_latency_seconds',
          { model: row.model, role: row.role, outcome: row.outcome },
          LATENCY_BUCKETS_SECONDS,
          row.latencyBuckets,
          row.latencySumSeconds,
          row.latencyCount,
        );
      }
      text.family(
        'switchyard_stage_verdicts_total',
        'counter',
        'Judged cascade stages by answering model: accept (judges passed the answer), escalate, skipped (the call failed)',
      );
      for (const row of verdicts.values()) {
        text.sample('switchyard_stage_verdicts_total', { model: row.model, decision: row.decision }, row.count);
      }
      text.family(
        'switchyard_queries_finished_total',
        'counter',
        'Finished queries by status and cascade outcome; escalated = answered after the first stage',
      );
      for (const row of queries.values()) {
        text.sample(
          'switchyard_queries_finished_total',
          { status: row.status, outcome: row.outcome, escalated: String(row.escalated) },
          row.count,
        );
      }
      const redis = (await deps.queues.route.client) as unknown as Redis;
      const waits = await readQueueWaits(redis, deps.queues.settings.prefix);
      text.family(
        'switchyard_queue_wait_seconds',
        'histogram',
        'Time a job waited in its queue before a worker took it (first try)',
      );
      for (const [queue, wait] of waits) {
        text.histogram(
          'switchyard_queue_wait_seconds',
          { queue },
          QUEUE_WAIT_BUCKETS_SECONDS,
          wait.buckets,
          wait.sumSeconds,
          wait.count,
        );
      }
      return text.toString();
    },
  };
}
