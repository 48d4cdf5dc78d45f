import { isUtf8 } from 'node:buffer';
import { access, appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatUsd, parseUsd, storedBudgetUsd } from '@switchyard/core';
import type { PrismaClient } from '@switchyard/db';
import { createQueues, type Queues } from '@switchyard/queues';
import { labelLedgerQuery } from '@switchyard/training';
import { launch, stopProcess } from '../stack/launch-processes.js';
import { datasetLineOf, datasetModelsOf } from './dataset-line.js';
import { findKeyId, ledgerQueryInclude, ledgerQueryOf } from './ledger-queries.js';
import { parseRecordInput, type RecordInput, recordIdempotencyKey } from './record-input.js';
import type { RecordPool } from './record-pool.js';

/** A problem with `record`'s input or output files: nothing was paid for. */
export class RecordInputError extends Error {
  override readonly name = 'RecordInputError';
}

export interface RecordSettings {
  input: string;
  out: string;
  /** `--references`: every line must have a reference (no judge is paid). */
  requireReferences: boolean;
  /** Budget of each prompt's recording query, USD (all pool models and judges together). */
  maxCostUsd: number;
  /** `--key`: the API key (name or id) the queries belong to and are billed to; default the operator. */
  key?: string;
  /** Prompts in flight at once. */
  concurrency: number;
  /** Worker processes to start. */
  workers: number;
  pool: RecordPool;
  databaseUrl: string;
  redisUrl: string;
  /** The deployment's queue prefix; the recording's workers use `<prefix>-record`. */
  queuePrefix: string;
  /** Environment of the workers (the pool configuration is read from it, as by any worker). */
  env: NodeJS.ProcessEnv;
  log(line: string): void;
}

export interface RecordSummary {
  /** Lines written by this run. */
  recorded: number;
  /** Of those, how many reused a query made by an earlier run (nothing paid again). */
  reused: number;
  /** Lines already in the output file (skipped). */
  alreadyInOutput: number;
  failed: { line: number; id: string; reason: string }[];
  /** What this run's new queries cost, from the ledger. */
  paidUsd: string;
  /** What every query behind the lines written cost, from the ledger. */
  recordedCostUsd: string;
}

/**
 * The ids already in the output (resuming). Every complete line must be a dataset record of this pool
 * (else the file is not record's and is left untouched); a last line without its newline is dropped
 * only when it does not parse (a write cut short), a parsing one just gets its newline.
 */
async function readRecordedIds(
  out: string,
  input: string,
  poolIds: readonly string[],
  log: (line: string) => void,
): Promise<Set<string>> {
  if (path.resolve(out) === path.resolve(input)) {
    throw new RecordInputError(`--out ${out} is the --input file: write the dataset to another file`);
  }
  const folder = path.dirname(path.resolve(out));
  const isFolder = await stat(folder).then(
    (found) => found.isDirectory(),
    () => false,
  );
  if (!isFolder) throw new RecordInputError(`--out ${out}: the folder ${folder} does not exist`);
  let text: string;
  try {
    text = await readFile(out, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw new RecordInputError(`cannot read --out ${out}: ${(error as Error).message}`);
  }
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const ids = new Set<string>();
  const read = (line: string): string => {
    let record: { id?: unknown; responses?: unknown };
    try {
      record = JSON.parse(line) as { id?: unknown; responses?: unknown };
    } catch (error) {
      throw new Error(`not JSON (${(error as Error).message})`);
    }
    if (typeof record?.id !== 'string') throw new Error('no "id"');
    const models =
      record.responses !== null && typeof record.responses === 'object' ? Object.keys(record.responses).sort() : [];
    if (models.join(',') !== [...poolIds].sort().join(',')) {
      throw new Error(
        `its responses are from ${models.join(', ') || 'no model'}, not this pool (${poolIds.join(', ')})`,
      );
    }
    return record.id;
  };
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      ids.add(read(line));
    } catch (error) {
      throw new RecordInputError(
        `${out}:${index + 1} is not a record of this pool (${(error as Error).message}); --out must be a file record wrote for this pool, or a new file`,
      );
    }
  }
  if (last.trim() !== '') {
    let complete = true;
    try {
      ids.add(read(last));
    } catch {
      complete = false;
    }
    if (complete) await appendFile(out, '\n');
    else {
      log(`record: ${out} ends with an incomplete line (an interrupted write); it is dropped and recorded again`);
      await truncate(out, Buffer.byteLength(text) - Buffer.byteLength(last));
    }
  }
  return ids;
}

