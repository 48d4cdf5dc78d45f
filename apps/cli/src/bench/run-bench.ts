import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import {
  connectClient,
  createApiKey,
  createPrismaClient,
  defaultMigrationsDirectory,
  ensureDatabase,
  parseDatabaseUrl,
  quoteIdentifier,
  runMigrations,
} from '@switchyard/db';
import { createQueues, deleteQueueKeys } from '@switchyard/queues';
import { Redis } from 'ioredis';
import { launch, stopProcess } from '../stack/launch-processes.js';
import { startCpuMeter } from './cpu-meter.js';
import { measureRawBullmq } from './raw-bullmq.js';

export interface BenchSettings {
  databaseUrl: string;
  redisUrl: string;
  queries: number;
  workers: number;
  /** Latency of every simulated call, ms. */
  latencyMs: number;
  /** Requests the bench keeps in flight against the API while submitting. */
  submitConcurrency: number;
  /**
   * How the queries come in: `queries` (default), one `POST /v1/queries` each; `batch`, one JSONL
   * file of chat-completion lines uploaded to `/v1/files` and one `POST /v1/batches`, the path of a
   * user with a dataset. Timed from the first request either way.
   */
  submit?: 'queries' | 'batch';
  /** Provider calls in flight per worker process (SWITCHYARD_MAX_CALLS_IN_FLIGHT). */
  callsInFlight: number;
  /** Trivial jobs of the raw BullMQ measurement. */
  rawJobs: number;
  /** Raw BullMQ measurements; the fastest is the yardstick (default 3). */
  rawRuns?: number;
  /** Environment for the API and workers on top of the bench's own (e.g. concurrency settings). */
  env: NodeJS.ProcessEnv;
  keep: boolean;
  /** Extra node flags of the API and workers (e.g. --cpu-prof). */
  nodeArgs?: string[];
  log: (line: string) => void;
}

export interface BenchResult {
  queries: number;
  workers: number;
  latencyMs: number;
  pipelineQueriesPerSec: number;
  callsPerSec: number;
  jobsPerQuery: number;
  rawBullmqJobsPerSec: number;
  /** Every raw BullMQ run; `rawBullmqJobsPerSec` is the fastest. */
  rawBullmqRunsJobsPerSec: number[];
  ratioToRaw: number;
  inFlightCallLimit: number;
  p50QueryMs: number;
  p99QueryMs: number;
  peakRssMb: number;
  submit: 'queries' | 'batch';
  submitSeconds: number;
  pipelineSeconds: number;
  completed: number;
  failed: number;
  callsPerQuery: number;
  /**
   * CPU per query over the pipeline phase, ms, by who spent it (see cpu-meter.ts); postgres is null
   * when its backends are not processes on this host.
   */
  cpuMsPerQuery: { workers: number; api: number; benchClient: number; redis: number | null; postgres: number | null };
  peakRssMbByProcess: Record<string, number>;
}

async function peakRssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return Math.round(kb / 1024);
  } catch {
    return 0;
  }
}

/**
 * The whole distributed pipeline on the sim pool: a fresh database on the configured server, one API
 * and `workers` worker processes on a queue prefix of their own, `queries` queries submitted over HTTP,
 * timed from the first submission to the last query's completion (from the ledger's own timestamps).
 * Plain BullMQ is measured first on the same Redis, so the ratio compares like with like.
 */
