import { answersEqual, extractAnswer, normalizeAnswer } from '@switchyard/core';
import type { BenchRecord } from '@switchyard/datasets';

/** Agreement of `extractAnswer` with a dataset's recorded `answer` fields, per benchmark. */
export interface ExtractionAgreementRow {
  benchmark: string;
  answerType: string;
  responses: number;
  /** Both found the same answer, or both found none. */
  agree: number;
  /** Recorded an answer, ours found none. */
  missed: number;
  /** Ours found one, the recorded field is null. */
  extra: number;
  /** Both found an answer, and they differ. */
  differ: number;
  rate: number;
  examples: { id: string; model: string; recorded: string | null; extracted: string | null }[];
}

/**
 * Compares our extraction with the recorded `answer` of every response. The recorded answer goes
 * through `normalizeAnswer` so formatting ("$18", "'abc'") does not count as disagreement.
 */
export function measureExtractionAgreement(
  records: readonly BenchRecord[],
  exampleCount = 3,
): ExtractionAgreementRow[] {
  const rows = new Map<string, ExtractionAgreementRow>();
  for (const record of records) {
    const benchmark = record.benchmark.split(':')[0] ?? record.benchmark;
    let row = rows.get(benchmark);
    if (row === undefined) {
      row = {
        benchmark,
        answerType: record.answerType,
        responses: 0,
        agree: 0,
        missed: 0,
        extra: 0,
        differ: 0,
        rate: 0,
        examples: [],
      };
      rows.set(benchmark, row);
    }
    for (const [model, response] of Object.entries(record.responses)) {
      row.responses += 1;
      const extracted = extractAnswer(response.text, record.answerType);
      const recorded = response.answer === null ? null : normalizeAnswer(response.answer, record.answerType);
      if (recorded === null && extracted === null) row.agree += 1;
      else if (recorded === null) row.extra += 1;
      else if (extracted === null) row.missed += 1;
      else if (answersEqual(recorded, extracted, record.answerType)) row.agree += 1;
      else row.differ += 1;
      const agreed = (recorded === null && extracted === null) || answersEqual(recorded, extracted, record.answerType);
      if (!agreed && row.examples.length < exampleCount) {
        row.examples.push({ id: record.id, model, recorded: response.answer, extracted });
      }
    }
  }
  return [...rows.values()].map((row) => ({ ...row, rate: row.responses === 0 ? 0 : row.agree / row.responses }));
}
