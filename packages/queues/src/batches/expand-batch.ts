import { randomUUID } from 'node:crypto';
import type { FileStore, Prisma } from '@switchyard/db';
import { parseBatchLine } from '@switchyard/openai-compat';
import type { PipelineDeps } from '../pipeline/deps.js';
import { enqueueFinalizeIfReady } from './batch-progress.js';
import { type InputLine, readLines } from './read-lines.js';

export interface ExpandSettings {
  /** Lines committed per transaction (query rows, line errors and the cursor together). */
  chunkLines: number;
  /** A chunk is also committed once its lines hold this many bytes. */
  chunkBytes: number;
  /** Lines one job expands before it hands over to a continuation job (keeps jobs short). */
  sliceLines: number;
  /** Longest accepted input line, bytes (a longer one is reported as line_too_long). */
  maxLineBytes: number;
}

export const defaultExpandSettings: ExpandSettings = {
  chunkLines: 500,
  chunkBytes: 4 << 20,
  sliceLines: 20_000,
  maxLineBytes: 8 << 20,
};

type ChunkQuery = Prisma.QueryCreateManyInput & { id: string; externalId: string; batchIndex: number };
interface ChunkError {
  line: number;
  customId: string | null;
  code: string;
  message: string;
}

/**
 * Expands a batch from its stored cursor: streams the input file's large object from
 * `expanded_bytes`, turns each line into a query row (or a line error), and commits every chunk of
 * lines together with the new cursor in one transaction, then enqueues the chunk's route jobs with
 * one addBulk. A crash between chunks resumes at the last committed cursor (nothing lost, nothing
 * twice: `(batch_id, batch_index)` is unique, and a chunk commits only if the cursor is still where
 * this job read it); route jobs lost between commit and addBulk are re-enqueued by the reconciler,
 * as for any queued query. After `sliceLines` lines the job enqueues its continuation and returns.
 */
export async function expandBatch(
  deps: PipelineDeps & { files: FileStore },
  batchId: string,
  settings: ExpandSettings = defaultExpandSettings,
): Promise<string> {
  const { prisma } = deps;
  const batch = await prisma.batch.findUnique({ where: { id: batchId }, include: { inputFile: true } });
  if (!batch) return 'missing';
  if (batch.expansionDone) return 'stopped';
  // After a cancel (or expiry) the rest of the file is still read, each request becoming an error-file
  // line (`batch_cancelled` / `batch_expired`, or the line's own error) instead of a query, so every
  // line is accounted for and request_counts add up to total.
  const cancelled = batch.status === 'cancelling';
  if (!cancelled && batch.status !== 'validating' && batch.status !== 'in_progress') return 'stopped';
  const cancelError =
    batch.expiredAt !== null
      ? { code: 'batch_expired', message: 'the batch expired (completion_window) before this request started' }
      : { code: 'batch_cancelled', message: 'the batch was cancelled before this request started' };
  const oid = batch.inputFile.contentOid;
  if (oid === null || batch.inputFile.deletedAt !== null) {
    await prisma.batch.updateMany({
      where: { id: batchId, expansionDone: false },
      data: {
        expansionDone: true,
        errors: {
          object: 'list',
          data: [
            { code: 'input_file_deleted', message: 'the input file was deleted', param: 'input_file_id', line: null },
          ],
        },
      },
    });
    await enqueueFinalizeIfReady(deps, batchId);
    return 'input-gone';
  }

  let cursor = { byte: batch.expandedBytes, line: batch.expandedLines };
  let queries: ChunkQuery[] = [];
  let errors: ChunkError[] = [];
  let chunkBytes = 0;
  let linesThisJob = 0;
  let last: InputLine | undefined;

  const commit = async (done: boolean): Promise<boolean> => {
    const next = last === undefined ? cursor : { byte: last.endByte, line: last.line };
    const committed = await commitChunk(
      deps,
      batchId,
      cursor,
      next,
      queries,
      errors,
      done,
      batch.apiKeyId,
      batch.queryMaxCostUsd.toFixed(),
      cancelled,
    );
    if (!committed) return false;
    await deps.queues.enqueueRoutes(committed).catch((error: Error) => {
      deps.logger.warn({ batchId, error: error.message }, 'enqueue of a batch chunk failed; the reconciler will retry');
    });
    cursor = next;
    queries = [];
    errors = [];
    chunkBytes = 0;
    return true;
  };

  // A chunk this job may not commit: another job moved the cursor (it carries on), or the batch was
  // cancelled since this job read it — then this job goes on from the stored cursor in cancel mode.
  const supersededOrCancelled = async (): Promise<string> => {
    if (cancelled) return 'superseded';
    const now = await prisma.batch.findUnique({ where: { id: batchId }, select: { status: true } });
    return now?.status === 'cancelling' ? expandBatch(deps, batchId, settings) : 'superseded';
  };

  const lines = readLines(deps.files.read(oid, { fromByte: cursor.byte }), cursor, settings.maxLineBytes);
  for await (const line of lines) {
    last = line;
    linesThisJob += 1;
    if (line.kind === 'invalid') {
      errors.push({ line: line.line, customId: null, code: line.code, message: line.message });
    } else if (line.kind === 'text') {
      chunkBytes += line.text.length;
      const parsed = parseLine(line.text);
      if (!parsed.ok) {
        errors.push({ line: line.line, customId: parsed.customId, code: parsed.code, message: parsed.message });
      } else if (cancelled) {
        errors.push({ line: line.line, customId: parsed.customId, ...cancelError });
      } else {
        const { draft } = parsed;
        queries.push({
          id: randomUUID(),
          prompt: draft.prompt,
          system: draft.system,
          options: draft.options as unknown as Prisma.InputJsonValue,
          batchIndex: line.line,
          externalId: parsed.customId,
        });
      }
    }
    if (queries.length + errors.length >= settings.chunkLines || chunkBytes >= settings.chunkBytes) {
      if (!(await commit(false))) return supersededOrCancelled();
      if (linesThisJob >= settings.sliceLines) {
        await deps.queues.enqueueExpandBatch(batchId, cursor.line);
        return `continued@${cursor.line}`;
      }
    }
  }
  if (!(await commit(true))) return supersededOrCancelled();
  await enqueueFinalizeIfReady(deps, batchId);
  return `expanded@${cursor.line}`;
}

