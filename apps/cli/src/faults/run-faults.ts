import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  connectClient,
  createApiKey,
  createPrismaClient,
  defaultMigrationsDirectory,
  ensureDatabase,
  parseDatabaseUrl,
  runMigrations,
} from '@switchyard/db';
import { type PrivatePostgres, startPrivatePostgres } from '@switchyard/db/testing';
import { seededRandom as random } from '@switchyard/training';
import { launch, stopProcess } from '../stack/launch-processes.js';
import { type CallbackReceiver, startCallbackReceiver } from './callback-receiver.js';
import { FAKE_MODELS, type FakeProvider, startFakeProvider } from './fake-provider.js';
import { checkInvariants, type InvariantResult, type Submissions } from './invariants.js';
import { type PrivateRedis, startPrivateRedis } from './private-redis.js';

export interface FaultSettings {
  /** Queries submitted (duplicates and refused submissions not counted). */
  queries: number;
  /** The CI version: a shorter submission window, fewer kills; the same kinds of fault. */
  short: boolean;
  /** Seed of every random draw (faults, latencies, receivers). */
  seed: number;
  log: (line: string) => void;
}

export interface InjectedFault {
  fault: string;
  count: number;
  detail: string;
}

export interface FaultReport {
  settings: { queries: number; short: boolean; seed: number };
  faults: InjectedFault[];
  invariants: InvariantResult[];
  /** From the first submission to the last callback, s. */
  seconds: number;
}

/** How long the harness waits, after the last fault, for every query to end and every callback to arrive. */
const SETTLE_TIMEOUT_MS = 180_000;
/** Postgres outage, ms (issue 13: "stop Postgres for 10 s"). */
const POSTGRES_OUTAGE_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A worker or API process the harness runs, restarts after it kills it, and watches for deaths it did not cause. */
interface Managed {
  name: string;
  script: string;
  extra: NodeJS.ProcessEnv;
  ready: RegExp;
  current: ReturnType<typeof launch>;
  /** Deaths the harness did not cause (a crash): each is restarted, and counted against the run. */
  crashes: number;
  killing: boolean;
  stopped: boolean;
}

/**
 * The fault harness behind `pnpm test:faults`: a private Postgres and Redis, a provider that answers
 * 429 and 500 on purpose, a webhook receiver that fails on purpose, one API and three workers (one
 * routing and sending callbacks with the reconciler, two running calls); a batch of queries submitted
 * while cascade workers are SIGKILLed, Redis restarts (once keeping its data, once losing it),
 * Postgres stops for 10 s and some queries are submitted twice with one Idempotency-Key. Then the
 * ledger, the deliveries and the provider's own log are checked against each other.
 */
