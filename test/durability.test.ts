import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttemptRow,
  countQueueKeys,
  databaseOutage,
  deleteQueueKeys,
  LedgerReader,
  picoUsd,
  type QueryRow,
  waitFor,
} from './support/ledger.js';
import { mixDirectory, type RecordLine, readMixRecords } from './support/mix-records.js';
import { type Stack, startStack, type WorkerProcess } from './support/stack.js';

// "Nothing accepted is lost: a query, an attempt, a cost, a webhook survives worker crashes and
// restarts of Redis or Postgres; retries never pay twice for the same call." Each test below breaks
// the stack on purpose while model calls are in flight (replayed with a latency), then checks the
// ledger row by row against what it held at the moment of the failure.

const datasetDirectory = mixDirectory;
// Every 23rd record: a spread over the four benchmarks in the file.
const records: RecordLine[] = readMixRecords().filter((_, index) => index % 23 === 0);

/** Every replayed call takes this long, so a kill always finds calls in flight. */
const REPLAY_LATENCY_MS = '400';
/**
 * A crashed worker's jobs come back after its lock expires plus up to two stalled checks (the first
 * marks active jobs, the next moves those still unlocked). The defaults (30 s + 30 s) would make each
 * test take minutes.
 */
const FAST_STALL_RECOVERY = { SWITCHYARD_LOCK_DURATION_MS: '4000', SWITCHYARD_STALLED_INTERVAL_MS: '1000' };
/** A reconciler that sweeps twice a second and acts on work idle for a couple of seconds. */
const FAST_RECONCILER = {
  SWITCHYARD_RECONCILE_INTERVAL_MS: '500',
  SWITCHYARD_RECONCILE_QUEUED_AFTER_MS: '1000',
  SWITCHYARD_RECONCILE_STALLED_AFTER_MS: '3000',
};

interface Submitted {
  record: RecordLine;
  id: string;
}

async function submit(stack: Stack, batch: RecordLine[], callbackUrl?: string): Promise<Submitted[]> {
  return Promise.all(
    batch.map(async (record) => {
      const response = await fetch(`${stack.apiUrl}/v1/queries`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...stack.auth },
        body: JSON.stringify({
          prompt: record.prompt,
          metadata: { answerType: record.answerType, recordId: record.id },
          ...(callbackUrl ? { callbackUrl } : {}),
        }),
        // An API that cannot answer must fail the test, not hang it.
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await response.json()) as { id?: string };
      expect(response.status, JSON.stringify(body)).toBe(202);
      return { record, id: body.id as string };
    }),
  );
}

