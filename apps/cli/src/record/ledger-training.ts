import type { PrismaClient } from '@switchyard/db';
import { labelLedgerQuery, type TrainingRecord, trainingRecordOf } from '@switchyard/training';
import { ledgerQueryInclude, ledgerQueryOf } from './ledger-queries.js';

/** Why `router train --from-ledger` cannot train: the message counts what was found and what is needed. */
export class LedgerTrainingError extends Error {
  override readonly name = 'LedgerTrainingError';
}

export interface LedgerTrainingData {
  pool: string[];
  /** Where the pool came from (a recording query's plan, or --pool). */
  poolSource: string;
  records: TrainingRecord[];
  /** Completed queries read. */
  scanned: number;
  /** Queries some pool model did not answer. */
  incomplete: number;
  /** Queries with every answer, some of them unlabelled. */
  unlabelled: number;
  /** Usable queries by label source of their answers (a query counts under each source it used). */
  bySource: Record<string, number>;
}

/**
 * Reads the completed queries (since `since`, of one key with `apiKeyId`) and turns those that every
 * pool model answered, with every answer labelled, into training records: recorded attempts, judge
 * verdicts, reference grades and feedback (which overrides the others). The pool is `pool`, else the
 * stages of the newest recording query's plan (`switchyard record`).
 */
export async function readLedgerTrainingData(
  prisma: PrismaClient,
  options: { since?: Date; apiKeyId?: string; pool?: string[]; minimumRecords: number },
): Promise<LedgerTrainingData> {
  const where = {
    status: 'completed' as const,
    ...(options.since === undefined ? {} : { createdAt: { gte: options.since } }),
    ...(options.apiKeyId === undefined ? {} : { apiKeyId: options.apiKeyId }),
  };
  let pool = options.pool;
  let poolSource = '--pool';
  if (pool === undefined) {
    const newest = await prisma.query.findFirst({
      where: { ...where, plan: { path: ['record'], equals: true } },
      orderBy: { createdAt: 'desc' },
      select: { id: true, plan: true },
    });
    const stages = (newest?.plan as { stages?: { model?: unknown }[] } | null)?.stages;
    if (newest === null || !Array.isArray(stages)) {
      throw new LedgerTrainingError(
        `no recording query (switchyard record) in the ledger${options.since ? ` since ${options.since.toISOString()}` : ''} to take the pool from: record prompts first, or name the pool with --pool <model,model,...>`,
      );
    }
    pool = stages.map((stage) => String(stage.model));
    poolSource = `the plan of recording query ${newest.id}`;
  }
  const data: LedgerTrainingData = {
    pool,
    poolSource,
    records: [],
    scanned: 0,
    incomplete: 0,
    unlabelled: 0,
    bySource: {},
  };
  const queryIds: string[] = [];
  const order: [number, number][] = [];
  // Page by id so memory holds one page of queries (with their attempts) at a time.
  let after: string | undefined;
  for (;;) {
    const rows = await prisma.query.findMany({
      where: { ...where, ...(after === undefined ? {} : { id: { gt: after } }) },
      orderBy: { id: 'asc' },
      take: 500,
      include: ledgerQueryInclude,
    });
    if (rows.length === 0) break;
    after = rows[rows.length - 1]?.id;
    for (const row of rows) {
      data.scanned += 1;
      const query = ledgerQueryOf(row);
      if (query === null) continue;
      const labelled = labelLedgerQuery(query, pool);
      if (labelled.missing.length > 0) {
        data.incomplete += 1;
        continue;
      }
      if (labelled.unlabelled.length > 0) {
        data.unlabelled += 1;
        continue;
      }
      for (const source of new Set(Object.values(labelled.responses).map((response) => response.labelSource))) {
        data.bySource[String(source)] = (data.bySource[String(source)] ?? 0) + 1;
      }
      data.records.push(trainingRecordOf(labelled));
      queryIds.push(labelled.queryId);
      const line = (row.options as { record?: { line?: unknown } } | null)?.record?.line;
      order.push([row.createdAt.getTime(), typeof line === 'number' ? line : 0]);
    }
  }
  // A prompt recorded twice (another budget or pool) keeps one id per query: its query id.
  const counts = new Map<string, number>();
  for (const record of data.records) counts.set(record.id, (counts.get(record.id) ?? 0) + 1);
  const records = data.records.map((record, index) =>
    (counts.get(record.id) ?? 0) > 1 ? { ...record, id: queryIds[index] as string } : record,
  );
  // Training depends on the order of its records: take them in the order they were asked (creation
  // time, then the recording's input line), which is the input file's order for one recording.
  const indices = records.map((_, index) => index);
  indices.sort((a, b) => {
    const [timeA, lineA] = order[a] as [number, number];
    const [timeB, lineB] = order[b] as [number, number];
    return timeA - timeB || lineA - lineB;
  });
  data.records = indices.map((index) => records[index] as TrainingRecord);
  if (data.records.length < options.minimumRecords) {
    throw new LedgerTrainingError(
      `${data.records.length} usable queries in the ledger (every pool model — ${pool.join(', ')}, from ${poolSource} — answered and every answer labelled); training needs at least ${options.minimumRecords}. Of ${data.scanned} completed queries${options.since ? ` since ${options.since.toISOString()}` : ''}, ${data.incomplete} lack an answer of some pool model and ${data.unlabelled} have an answer without a label (no reference, valid judge verdict or feedback). Record more prompts with switchyard record, or send feedback (POST /v1/queries/<id>/feedback) on queries that every model answered.`,
    );
  }
  return data;
}