export async function runFaults(settings: FaultSettings): Promise<FaultReport> {
  const { log } = settings;
  const draw = random(settings.seed);
  const cleanups: (() => Promise<unknown>)[] = [];
  const managed: Managed[] = [];
  try {
    log('starting a private Postgres and Redis, the fake provider and the webhook receiver');
    const postgres: PrivatePostgres = await startPrivatePostgres();
    cleanups.push(() => postgres.destroy());
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.destroy());
    const provider: FakeProvider = await startFakeProvider({
      rateLimitedShare: 0.08,
      retryAfterSeconds: 1,
      serverErrorShare: 0.05,
      latencyMs: [150, 600],
      seed: settings.seed,
    });
    cleanups.push(() => provider.close());
    const receiver: CallbackReceiver = await startCallbackReceiver({ failShare: 0.2, draw });
    cleanups.push(() => receiver.close());

    const databaseUrl = postgres.url.replace(/\/postgres$/, '/switchyard_faults');
    await ensureDatabase(parseDatabaseUrl(databaseUrl));
    await runMigrations({ databaseUrl, migrationsDirectory: defaultMigrationsDirectory });
    const prisma = createPrismaClient({ databaseUrl, maxConnections: 1 });
    // The main tenant has room; the tight one runs out during the run (402 at submission, or a
    // cascade stopped by its monthly budget).
    const main = await createApiKey(prisma, { name: 'faults-main', monthlyBudgetUsd: '10' });
    const tight = await createApiKey(prisma, { name: 'faults-tight', monthlyBudgetUsd: '0.0004' });
    await prisma.$disconnect();

    const directory = await mkdtemp(path.join(tmpdir(), 'sy-faults-'));
    cleanups.push(() => rm(directory, { recursive: true, force: true }));
    const modelsFile = path.join(directory, 'models.json');
    await writeFile(
      modelsFile,
      JSON.stringify({
        models: FAKE_MODELS.map((model) => ({
          id: model.id,
          provider: 'openai',
          model: model.id,
          baseURL: provider.baseUrl,
          apiKeyEnv: 'SWITCHYARD_FAULTS_PROVIDER_KEY',
          inputUsdPerMTok: model.inputUsdPerMTok,
          outputUsdPerMTok: model.outputUsdPerMTok,
          priceSource: 'fault harness fake provider',
          maxOutputTokens: 64,
          tier: model.tier,
        })),
      }),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      SWITCHYARD_QUEUE_PREFIX: 'faults',
      SWITCHYARD_MODELS: modelsFile,
      SWITCHYARD_FAULTS_PROVIDER_KEY: 'sk-fault-harness',
      SWITCHYARD_WEBHOOK_SECRET: randomBytes(24).toString('hex'),
      SWITCHYARD_ADMIN_TOKEN: randomBytes(24).toString('hex'),
      SWITCHYARD_ALLOW_PRIVATE_CALLBACKS: 'true',
      SWITCHYARD_CALL_TIMEOUT_MS: '10000',
      SWITCHYARD_CALL_BACKOFF_MS: '200',
      SWITCHYARD_CASCADE_CONCURRENCY: '8',
      // A killed worker's jobs are taken over within seconds, not a minute.
      SWITCHYARD_LOCK_DURATION_MS: '4000',
      SWITCHYARD_STALLED_INTERVAL_MS: '1000',
      SWITCHYARD_RECONCILE_INTERVAL_MS: '1000',
      SWITCHYARD_RECONCILE_QUEUED_AFTER_MS: '3000',
      // Above the call timeout, as in production.
      SWITCHYARD_RECONCILE_STALLED_AFTER_MS: '15000',
      LOG_LEVEL: 'info',
      PORT: '0',
    };
    delete env.SWITCHYARD_REPLAY;
    delete env.SWITCHYARD_QUALITY;

    const spawnInto = (entry: Managed) => {
      entry.current = launch(entry.script, { ...env, ...entry.extra }, entry.ready, false);
      entry.current.child.once('exit', () => {
        if (entry.stopped || entry.killing) return;
        entry.crashes += 1;
        log(`${entry.name} died unasked; restarting it:\n${entry.current.tail()}`);
        spawnInto(entry);
      });
    };
    const start = (name: string, script: string, extra: NodeJS.ProcessEnv, ready: RegExp): Managed => {
      const entry = { name, script, extra, ready, crashes: 0, killing: false, stopped: false } as Managed;
      spawnInto(entry);
      managed.push(entry);
      return entry;
    };
    const router = start(
      'router worker',
      'apps/worker/src/main.ts',
      { SWITCHYARD_WORKER_ROLES: 'router,webhook' },
      /(worker started)/,
    );
    const cascades = [1, 2].map((index) =>
      start(
        `cascade worker ${index}`,
        'apps/worker/src/main.ts',
        { SWITCHYARD_WORKER_ROLES: 'cascade' },
        /(worker started)/,
      ),
    );
    await Promise.all([router, ...cascades].map((entry) => entry.current.started));
    // The API keeps its first port across restarts (none planned: it must survive every fault).
    const api = start('api', 'apps/api/src/main.ts', {}, /listening on (http:\/\/\S+)/);
    const apiUrl = await api.current.started;
    log(`stack up: API ${apiUrl}, 3 workers, Redis ${redis.url}, Postgres ${postgres.url}`);

    // --- the batch --------------------------------------------------------------------------------
    const submissions: Submissions = { idsByKey: new Map(), unexpected: [] };
    const clientRetries = { unavailable: 0, dropped: 0, keyBudget: 0 };
    // One body per query: a duplicate must be the same request, or it is a 409.
    const bodies = Array.from({ length: settings.queries }, (_, index) => ({
      prompt: `What is ${10 + Math.floor(draw() * 900)} + ${10 + Math.floor(draw() * 900)}? (fault run ${settings.seed}, query ${index})`,
      metadata: { answerType: 'number' },
      callbackUrl: receiver.url,
      // Some queries with a budget that only the cheapest calls fit.
      ...(index % 7 === 3 ? { maxCostUsd: 0.00002 } : {}),
    }));
    const submitOne = (index: number, idempotencyKey: string): Promise<void> =>
      submitUntilAnswered(
        apiUrl,
        index % 10 === 9 ? tight.key : main.key,
        idempotencyKey,
        bodies[index] as object,
        submissions,
        clientRetries,
      );
    const submissionWindowMs = settings.short ? 24_000 : Math.max(30_000, settings.queries * 150);
    const duplicateEvery = 8;
    const started = Date.now();
    const submitting = (async () => {
      const pending: Promise<void>[] = [];
      for (let index = 0; index < settings.queries; index++) {
        await sleep(started + (index * submissionWindowMs) / settings.queries - Date.now());
        const key = `fault-${settings.seed}-${index}`;
        pending.push(submitOne(index, key));
        // The same request again at once (a client retrying on its own) with the same key.
        if (index % duplicateEvery === 0) pending.push(submitOne(index, key));
      }
      await Promise.all(pending);
      // And once more after everything (a client replaying its log).
      await Promise.all(
        Array.from({ length: settings.queries }, (_, index) => index)
          .filter((index) => index % duplicateEvery === 0)
          .map((index) => submitOne(index, `fault-${settings.seed}-${index}`)),
      );
    })();

    // --- the faults -------------------------------------------------------------------------------
    const faults = { kills: 0, redisKept: 0, redisLost: 0, postgresStops: 0 };
    const kill = async (entry: Managed) => {
      entry.killing = true;
      const exited = new Promise((resolve) => entry.current.child.once('exit', resolve));
      entry.current.child.kill('SIGKILL');
      await exited;
      faults.kills += 1;
      log(
        `  SIGKILL ${entry.name} (pid ${entry.current.child.pid}) at ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      // What a supervisor does (pnpm start, compose restart:), after a second.
      await sleep(1_000);
      if (entry.stopped) return;
      entry.killing = false;
      spawnInto(entry);
      await entry.current.started.catch((error: Error) => log(`${entry.name} did not come back: ${error.message}`));
    };
    const window = submissionWindowMs;
    const postgresAt = 0.4 * window;
    const schedule: { atMs: number; name: string; run: () => Promise<void> }[] = [
      {
        atMs: 0.2 * window,
        name: 'Redis restart (data kept)',
        run: async () => {
          await redis.restart({ keep: true, downMs: 1_000 });
          faults.redisKept += 1;
        },
      },
      {
        atMs: postgresAt,
        name: `Postgres stopped for ${POSTGRES_OUTAGE_MS / 1000} s`,
        run: async () => {
          await postgres.stop('fast');
          await sleep(POSTGRES_OUTAGE_MS);
          await postgres.start();
          faults.postgresStops += 1;
        },
      },
      {
        atMs: Math.max(0.8 * window, postgresAt + POSTGRES_OUTAGE_MS + 3_000),
        name: 'Redis restart (data lost)',
        run: async () => {
          await redis.restart({ keep: false, downMs: 1_000 });
          faults.redisLost += 1;
        },
      },
    ];
    const killEveryMs = settings.short ? 7_000 : 6_000;
    for (let at = 2_000, next = 0; at < window + 4_000; at += killEveryMs, next += 1) {
      const entry = cascades[next % cascades.length] as Managed;
      schedule.push({ atMs: at, name: `SIGKILL ${entry.name}`, run: () => kill(entry) });
    }
    const injecting = Promise.all(
      schedule.map(async (fault) => {
        await sleep(started + fault.atMs - Date.now());
        log(`fault at ${((Date.now() - started) / 1000).toFixed(1)} s: ${fault.name}`);
        await fault.run();
      }),
    );
    let lastProgress = 0;
    const progress = setInterval(() => {
      if (Date.now() - lastProgress < 5_000) return;
      lastProgress = Date.now();
      log(
        `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${submissions.idsByKey.size} queries accepted, provider ${JSON.stringify(provider.counts())}, callbacks ${receiver.accepted.length}`,
      );
    }, 1_000);
    cleanups.push(async () => clearInterval(progress));
    await Promise.all([submitting, injecting]);
    log(`faults done at ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for every query and callback`);

    // --- settle -----------------------------------------------------------------------------------
    const database = await connectClient(databaseUrl, 'the fault run database');
    cleanups.push(() => database.end());
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const { rows } = await database.query<{ open: string; undelivered: string }>(
        `SELECT count(*) FILTER (WHERE status NOT IN ('completed', 'failed'))::text AS open,
                (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending')::text AS undelivered
         FROM queries`,
      );
      const open = Number(rows[0]?.open);
      const undelivered = Number(rows[0]?.undelivered);
      if (open === 0 && undelivered === 0) break;
      if (Date.now() > deadline) {
        log(`gave up waiting: ${open} queries open, ${undelivered} callbacks pending`);
        break;
      }
      await sleep(500);
    }
    const seconds = (Date.now() - started) / 1000;

    const invariants = await checkInvariants(database, {
      submissions,
      providerRequests: provider.requests,
      callbacks: receiver.accepted,
    });
    const crashes = managed.reduce((sum, entry) => sum + entry.crashes, 0);
    invariants.push({
      invariant: 'no process died except those killed on purpose',
      held: crashes === 0,
      detail: crashes === 0 ? 'API and every worker survived the other faults' : `${crashes} unplanned deaths`,
    });
    const counts = provider.counts();
    const faultsInjected: InjectedFault[] = [
      {
        fault: 'SIGKILL of a cascade worker (restarted 1 s later)',
        count: faults.kills,
        detail: 'calls in flight die with it',
      },
      { fault: 'Redis restart, data kept (append-only file)', count: faults.redisKept, detail: 'down 1 s' },
      { fault: 'Redis restart, data lost', count: faults.redisLost, detail: 'down 1 s; every queue gone' },
      {
        fault: 'Postgres stopped (pg_ctl stop -m fast)',
        count: faults.postgresStops,
        detail: `${POSTGRES_OUTAGE_MS / 1000} s each; the client saw ${clientRetries.unavailable} × 503 and retried`,
      },
      {
        fault: 'provider 429 with retry-after: 1',
        count: counts.rateLimited,
        detail: `of ${counts.requests} requests`,
      },
      { fault: 'provider 500', count: counts.serverErrors, detail: `of ${counts.requests} requests` },
      {
        fault: 'webhook receiver 500',
        count: receiver.refused(),
        detail: 'the first delivery of every callback, and 20 % of the others',
      },
      {
        fault: 'duplicate submission (same Idempotency-Key)',
        count: Math.ceil(settings.queries / duplicateEvery) * 2,
        detail: 'at once, and again after the batch',
      },
      {
        fault: 'queries of a tenant whose monthly budget runs out ($0.0004)',
        count: bodies.filter((_, index) => index % 10 === 9).length,
        detail: `${clientRetries.keyBudget} refused with 402 key_budget_exhausted, the others stopped by the budget or within it`,
      },
      {
        fault: 'queries whose own budget fits only the cheapest call ($0.00002)',
        count: bodies.filter((body) => 'maxCostUsd' in body).length,
        detail: 'maxCostUsd',
      },
    ];
    return {
      settings: { queries: settings.queries, short: settings.short, seed: settings.seed },
      faults: faultsInjected,
      invariants,
      seconds: Math.round(seconds),
    };
  } finally {
    for (const entry of managed) entry.stopped = true;
    await Promise.all(managed.map((entry) => stopProcess(entry.current.child)));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/**
 * POSTs one query like a careful client: the same Idempotency-Key on every try, again after a 503
 * (`retry-after`) or a dropped connection, for up to two minutes. 202 and 402 (the key's budget is
 * spent) are answers; anything else is recorded as unexpected.
 */
async function submitUntilAnswered(
  apiUrl: string,
  apiKey: string,
  idempotencyKey: string,
  body: object,
  submissions: Submissions,
  counters: { unavailable: number; dropped: number; keyBudget: number },
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    let response: Response;
    try {
      response = await fetch(`${apiUrl}/v1/queries`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${apiKey}`,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      counters.dropped += 1;
      if (Date.now() > deadline) {
        submissions.unexpected.push(`${idempotencyKey}: ${(error as Error).message}`);
        return;
      }
      await sleep(1_000);
      continue;
    }
    const text = await response.text();
    if (response.status === 202 || response.status === 200) {
      const id = (JSON.parse(text) as { id: string }).id;
      submissions.idsByKey.set(idempotencyKey, (submissions.idsByKey.get(idempotencyKey) ?? new Set()).add(id));
      return;
    }
    if (response.status === 402 && text.includes('key_budget_exhausted')) {
      // A key already answered with a query must be answered with it again, budget or not.
      if (submissions.idsByKey.has(idempotencyKey)) {
        submissions.unexpected.push(`${idempotencyKey}: 402 for a key that already has a query`);
      }
      counters.keyBudget += 1;
      return;
    }
    if (response.status === 503 && Date.now() < deadline) {
      counters.unavailable += 1;
      await sleep(Number(response.headers.get('retry-after') ?? '1') * 1_000);
      continue;
    }
    submissions.unexpected.push(`${idempotencyKey}: HTTP ${response.status} ${text.slice(0, 200)}`);
    return;
  }
}

/** The report as Markdown tables: faults injected, invariants held. */
export function formatFaultReport(report: FaultReport): string {
  const lines = [
    `fault run: ${report.settings.queries} queries${report.settings.short ? ' (--short)' : ''}, seed ${report.settings.seed}, ${report.seconds} s`,
    '',
    '| fault injected | count | detail |',
    '|---|---:|---|',
    ...report.faults.map((fault) => `| ${fault.fault} | ${fault.count} | ${fault.detail} |`),
    '',
    '| invariant | held | detail |',
    '|---|---|---|',
    ...report.invariants.map((row) => `| ${row.invariant} | ${row.held ? 'yes' : '**NO**'} | ${row.detail} |`),
  ];
  return lines.join('\n');
}
