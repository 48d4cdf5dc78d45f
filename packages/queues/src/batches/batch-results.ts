import type { PrismaClient } from '@switchyard/db';
import { renderFailedQueryLine, renderInvalidLine, renderOutputLine } from '@switchyard/openai-compat';
import { answeredQueryOf, attemptsByQuery, failedQueryOf, QUERY_VIEW_SELECT } from './answered-query.js';

/** Rows read per round trip while generating a result file. */
const PAGE = 500;

/**
 * The output file of a batch: one line per completed query, in input order, generated from the
 * query rows and the ledger page by page (keyset on `batch_index`), so a download of any size holds
 * one page at a time. Answers are in the rows as soon as each query finishes.
 */
export async function* batchOutputLines(prisma: PrismaClient, batchId: string): AsyncGenerator<string> {
  let after = 0;
  for (;;) {
    const page = await prisma.query.findMany({
      where: { batchId, status: 'completed', batchIndex: { gt: after } },
      select: { ...QUERY_VIEW_SELECT, batchIndex: true, externalId: true },
      orderBy: { batchIndex: 'asc' },
      take: PAGE,
    });
    if (page.length === 0) return;
    const attempts = await attemptsByQuery(
      prisma,
      page.map((query) => query.id),
    );
    for (const query of page) {
      yield `${renderOutputLine(batchId, query.batchIndex ?? 0, query.externalId ?? '', answeredQueryOf(query, attempts.get(query.id) ?? []))}\n`;
    }
    after = page.at(-1)?.batchIndex ?? after;
    if (page.length < PAGE) return;
  }
}

/**
 * The error file: bad input lines and failed (or cancelled) queries, merged in line order, page by page.
 */
export async function* batchErrorLines(prisma: PrismaClient, batchId: string): AsyncGenerator<string> {
  let after = 0;
  for (;;) {
    const [invalid, failed] = await Promise.all([
      prisma.batchLineError.findMany({
        where: { batchId, line: { gt: after } },
        orderBy: { line: 'asc' },
        take: PAGE,
      }),
      prisma.query.findMany({
        where: { batchId, status: 'failed', batchIndex: { gt: after } },
        select: { ...QUERY_VIEW_SELECT, batchIndex: true, externalId: true },
        orderBy: { batchIndex: 'asc' },
        take: PAGE,
      }),
    ]);
    if (invalid.length === 0 && failed.length === 0) return;
    // Both pages are complete up to the smaller of their last lines (when a page was full).
    const limit = Math.min(
      invalid.length === PAGE ? (invalid.at(-1)?.line ?? Infinity) : Infinity,
      failed.length === PAGE ? (failed.at(-1)?.batchIndex ?? Infinity) : Infinity,
    );
    const attempts = await attemptsByQuery(
      prisma,
      failed.filter((query) => (query.batchIndex ?? 0) <= limit).map((query) => query.id),
    );
    const merged = [
      ...invalid
        .filter((row) => row.line <= limit)
        .map((row) => ({ line: row.line, text: renderInvalidLine(batchId, row.line, row) })),
      ...failed
        .filter((query) => (query.batchIndex ?? 0) <= limit)
        .map((query) => ({
          line: query.batchIndex ?? 0,
          text: renderFailedQueryLine(
            batchId,
            query.batchIndex ?? 0,
            query.externalId ?? '',
            failedQueryOf(query, attempts.get(query.id) ?? []),
          ),
        })),
    ].sort((a, b) => a.line - b.line);
    for (const entry of merged) yield `${entry.text}\n`;
    if (limit === Infinity) return;
    after = limit;
  }
}

/** Bytes and lines of a generated file (one streaming pass; nothing is kept). */
export async function measureLines(lines: AsyncIterable<string>): Promise<{ bytes: number; lines: number }> {
  let bytes = 0;
  let count = 0;
  for await (const line of lines) {
    bytes += Buffer.byteLength(line);
    count += 1;
  }
  return { bytes, lines: count };
}