function waitUntilFinal(ledger: LedgerReader, ids: string[], timeoutMs: number, logs: () => string) {
  return waitFor(
    `${ids.length} queries to finish`,
    async () => {
      const rows = await ledger.queries(ids);
      return rows.length === ids.length && rows.every((row) => row.status === 'completed' || row.status === 'failed')
        ? rows
        : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  ).catch(async (error: Error) => {
    const rows = await ledger.queries(ids);
    const counts = rows.reduce<Record<string, number>>((acc, row) => {
      acc[row.status] = (acc[row.status] ?? 0) + 1;
      return acc;
    }, {});
    throw new Error(`${error.message}; statuses ${JSON.stringify(counts)}\n--- logs ---\n${logs().slice(-4000)}`);
  });
}

/**
 * The ledger invariants after recovery, for every query of `submitted`:
 * completed with a recorded answer; no attempt left `started`; one row per call and no model called
 * twice; each attempt costs its recording once per try (a try interrupted by a crash may have been
 * billed); total = sum of attempts; no reservation left.
 * Against `before` (the ledger at the failure): attempts settled before it are untouched (never
 * re-called, never re-charged); attempts in flight end succeeded, called once more if their worker
 * died (`resumed`), not again if it lived on.
 */
async function expectLedgerIntact(
  ledger: LedgerReader,
  submitted: Submitted[],
  before: AttemptRow[],
  inFlight: 'resumed' | 'finished by the live worker' = 'resumed',
) {
  const ids = submitted.map((item) => item.id);
  const queries = new Map((await ledger.queries(ids)).map((row) => [row.id, row]));
  const attempts = await ledger.attempts(ids);
  expect(await ledger.duplicateKeys(ids)).toEqual([]);
  expect(
    attempts.filter((attempt) => attempt.outcome === 'started'),
    'no attempt is left started',
  ).toEqual([]);

  for (const { record, id } of submitted) {
    const query = queries.get(id) as QueryRow;
    expect(query.status, `${id}: ${query.error_code}`).toBe('completed');
    expect(query.answer).toBe(record.responses[query.answer_model as string]?.text);
    const own = attempts.filter((attempt) => attempt.query_id === id);
    expect(own.length).toBeGreaterThan(0);
    const models = own.map((attempt) => `${attempt.role}:${attempt.model}`);
    expect(new Set(models).size, `${id}: no model is called twice for one query`).toBe(models.length);
    let sum = 0n;
    for (const attempt of own) {
      expect(attempt.outcome, `${id} ${attempt.model}`).toBe('succeeded');
      // Every provider request is charged: a try cut off by a crash (or whose answer could not be
      // recorded) may have been billed, so it costs its reservation, which for replay is the recording.
      expect(picoUsd(attempt.cost_usd), `${id} ${attempt.model}: cost = the recording's × tries`).toBe(
        picoUsd(record.responses[attempt.model]?.costUsd ?? -1) * BigInt(attempt.tries),
      );
      sum += picoUsd(attempt.cost_usd);
    }
    expect(picoUsd(query.total_cost_usd), `${id}: total = sum of attempts`).toBe(sum);
    expect(picoUsd(query.reserved_cost_usd), `${id}: reservation released`).toBe(0n);
  }

  // In flight at the failure: called again exactly once if the worker died (the resumed job), not at
  // all if the worker lived on (its call finished and was recorded). Settled before the failure:
  // reused as it was, never called or charged again.
  const after = new Map(attempts.map((attempt) => [attempt.id, attempt]));
  const show = (attempt: AttemptRow | undefined) =>
    attempt
      ? `${attempt.query_id} ${attempt.model}: ${attempt.outcome}, tries ${attempt.tries}, $${attempt.cost_usd}`
      : 'gone';
  const inFlightAtFailure = before.filter((attempt) => attempt.outcome === 'started');
  expect(
    inFlightAtFailure.map((earlier) => show(after.get(earlier.id))),
    `calls in flight: ${inFlight}`,
  ).toEqual(
    inFlightAtFailure.map((earlier) =>
      show({
        ...(after.get(earlier.id) ?? earlier),
        outcome: 'succeeded',
        tries: inFlight === 'resumed' ? earlier.tries + 1 : earlier.tries,
      }),
    ),
  );
  const settledBefore = before.filter((attempt) => attempt.outcome !== 'started');
  expect(
    settledBefore.map((earlier) => after.get(earlier.id)),
    'settled attempts are untouched',
  ).toEqual(settledBefore);
}

/** Calls in flight, and queries per status, of `ids`. */
async function progress(ledger: LedgerReader, ids: string[]) {
  const attempts = await ledger.attempts(ids);
  const queries = await ledger.queries(ids);
  return {
    inFlight: attempts.filter((attempt) => attempt.outcome === 'started').length,
    completed: queries.filter((query) => query.status === 'completed').length,
    queued: queries.filter((query) => query.status === 'queued').length,
  };
}

/** Records callbacks; answers 503 (retry later) until `accept` is set. */
class CallbackServer {
  accept = false;
  /** Query ids of the callbacks answered 2xx, with how often each came. */
  readonly delivered = new Map<string, number>();
  refused = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        if (!this.accept) {
          this.refused += 1;
          response.writeHead(503).end();
          return;
        }
        const payload = JSON.parse(body) as { event: string; query: { id: string; status: string } };
        if (payload.event === 'query.completed') {
          this.delivered.set(payload.query.id, (this.delivered.get(payload.query.id) ?? 0) + 1);
        }
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/hook`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('durability: nothing accepted is lost', () => {
  let stack: Stack;
  let ledger: LedgerReader;
  /** The worker running the fast reconciler, once a test started it. */
  let reconcilingWorker: WorkerProcess | undefined;
  beforeAll(async () => {
    stack = await startStack({
      SWITCHYARD_REPLAY: datasetDirectory,
      SWITCHYARD_REPLAY_LATENCY_MS: REPLAY_LATENCY_MS,
      SWITCHYARD_WEBHOOK_SECRET: 'durability-test-secret',
      ...FAST_STALL_RECOVERY,
    });
    ledger = new LedgerReader(stack.database.url);
  });
  afterAll(async () => {
    await ledger?.close();
    await stack?.stop();
  });

  it('a worker killed mid-call: its stalled jobs resume on a new worker, each call in flight made once more and both requests charged', async () => {
    const submitted = await submit(stack, records.slice(0, 30));
    const ids = submitted.map((item) => item.id);
    await waitFor('calls in flight', async () => (await progress(ledger, ids)).inFlight >= 4, { intervalMs: 20 });

    const [worker] = stack.workers();
    await worker?.kill('SIGKILL');
    // What the dead worker left: rows a crash cannot change any more (its transactions rolled back).
    const before = await ledger.attempts(ids);
    const left = await progress(ledger, ids);
    expect(left.inFlight, 'the kill found calls in flight').toBeGreaterThan(0);
    expect(left.completed, 'the kill came before the batch was done').toBeLessThan(ids.length);

    const killedAt = Date.now();
    await stack.startWorker();
    await waitUntilFinal(ledger, ids, 45_000, stack.logs);
    const recoveredInMs = Date.now() - killedAt;

    await expectLedgerIntact(ledger, submitted, before);
    console.log(`worker crash: ${left.inFlight} calls in flight, batch finished ${recoveredInMs} ms after the kill`);
  });

  it('Redis loses every queue (worker down too): the reconciler puts all accepted work back', async () => {
    const callbacks = new CallbackServer();
    const callbackUrl = await callbacks.start();
    try {
      const first = await submit(stack, records.slice(30, 50), callbackUrl);
      const firstIds = first.map((item) => item.id);
      // Kill once calls are in flight and some queries are done with their callback still pending
      // (the receiver refuses until later).
      await waitFor(
        'calls in flight and a finished query',
        async () => {
          const now = await progress(ledger, firstIds);
          return now.inFlight >= 3 && now.completed >= 1 && callbacks.refused >= 1;
        },
        { intervalMs: 20 },
      );
      for (const worker of stack.workers()) await worker.kill('SIGKILL');

      // Accepted while no worker runs: their route jobs exist only in Redis.
      const second = await submit(stack, records.slice(50, 60), callbackUrl);
      const submitted = [...first, ...second];
      const ids = submitted.map((item) => item.id);

      // Redis restarts without persistence: this deployment's keys are gone (other prefixes untouched).
      expect(await countQueueKeys(stack.redisUrl, stack.prefix)).toBeGreaterThan(0);
      await deleteQueueKeys(stack.redisUrl, stack.prefix);
      expect(await countQueueKeys(stack.redisUrl, stack.prefix)).toBe(0);
      const before = await ledger.attempts(ids);
      const left = await progress(ledger, ids);
      expect(left.inFlight, 'calls were in flight').toBeGreaterThan(0);
      expect(left.queued, 'queries were waiting for their route job').toBeGreaterThanOrEqual(second.length);
      expect(left.completed, 'some callbacks were still owed').toBeGreaterThan(0);

      callbacks.accept = true;
      const lostAt = Date.now();
      reconcilingWorker = await stack.startWorker(FAST_RECONCILER);
      await waitUntilFinal(ledger, ids, 45_000, stack.logs);
      await expectLedgerIntact(ledger, submitted, before);

      // Every completed query's callback arrives, although its delivery job was lost with Redis.
      await waitFor('every callback', async () => ids.every((id) => callbacks.delivered.has(id)), {
        timeoutMs: 20_000,
      }).catch(async () => {
        const missing = ids.filter((id) => !callbacks.delivered.has(id));
        const rows = new Map((await ledger.deliveries(missing)).map((row) => [row.query_id, row]));
        const why = missing.map((id) => {
          const row = rows.get(id);
          return `${id}: ${row ? `delivery ${row.status} after ${row.attempt_count} tries` : 'no delivery row'}`;
        });
        throw new Error(`${missing.length} of ${ids.length} callbacks never arrived: ${why.join('; ')}`);
      });
      const deliveries = await ledger.deliveries(ids);
      expect(deliveries.map((row) => `${row.event} ${row.status}`)).toEqual(ids.map(() => 'query.completed delivered'));
      console.log(
        `redis loss: ${left.inFlight} calls in flight, ${left.queued} queued, ${left.completed} completed; ` +
          `all done ${Date.now() - lostAt} ms after the restart`,
      );
    } finally {
      await callbacks.stop();
    }
  });

  it('Redis loses every queue under a running worker: the reconciler recovers what it was doing', async () => {
    if (!stack.workers().some((worker) => worker === reconcilingWorker)) {
      for (const worker of stack.workers()) await worker.kill('SIGTERM');
      reconcilingWorker = await stack.startWorker(FAST_RECONCILER);
    }
    const submitted = await submit(stack, records.slice(70, 90));
    const ids = submitted.map((item) => item.id);
    await waitFor('calls in flight', async () => (await progress(ledger, ids)).inFlight >= 4, { intervalMs: 20 });

    await deleteQueueKeys(stack.redisUrl, stack.prefix);
    const before = await ledger.attempts(ids);
    const left = await progress(ledger, ids);
    expect(left.inFlight, 'calls were in flight').toBeGreaterThan(0);
    expect(left.completed, 'the loss came before the batch was done').toBeLessThan(ids.length);

    const lostAt = Date.now();
    await waitUntilFinal(ledger, ids, 45_000, stack.logs);
    // The worker's calls in flight finished and settled; only their jobs were lost.
    await expectLedgerIntact(ledger, submitted, before, 'finished by the live worker');
    console.log(
      `redis loss under a live worker: ${left.inFlight} calls in flight; all done ${Date.now() - lostAt} ms later`,
    );
  });
});

describe('durability: Postgres restarts', () => {
  let stack: Stack;
  let ledger: LedgerReader;
  beforeAll(async () => {
    // Two tries per call job: a call job that meets the 2 s outage below uses them up, as it would
    // its 5 tries in a 20 s outage with the production backoff (1 s, doubling).
    stack = await startStack({
      SWITCHYARD_REPLAY: datasetDirectory,
      // Short calls: at any moment some call jobs are reading or writing the database (and so fail
      // when it goes away) while others wait on the provider (and answer during the outage).
      SWITCHYARD_REPLAY_LATENCY_MS: '30',
      // Enough slots that calls holding theirs through the outage do not keep the others from retrying.
      SWITCHYARD_CASCADE_CONCURRENCY: '64',
      SWITCHYARD_CALL_ATTEMPTS: '2',
      ...FAST_RECONCILER,
    });
    ledger = new LedgerReader(stack.database.url);
  });
  afterAll(async () => {
    await ledger?.close();
    await stack?.stop();
  });

  async function outageRun(mode: 'hard' | 'every-statement-fails', slice: [number, number]) {
    const submitted = await submit(stack, records.slice(...slice));
    const ids = submitted.map((item) => item.id);
    await waitFor('calls in flight', async () => (await progress(ledger, ids)).inFlight >= 4, { intervalMs: 10 });

    const before = await ledger.attempts(ids);
    expect(before.filter((attempt) => attempt.outcome === 'started').length, 'calls in flight').toBeGreaterThan(0);
    await databaseOutage(stack.database.url, 2_000, mode);
    const back = Date.now();
    await waitUntilFinal(ledger, ids, 45_000, stack.logs);
    // Calls in flight answered during the outage: their answers and costs were kept and recorded once
    // the database was back, not thrown away nor paid for again.
    await expectLedgerIntact(ledger, submitted, before, 'finished by the live worker');
    if (mode === 'every-statement-fails') {
      // The outage did hit answered calls; the worker rode it out. Whether a call job also starts
      // within the 2 s and uses up its tries depends on timing (a round's only call decides and
      // enqueues the next at once, so under load often none does): that case is tested
      // deterministically in packages/queues (recovery.int.test.ts, "a call job whose tries an
      // outage uses up").
      expect(stack.logs()).toMatch(/cannot record an answered call yet/);
    }
    expect(stack.workers().map((worker) => worker.alive())).toEqual([true]);
    console.log(
      `postgres outage (${mode}): ${before.filter((a) => a.outcome === 'started').length} calls in flight; ` +
        `all done ${Date.now() - back} ms after`,
    );
  }

  it('the database fails every statement for longer than a call may retry: answers in flight are recorded once, every query completes', async () => {
    await outageRun('every-statement-fails', [90, 120]);
  });

  // A transaction cut midway used to leak its pooled connection (Prisma's client runtime never
  // releases a connection whose ROLLBACK failed) until the pool filled and every query waited
  // forever; packages/db's client destroys such connections.
  it('the same when the database drops every connection at once, as a restart does', async () => {
    await outageRun('hard', [120, 150]);
  });
});

describe('durability: the API accepts queries while Redis is unreachable', () => {
  it('stores them and a worker with the reconciler runs them once Redis is back', async () => {
    // A port nothing listens on: the API starts, writes rows, and cannot enqueue.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const stack = await startStack(
      { SWITCHYARD_REPLAY: datasetDirectory, SWITCHYARD_REPLAY_LATENCY_MS: '50' },
      { worker: false, apiEnv: { REDIS_URL: `redis://127.0.0.1:${port}` } },
    );
    const ledger = new LedgerReader(stack.database.url);
    try {
      const startedAt = Date.now();
      const submitted = await submit(stack, records.slice(60, 65));
      const acceptedInMs = Date.now() - startedAt;
      const ids = submitted.map((item) => item.id);
      expect((await ledger.queries(ids)).map((row) => row.status)).toEqual(ids.map(() => 'queued'));
      expect(await countQueueKeys(stack.redisUrl, stack.prefix)).toBe(0);

      await stack.startWorker(FAST_RECONCILER);
      await waitUntilFinal(ledger, ids, 30_000, stack.logs);
      await expectLedgerIntact(ledger, submitted, []);
      console.log(`redis unreachable: 5 queries accepted in ${acceptedInMs} ms`);
    } finally {
      await ledger.close();
      await stack.stop();
    }
  });
});