/**
 * One chunk in one transaction: the batch row is locked and must still be expanding at `from` (a
 * second expand job for the same batch, or a cancel, wins otherwise); duplicate custom_ids (earlier
 * in the batch, or earlier in the chunk) become line errors. Returns the ids of the queries created,
 * or null when the chunk was not this job's to commit.
 */
async function commitChunk(
  deps: PipelineDeps,
  batchId: string,
  from: { byte: bigint; line: number },
  to: { byte: bigint; line: number },
  queries: ChunkQuery[],
  errors: ChunkError[],
  done: boolean,
  apiKeyId: string,
  maxCostUsd: string,
  cancelled: boolean,
): Promise<string[] | null> {
  return deps.prisma.$transaction(
    async (tx) => {
      const locked = await tx.$queryRaw<{ status: string; expanded_bytes: bigint; expansion_done: boolean }[]>`
        SELECT status::text, expanded_bytes, expansion_done FROM batches WHERE id = ${batchId}::uuid FOR UPDATE`;
      const row = locked[0];
      if (
        row === undefined ||
        row.expansion_done ||
        BigInt(row.expanded_bytes) !== from.byte ||
        (cancelled
          ? row.status !== 'cancelling' || queries.length > 0
          : row.status !== 'validating' && row.status !== 'in_progress')
      ) {
        return null;
      }
      const seen = new Set<string>();
      if (queries.length > 0) {
        const existing = await tx.$queryRaw<{ external_id: string }[]>`
          SELECT external_id FROM queries
          WHERE batch_id = ${batchId}::uuid AND external_id = ANY(${queries.map((query) => query.externalId)}::text[])`;
        for (const query of existing) seen.add(query.external_id);
      }
      const accepted: ChunkQuery[] = [];
      for (const query of queries) {
        if (seen.has(query.externalId)) {
          errors.push({
            line: query.batchIndex,
            customId: query.externalId,
            code: 'duplicate_custom_id',
            message: `custom_id ${JSON.stringify(query.externalId.slice(0, 100))} is used by an earlier line`,
          });
          continue;
        }
        seen.add(query.externalId);
        accepted.push(query);
      }
      if (accepted.length > 0) {
        // One INSERT over arrays: Prisma's createMany is several times slower for chunks this size.
        await tx.$executeRaw`
          INSERT INTO queries (id, prompt, system, options, batch_id, batch_index, external_id, api_key_id, max_cost_usd, updated_at)
          SELECT id, prompt, system, options::jsonb, ${batchId}::uuid, batch_index, external_id, ${apiKeyId}::uuid,
                 ${maxCostUsd}::numeric, now()
          FROM unnest(
            ${accepted.map((query) => query.id)}::uuid[],
            ${accepted.map((query) => query.prompt)}::text[],
            ${accepted.map((query) => query.system ?? null)}::text[],
            ${accepted.map((query) => JSON.stringify(query.options))}::text[],
            ${accepted.map((query) => query.batchIndex)}::int[],
            ${accepted.map((query) => query.externalId)}::text[]
          ) AS line(id, prompt, system, options, batch_index, external_id)`;
      }
      if (errors.length > 0) {
        await tx.batchLineError.createMany({
          data: errors.map((error) => ({ batchId, ...error })),
          skipDuplicates: true,
        });
      }
      await tx.$executeRaw`
        UPDATE batches SET
          expanded_bytes = ${to.byte}, expanded_lines = ${to.line}, expansion_done = ${done},
          query_count = query_count + ${accepted.length}, invalid_count = invalid_count + ${errors.length},
          failed_count = failed_count + ${errors.length},
          status = CASE WHEN status = 'validating' THEN 'in_progress'::"BatchStatus" ELSE status END,
          in_progress_at = COALESCE(in_progress_at, now()), updated_at = now()
        WHERE id = ${batchId}::uuid`;
      return accepted.map((query) => query.id);
    },
    { timeout: 60_000, maxWait: 15_000 },
  );
}

/**
 * `parseBatchLine` reports a bad line as a value; should it ever throw instead, the line is still only
 * that line's error (a throw here would fail the expand job on every try and hold every good line).
 */
function parseLine(text: string): ReturnType<typeof parseBatchLine> {
  try {
    return parseBatchLine(text);
  } catch (error) {
    return {
      ok: false,
      customId: null,
      code: 'invalid_line',
      message: `the line could not be read: ${(error as Error).message.slice(0, 200)}`,
    };
  }
}