/** Writes models.json beside the output, or checks that the one there is this pool. */
async function writeModelsFile(out: string, pool: RecordPool): Promise<string> {
  const file = path.join(path.dirname(out), 'models.json');
  const models = datasetModelsOf(pool.models);
  try {
    await access(file);
    const existing = JSON.parse(await readFile(file, 'utf8')) as { id?: unknown }[];
    const ids = Array.isArray(existing) ? existing.map((model) => model.id) : [];
    if (ids.join(',') !== models.map((model) => model.id).join(',')) {
      throw new RecordInputError(
        `${file} lists the pool ${ids.join(', ')}, but this pool is ${models.map((model) => model.id).join(', ')}: write the dataset to another folder`,
      );
    }
    return file;
  } catch (error) {
    if (error instanceof RecordInputError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RecordInputError(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  try {
    await writeFile(file, `${JSON.stringify(models, null, 2)}\n`);
  } catch (error) {
    throw new RecordInputError(`cannot write ${file}: ${(error as Error).message}`);
  }
  return file;
}

/**
 * `switchyard record`: every input prompt becomes one recording query (its plan calls every pool model,
 * and the LLM judge panel on each answer when the line has no reference), run by worker processes of
 * its own through the normal pipeline: every call is an attempt in the ledger, reserved and charged
 * under the query's budget (and the key's monthly budget with `--key`). Finished queries become dataset
 * lines appended to `--out` as they end. Re-running skips lines already in `--out`, and a line whose
 * query exists (same idempotency key) reuses it instead of paying again.
 */
export async function runRecord(prisma: PrismaClient, settings: RecordSettings): Promise<RecordSummary> {
  const { pool, log } = settings;
  const maxCostUsd = budgetDecimal(settings.maxCostUsd);
  let bytes: Buffer;
  try {
    bytes = await readFile(settings.input);
  } catch (error) {
    throw new RecordInputError(`cannot read --input ${settings.input}: ${(error as Error).message}`);
  }
  // Prompts are paid for: bytes that are not UTF-8 would be sent as U+FFFD, so they are refused (as the API does).
  if (!isUtf8(bytes)) {
    throw new RecordInputError(`--input ${settings.input} is not valid UTF-8 text; nothing was recorded`);
  }
  // A byte-order mark some editors write is not part of the first line.
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  const { inputs, errors } = parseRecordInput(text, { requireReferences: settings.requireReferences });
  if (errors.length > 0) {
    const shown = errors.slice(0, 10).map((error) => `  ${settings.input}:${error.line}: ${error.message}`);
    throw new RecordInputError(
      `${errors.length} bad line(s) in ${settings.input}; nothing was recorded:\n${shown.join('\n')}${errors.length > 10 ? `\n  … and ${errors.length - 10} more` : ''}`,
    );
  }
  if (inputs.length === 0) throw new RecordInputError(`${settings.input} holds no prompts`);
  if (pool.models.length === 0) throw new RecordInputError(`the pool (${pool.description}) has no answer models`);
  const unreferenced = inputs.filter((input) => input.reference === null);
  if (unreferenced.length > 0 && pool.judgePanel.length === 0) {
    throw new RecordInputError(
      `${unreferenced.length} line(s) have no reference (e.g. line ${unreferenced[0]?.line}), and the pool (${pool.description}) has no LLM judge models to label their answers: give every line a "reference", or add models with "roles": ["judge"] to SWITCHYARD_MODELS`,
    );
  }
  const poolIds = pool.models.map((model) => model.id);
  const recordedIds = await readRecordedIds(settings.out, settings.input, poolIds, log);
  // Checked before anything is written: an unknown key leaves no models.json behind.
  const apiKeyId = settings.key === undefined ? null : await findKeyId(prisma, settings.key);
  const modelsFile = await writeModelsFile(settings.out, pool);
  const todo = inputs.filter((input) => !recordedIds.has(input.id));
  const summary: RecordSummary = {
    recorded: 0,
    reused: 0,
    alreadyInOutput: inputs.length - todo.length,
    failed: [],
    paidUsd: '0',
    recordedCostUsd: '0',
  };
  log(
    `record: ${inputs.length} prompt(s), ${summary.alreadyInOutput} already in ${settings.out}; pool ${pool.models.map((model) => model.id).join(', ')}${pool.judgePanel.length > 0 ? `; judges ${pool.judgePanel.join(', ')}` : ''} (${pool.description}); models.json: ${modelsFile}`,
  );
  if (todo.length === 0) return summary;

  const prefix = `${settings.queuePrefix}-record`;
  const workerEnv: NodeJS.ProcessEnv = {
    ...settings.env,
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    SWITCHYARD_QUEUE_PREFIX: prefix,
    SWITCHYARD_WORKER_ROLES: 'router,cascade',
    // Readiness is the worker's "worker started" line (info); its output is kept only to explain a crash.
    LOG_LEVEL: 'info',
  };
  // Workers start with the first query that still has to run: a re-run whose queries all ended needs none.
  let workers: ReturnType<typeof launch>[] = [];
  let crashed: string | null = null;
  let started: Promise<void> | undefined;
  const ensureWorkers = () => {
    started ??= (async () => {
      workers = Array.from({ length: settings.workers }, () =>
        launch('apps/worker/src/main.ts', workerEnv, /(worker started)/, false),
      );
      await Promise.all(workers.map((worker) => worker.started));
      for (const [index, worker] of workers.entries()) {
        worker.child.once('exit', (code, signal) => {
          crashed ??= `worker ${index + 1} exited (${signal ?? `code ${code}`}):\n${worker.tail()}`;
        });
      }
      log(`record: ${settings.workers} worker process(es) on queue prefix ${prefix}`);
    })();
    return started;
  };
  const queues: Queues = createQueues({ redisUrl: settings.redisUrl, prefix });
  try {
    const created = new Set<string>();
    const pending = new Map<string, RecordInput>();
    const recordedQueryIds: string[] = [];
    let next = 0;
    let lastProgress = Date.now();
    let lastLog = Date.now();
    let finished = 0;

    /** Frees a query's idempotency key, so a later run records its line with a new query. */
    const supersede = async (id: string, idempotencyKey: string) => {
      await prisma.query.updateMany({
        where: { id, idempotencyKey },
        data: { idempotencyKey: `${idempotencyKey}:superseded:${id}` },
      });
    };
    /** Which budget ran out: the query's (--max-cost-usd), or the key's monthly budget. */
    const budgetHint = async (): Promise<string> => {
      if (apiKeyId !== null) {
        const [row] = await prisma.$queryRaw<{ remaining: string | null }[]>`
          SELECT switchyard_key_remaining(${apiKeyId}::uuid)::text AS remaining`;
        if (row?.remaining != null && Number(row.remaining) < settings.maxCostUsd) {
          return ` (key ${settings.key}'s monthly budget has $${formatUsd(parseUsd(row.remaining))} left; raise it with the keys command, then run record again)`;
        }
      }
      return ` (its budget of $${maxCostUsd} ran out; raise --max-cost-usd and run record again)`;
    };

    const submit = async (input: RecordInput): Promise<void> => {
      const idempotencyKey = recordIdempotencyKey(input, apiKeyId, maxCostUsd, poolIds);
      let query = await prisma.query.findUnique({ where: { idempotencyKey }, select: { id: true, status: true } });
      if (query?.status === 'failed') {
        // A query that failed (a model error, a budget that ran out) is not reused: this run tries again.
        await supersede(query.id, idempotencyKey);
        query = null;
      }
      if (query === null) {
        try {
          query = await prisma.query.create({
            data: {
              prompt: input.prompt,
              options: {
                metadata: {
                  recordId: input.id,
                  ...(input.answerType === undefined ? {} : { answerType: input.answerType }),
                  ...(input.category === undefined ? {} : { category: input.category }),
                  ...(input.judgeTask === undefined ? {} : { judgeTask: input.judgeTask }),
                },
                record: { reference: input.reference, id: input.id, line: input.line },
              },
              maxCostUsd,
              apiKeyId,
              idempotencyKey,
            },
            select: { id: true, status: true },
          });
          created.add(query.id);
        } catch (error) {
          // Another run of the same input made it meanwhile.
          if ((error as { code?: string }).code !== 'P2002') throw error;
          query = await prisma.query.findUniqueOrThrow({
            where: { idempotencyKey },
            select: { id: true, status: true },
          });
        }
      }
      pending.set(query.id, input);
      // A query already made: its jobs may be gone with an earlier run's workers, so enqueue again (a
      // job id derives from the row: a duplicate is a no-op, and routing a routed query only resumes it).
      if (query.status !== 'completed' && query.status !== 'failed') {
        await ensureWorkers();
        await queues.enqueueRoute(query.id);
      }
    };

    const collect = async (): Promise<void> => {
      const final = await prisma.query.findMany({
        where: { id: { in: [...pending.keys()] }, status: { in: ['completed', 'failed'] } },
        include: ledgerQueryInclude,
      });
      for (const row of final) {
        const input = pending.get(row.id);
        if (input === undefined) continue;
        pending.delete(row.id);
        finished += 1;
        lastProgress = Date.now();
        const fail = (reason: string) => summary.failed.push({ line: input.line, id: input.id, reason });
        const key = recordIdempotencyKey(input, apiKeyId, maxCostUsd, poolIds);
        if (row.status === 'failed') {
          const hint = row.errorCode === 'budget_exhausted' ? await budgetHint() : '';
          fail(`query ${row.id} failed: ${row.errorCode ?? 'error'}: ${row.errorMessage ?? ''}${hint}`);
          continue;
        }
        const query = ledgerQueryOf(row);
        if (query === null) {
          fail(`query ${row.id} has no valid plan`);
          continue;
        }
        const planned = query.plan.stages.map((stage) => stage.model).join(', ');
        if (query.plan.record !== true || planned !== poolIds.join(', ')) {
          fail(`query ${row.id} was not a recording of this pool (planned: ${planned})`);
          continue;
        }
        const result = datasetLineOf(input, labelLedgerQuery(query, poolIds), row.completedAt ?? new Date());
        if (!result.ok) {
          const stopped = (row.outcome as { outcome?: unknown } | null)?.outcome === 'budget';
          fail(`query ${row.id}: ${result.reason}${stopped ? await budgetHint() : ''}`);
          // Completed without a usable line: the next run makes a new query for it instead of reusing this one.
          await supersede(row.id, key);
          continue;
        }
        await appendFile(settings.out, `${JSON.stringify(result.line)}\n`);
        summary.recorded += 1;
        if (!created.has(row.id)) summary.reused += 1;
        recordedQueryIds.push(row.id);
      }
    };

    for (;;) {
      while (pending.size < settings.concurrency && next < todo.length) {
        const input = todo[next] as RecordInput;
        next += 1;
        await submit(input);
      }
      if (pending.size === 0 && next >= todo.length) break;
      if (crashed !== null) throw new Error(`record: ${crashed}`);
      await collect();
      if (Date.now() - lastProgress > 300_000) {
        throw new Error(
          `record: no query finished for 5 minutes; still running: ${[...pending.keys()].slice(0, 5).join(', ')} (see GET /v1/queries/<id> or the worker logs)`,
        );
      }
      if (Date.now() - lastLog > 5_000) {
        log(
          `record: ${finished}/${todo.length} finished, ${summary.recorded} recorded, ${summary.failed.length} failed`,
        );
        lastLog = Date.now();
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const sum = async (ids: string[]) => {
      const rows = await prisma.query.findMany({ where: { id: { in: ids } }, select: { totalCostUsd: true } });
      return formatUsd(rows.reduce((total, row) => total + parseUsd(row.totalCostUsd.toFixed()), 0n));
    };
    summary.paidUsd = await sum([...created]);
    summary.recordedCostUsd = await sum(recordedQueryIds);
    return summary;
  } finally {
    await Promise.all(workers.map(({ child }) => stopProcess(child)));
    await queues.close();
  }
}

/** The largest per-query budget record takes (the API's limit for maxCostUsd). */
export const RECORD_MAX_COST_USD = 1_000;

/** A budget as the ledger stores it (storedBudgetUsd), or an error naming the range. */
export function budgetDecimal(usd: number): string {
  if (!(Number.isFinite(usd) && usd >= 1e-12 && usd <= RECORD_MAX_COST_USD)) {
    throw new RecordInputError(
      `--max-cost-usd must be between 0.000000000001 and ${RECORD_MAX_COST_USD} USD (per prompt), got ${usd}`,
    );
  }
  return storedBudgetUsd(usd);
}