export async function runBench(settings: BenchSettings): Promise<BenchResult> {
  const { log } = settings;
  // Plain BullMQ's rate on this machine varies from run to run (6,400-10,700 jobs/s over one session),
  // far more than the pipeline's: the fastest of a few runs is the yardstick, which can only make
  // the ratio smaller.
  const rawRuns = settings.rawRuns ?? 3;
  log(`raw BullMQ: ${settings.rawJobs} trivial jobs, one in-process worker (concurrency 100), ${rawRuns} runs`);
  const rawRates: number[] = [];
  for (let run = 0; run < rawRuns; run += 1) {
    rawRates.push((await measureRawBullmq(settings.redisUrl, { jobs: settings.rawJobs, concurrency: 100 })).jobsPerSec);
  }
  const raw = { jobsPerSec: Math.max(...rawRates) };
  log(`raw BullMQ: ${rawRates.map((rate) => rate.toFixed(0)).join(', ')} jobs/s; the fastest counts`);

  const server = parseDatabaseUrl(settings.databaseUrl);
  const name = `switchyard_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(settings.databaseUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await ensureDatabase(parseDatabaseUrl(databaseUrl));
  await runMigrations({ databaseUrl, migrationsDirectory: defaultMigrationsDirectory });
  const prisma = createPrismaClient({ databaseUrl, maxConnections: 2 });
  const prefix = `sy-bench-${randomBytes(4).toString('hex')}`;
  const { key } = await createApiKey(prisma, { name: 'bench' });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_URL: settings.redisUrl,
    SWITCHYARD_QUEUE_PREFIX: prefix,
    SWITCHYARD_SIM_LATENCY_MS: String(settings.latencyMs),
    SWITCHYARD_MAX_CALLS_IN_FLIGHT: String(settings.callsInFlight),
    SWITCHYARD_WEBHOOK_SECRET: randomBytes(16).toString('hex'),
    // Info: the workers' "worker started" line is how the bench knows they are up.
    LOG_LEVEL: 'info',
    PORT: '0',
    ...settings.env,
  };
  delete env.SWITCHYARD_MODELS;
  delete env.SWITCHYARD_REPLAY;
  const processes: ReturnType<typeof launch>[] = [];
  try {
    for (let index = 0; index < settings.workers; index += 1) {
      processes.push(launch('apps/worker/src/main.ts', env, /(worker started)/, false, settings.nodeArgs));
    }
    await Promise.all(processes.map((process) => process.started));
    const api = launch('apps/api/src/main.ts', env, /listening on (http:\/\/\S+)/, false, settings.nodeArgs);
    processes.push(api);
    const apiUrl = await api.started;
    log(`pipeline: API ${apiUrl}, ${settings.workers} worker process(es), database ${name}, prefix ${prefix}`);

    const submit = settings.submit ?? 'queries';
    const auth = { authorization: `Bearer ${key}` };
    const prompt = (index: number) => {
      const a = 11 + ((index * 37) % 89);
      const b = 3 + ((index * 53) % 71);
      return `What is ${a} + ${b}? (#${index})`;
    };
    // The pipeline is timed on the database's clock, from just before the first request.
    const startedAtDb =
      (await prisma.$queryRaw<{ started: Date }[]>`SELECT now() AS started`)[0]?.started ?? new Date();
    const meterRedis = new Redis(settings.redisUrl);
    const meterDatabase = await connectClient(server.maintenanceUrl, server.redacted);
    const meter = await startCpuMeter({
      workerPids: processes.filter((process) => process !== api).map((process) => process.child.pid ?? 0),
      apiPid: api.child.pid ?? 0,
      redis: meterRedis,
      database: meterDatabase,
      databaseName: name,
    });
    const submitStarted = Date.now();
    let next = 0;
    // The load generator shares the machine with what it measures: one keep-alive socket per request
    // in flight and node:http instead of fetch, whose WHATWG layers cost the client about as much CPU
    // per query as the API spends serving it.
    const agent = new Agent({ keepAlive: true, maxSockets: settings.submitConcurrency });
    const post = (body: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const outgoing = request(
          `${apiUrl}/v1/queries`,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...auth },
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
            incoming.on('end', () =>
              resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            );
            incoming.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    const submitOne = async (): Promise<void> => {
      for (;;) {
        const index = next;
        next += 1;
        if (index >= settings.queries) return;
        const response = await post(JSON.stringify({ prompt: prompt(index), metadata: { answerType: 'number' } }));
        if (response.status !== 202) throw new Error(`submit ${index}: HTTP ${response.status} ${response.text}`);
      }
    };
    const submitBatch = async (): Promise<void> => {
      const lines = Array.from({ length: settings.queries }, (_, index) =>
        JSON.stringify({
          custom_id: `q-${index}`,
          method: 'POST',
          url: '/v1/chat/completions',
          body: {
            model: 'switchyard',
            messages: [{ role: 'user', content: prompt(index) }],
            metadata: { answerType: 'number' },
          },
        }),
      );
      const form = new FormData();
      form.set('purpose', 'batch');
      form.set('file', new Blob([`${lines.join('\n')}\n`], { type: 'application/jsonl' }), 'bench.jsonl');
      const upload = await fetch(`${apiUrl}/v1/files`, { method: 'POST', headers: auth, body: form });
      if (upload.status !== 200) throw new Error(`upload: HTTP ${upload.status} ${await upload.text()}`);
      const file = (await upload.json()) as { id: string };
      const batch = await fetch(`${apiUrl}/v1/batches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
      });
      if (batch.status !== 200) throw new Error(`batch: HTTP ${batch.status} ${await batch.text()}`);
      await batch.arrayBuffer();
      next = settings.queries;
    };
    const submitting =
      submit === 'batch'
        ? submitBatch()
        : Promise.all(Array.from({ length: settings.submitConcurrency }, submitOne)).then(() => {});
    let lastLog = 0;
    let finished = 0;
    let submitSeconds = 0;
    void submitting.then(() => {
      submitSeconds = (Date.now() - submitStarted) / 1000;
    });
    for (;;) {
      const rows = await prisma.$queryRaw<{ done: bigint }[]>`
        SELECT count(*) AS done FROM queries WHERE status IN ('completed', 'failed')`;
      finished = Number(rows[0]?.done ?? 0);
      if (Date.now() - lastLog > 2_000) {
        lastLog = Date.now();
        log(
          `  ${Math.min(next, settings.queries)} submitted, ${finished} finished, ${((Date.now() - submitStarted) / 1000).toFixed(0)} s`,
        );
      }
      if (finished >= settings.queries) break;
      // Counting the finished rows reads an index that grows with the run, on the database being
      // measured: once a second. The rate is timed from the rows' own completion times, not from here.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    await submitting;
    agent.destroy();
    const cpu = await meter.stop();
    meterRedis.disconnect();
    await meterDatabase.end();
    const perQuery = (seconds: number | null) => (seconds === null ? null : round((seconds * 1000) / settings.queries));

    const [timing] = await prisma.$queryRaw<
      { seconds: number; p50: number; p99: number; completed: bigint; failed: bigint }[]
    >`
      SELECT EXTRACT(EPOCH FROM max(completed_at) - ${startedAtDb}::timestamptz)::float8 AS seconds,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - created_at) * 1000)::float8 AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - created_at) * 1000)::float8 AS p99,
             count(*) FILTER (WHERE status = 'completed') AS completed,
             count(*) FILTER (WHERE status = 'failed') AS failed
      FROM queries`;
    const calls = Number(
      (await prisma.$queryRaw<{ calls: bigint }[]>`SELECT count(*) AS calls FROM attempt_tries`)[0]?.calls ?? 0,
    );
    const queues = createQueues({ redisUrl: settings.redisUrl, prefix });
    let jobs = 0;
    for (const queue of [queues.route, queues.cascade, queues.webhook, ...(await queues.listCallQueues())]) {
      const metrics = await queue.getMetrics('completed');
      const failed = await queue.getMetrics('failed');
      jobs += metrics.meta.count + failed.meta.count;
    }
    await queues.close();
    const rss: Record<string, number> = {};
    for (const [index, process] of processes.entries()) {
      rss[index === processes.length - 1 ? 'api' : `worker${index + 1}`] = await peakRssMb(process.child.pid);
    }
    const seconds = timing?.seconds ?? 0;
    const pipelineQueriesPerSec = settings.queries / seconds;
    return {
      queries: settings.queries,
      workers: settings.workers,
      latencyMs: settings.latencyMs,
      pipelineQueriesPerSec: round(pipelineQueriesPerSec),
      callsPerSec: round(calls / seconds),
      jobsPerQuery: round(jobs / settings.queries),
      rawBullmqJobsPerSec: round(raw.jobsPerSec),
      rawBullmqRunsJobsPerSec: rawRates.map((rate) => round(rate)),
      ratioToRaw: round(pipelineQueriesPerSec / raw.jobsPerSec, 4),
      // The sim pool's models set no concurrency of their own: the process-wide cap is the limit.
      inFlightCallLimit: settings.callsInFlight * settings.workers,
      p50QueryMs: Math.round(timing?.p50 ?? 0),
      p99QueryMs: Math.round(timing?.p99 ?? 0),
      peakRssMb: Math.max(...Object.values(rss)),
      submit,
      submitSeconds: round(submitSeconds),
      pipelineSeconds: round(seconds),
      completed: Number(timing?.completed ?? 0),
      failed: Number(timing?.failed ?? 0),
      callsPerQuery: round(calls / settings.queries),
      cpuMsPerQuery: {
        workers: perQuery(cpu.workers) ?? 0,
        api: perQuery(cpu.api) ?? 0,
        benchClient: perQuery(cpu.benchClient) ?? 0,
        redis: perQuery(cpu.redis),
        postgres: perQuery(cpu.postgres),
      },
      peakRssMbByProcess: rss,
    };
  } finally {
    await Promise.all(processes.map(({ child }) => stopProcess(child)));
    await prisma.$disconnect();
    if (!settings.keep) {
      await deleteQueueKeys(settings.redisUrl, prefix);
      const admin = await connectClient(server.maintenanceUrl, server.redacted);
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    } else {
      log(`kept database ${name} and queue prefix ${prefix}`);
    }
  }
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
