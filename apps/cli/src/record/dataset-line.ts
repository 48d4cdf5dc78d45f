import type { BenchRecord, DatasetModel } from '@switchyard/datasets';
import { type LabelledQuery, type LabelSource, UNLABELLED_CATEGORY } from '@switchyard/training';
import type { RecordInput } from './record-input.js';

/**
 * A recorded line: the `../shared/datasets` record plus where its labels came from. The loaders read
 * the dataset fields and ignore the rest (`provenance`, each response's `label`).
 */
export type RecordedLine = BenchRecord & {
  responses: Record<string, BenchRecord['responses'][string] & { label: LabelSource }>;
  provenance: {
    source: 'switchyard record';
    /** The ledger query whose attempts the responses are (GET /v1/queries/<id> shows every call). */
    queryId: string;
    /** `reference`: graded against the reference answer; `llm-judges`: the judge panel's majority verdict. */
    labels: 'reference' | 'llm-judges';
    recordedAt: string;
  };
};

/**
 * The dataset line of a recorded prompt, or why it cannot be one: a pool model gave no answer (failed,
 * or the budget stopped the recording before it), or an answer has no label (no valid judge verdict).
 */
export function datasetLineOf(
  input: RecordInput,
  labelled: LabelledQuery,
  recordedAt: Date,
): { ok: true; line: RecordedLine } | { ok: false; reason: string } {
  if (labelled.missing.length > 0) {
    return { ok: false, reason: `no answer from ${labelled.missing.join(', ')}` };
  }
  if (labelled.unlabelled.length > 0) {
    return { ok: false, reason: `no valid judge verdict on the answer of ${labelled.unlabelled.join(', ')}` };
  }
  const responses: RecordedLine['responses'] = {};
  for (const [model, response] of Object.entries(labelled.responses)) {
    responses[model] = {
      text: response.text,
      answer: response.answer,
      correct: response.correct === true,
      inputTokens: response.inputTokens,
      outputTokens: response.outputTokens,
      costUsd: response.costUsd,
      ...(response.judges === undefined ? {} : { judges: response.judges }),
      label: response.labelSource ?? 'llm-judges',
    };
  }
  return {
    ok: true,
    line: {
      id: input.id,
      benchmark: input.benchmark ?? 'recorded',
      category: input.category ?? UNLABELLED_CATEGORY,
      prompt: input.prompt,
      reference: input.reference ?? '',
      answerType: labelled.answerType,
      responses,
      provenance: {
        source: 'switchyard record',
        queryId: labelled.queryId,
        labels: input.reference === null ? 'llm-judges' : 'reference',
        recordedAt: recordedAt.toISOString(),
      },
    },
  };
}

/** The pool as a dataset's `models.json`: cheapest tier first, prices per 1M tokens. */
export function datasetModelsOf(
  pool: readonly { id: string; inputUsdPerMTok: string; outputUsdPerMTok: string; priceSource: string | null }[],
): DatasetModel[] {
  return pool.map((model, index) => ({
    id: model.id,
    tier: index + 1,
    inputUsdPerMTok: Number(model.inputUsdPerMTok),
    outputUsdPerMTok: Number(model.outputUsdPerMTok),
    ...(model.priceSource === null ? {} : { priceSource: model.priceSource }),
  }));
}
