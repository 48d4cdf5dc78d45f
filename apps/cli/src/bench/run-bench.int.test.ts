import { connectClient, parseDatabaseUrl } from '@switchyard/db';
import { baseTestDatabaseUrl } from '@switchyard/db/testing';
import { describe, expect, it } from 'vitest';
import { runBench } from './run-bench.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function benchDatabases(): Promise<string[]> {
  const server = parseDatabaseUrl(baseTestDatabaseUrl());
  const client = await connectClient(server.maintenanceUrl, server.redacted);
  try {
    const { rows } = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'switchyard_bench_%'",
    );
    return rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

describe('pnpm bench (small)', () => {
  for (const submit of ['queries', 'batch'] as const) {
    it(`runs the whole pipeline on ${submit === 'queries' ? 'POST /v1/queries' : 'a /v1/batches file'}, reports every query and cleans up`, async () => {
      const before = await benchDatabases();
      const logs: string[] = [];
      const result = await runBench({
        databaseUrl: baseTestDatabaseUrl(),
        redisUrl,
        queries: 40,
        workers: 1,
        latencyMs: 0,
        submitConcurrency: 8,
        submit,
        callsInFlight: 32,
        rawJobs: 300,
        rawRuns: 2,
        env: {},
        keep: false,
        log: (line) => logs.push(line),
      });
      expect(result).toMatchObject({
        queries: 40,
        workers: 1,
        submit,
        completed: 40,
        failed: 0,
        inFlightCallLimit: 32,
      });
      // Every query makes at least its first call and is routed by a job of its own.
      expect(result.callsPerQuery).toBeGreaterThanOrEqual(1);
      expect(result.jobsPerQuery).toBeGreaterThanOrEqual(1 + result.callsPerQuery - 0.001);
      expect(result.pipelineQueriesPerSec).toBeGreaterThan(0);
      expect(result.rawBullmqJobsPerSec).toBeGreaterThan(0);
      // The yardstick is the fastest raw run.
      expect(result.rawBullmqRunsJobsPerSec).toHaveLength(2);
      expect(result.rawBullmqJobsPerSec).toBeCloseTo(Math.max(...result.rawBullmqRunsJobsPerSec), 1);
      expect(result.ratioToRaw).toBeCloseTo(result.pipelineQueriesPerSec / result.rawBullmqJobsPerSec, 3);
      expect(result.p99QueryMs).toBeGreaterThanOrEqual(result.p50QueryMs);
      // Where the CPU went: every part did some work (Postgres and Redis run on this host here and in CI).
      const cpu = result.cpuMsPerQuery;
      for (const part of [cpu.workers, cpu.api, cpu.benchClient, cpu.redis, cpu.postgres])
        expect(part).toBeGreaterThan(0);
      expect(logs.some((line) => line.startsWith('pipeline: API http://'))).toBe(true);
      expect(await benchDatabases(), 'its database is dropped').toEqual(before);
    }, 120_000);
  }
});
