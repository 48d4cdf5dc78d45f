import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '@switchyard/db';
import { renderBatch } from '@switchyard/openai-compat';
import type { Queues } from '../queues.js';
import { isBatchReadyToFinalize } from './batch-progress.js';
import { batchErrorLines, batchOutputLines, measureLines } from './batch-results.js';

/** Line errors shown in a failed batch's `errors` (the error file has all of them). */
const ERRORS_SHOWN = 20;

/**
 * Ends a batch once every line has ended: `finalizing`, then the output and error file rows (their
 * size measured by generating them once; their content is generated again, identically, at each
 * download), the final status (`completed`; `cancelled` after a cancel, `expired` past the window; `failed` when no line was a
 * valid request) and the batch callback's delivery row, in one transaction guarded by the status, so
 * a repeated job changes nothing.
 */
export async function finalizeBatch(deps: { prisma: PrismaClient; queues: Queues }, batchId: string): Promise<string> {
  const { prisma } = deps;
  const batch = await prisma.batch.findUnique({ where: { id: batchId } });
  if (!batch) return 'missing';
  if (batch.status === 'finalizing') {
    // A finalize job that died after setting `finalizing`: carry on.
  } else if (!isBatchReadyToFinalize(batch)) {
    return `not-ready:${batch.status}`;
  } else if (batch.status !== 'cancelling') {
    await prisma.batch.updateMany({
      where: { id: batchId, status: { in: ['validating', 'in_progress'] } },
      data: { status: 'finalizing', finalizingAt: new Date() },
    });
  }
  const output = await measureLines(batchOutputLines(prisma, batchId));
  const errors = await measureLines(batchErrorLines(prisma, batchId));
  const cancelled = batch.status === 'cancelling';
  const failed = !cancelled && batch.queryCount === 0;
  const now = new Date();
  const deliveryId = await prisma.$transaction(async (tx) => {
    const files: Prisma.FileCreateManyInput[] = [];
    const outputFileId = output.lines > 0 ? randomUUID() : null;
    const errorFileId = errors.lines > 0 ? randomUUID() : null;
    if (outputFileId !== null) {
      files.push({
        id: outputFileId,
        apiKeyId: batch.apiKeyId,
        purpose: 'batch_output',
        filename: `batch_${batchId}_output.jsonl`,
        bytes: BigInt(output.bytes),
        lineCount: output.lines,
        batchId,
      });
    }
    if (errorFileId !== null) {
      files.push({
        id: errorFileId,
        apiKeyId: batch.apiKeyId,
        purpose: 'batch_error',
        filename: `batch_${batchId}_error.jsonl`,
        bytes: BigInt(errors.bytes),
        lineCount: errors.lines,
        batchId,
      });
    }
    const lineErrors = failed
      ? await tx.batchLineError.findMany({ where: { batchId }, orderBy: { line: 'asc' }, take: ERRORS_SHOWN })
      : [];
    const updated = await tx.batch.updateMany({
      where: { id: batchId, status: { in: ['finalizing', 'cancelling'] } },
      data: {
        outputFileId,
        errorFileId,
        ...(cancelled
          ? batch.expiredAt !== null
            ? { status: 'expired' }
            : { status: 'cancelled', cancelledAt: now }
          : failed
            ? {
                status: 'failed',
                failedAt: now,
                errors: {
                  object: 'list',
                  data:
                    lineErrors.length > 0
                      ? lineErrors.map((error) => ({
                          code: error.code,
                          message: error.message,
                          param: null,
                          line: error.line,
                        }))
                      : [
                          {
                            code: 'empty_file',
                            message: 'the input file has no request lines',
                            param: null,
                            line: null,
                          },
                        ],
                },
              }
            : { status: 'completed', completedAt: now }),
      },
    });
    if (updated.count === 0) return null;
    if (files.length > 0) await tx.file.createMany({ data: files });
    const final = await tx.batch.findUniqueOrThrow({ where: { id: batchId } });
    if (final.callbackUrl === null) return null;
    const event = `batch.${final.status}`;
    const delivery = await tx.webhookDelivery.upsert({
      where: { batchId_event: { batchId, event } },
      update: {},
      create: {
        batchId,
        url: final.callbackUrl,
        event,
        payload: JSON.parse(JSON.stringify({ event, batch: renderBatch(final) })) as Prisma.InputJsonValue,
      },
    });
    return delivery.id;
  });
  if (deliveryId !== null) await deps.queues.enqueueWebhook(deliveryId);
  return cancelled ? (batch.expiredAt !== null ? 'expired' : 'cancelled') : failed ? 'failed' : 'completed';
}
