import type { BenchRecord, Dataset, RecordedResponse } from '@switchyard/datasets';
import { sha256Hex } from '../support/describe-text.js';

/**
 * The lookup key of a prompt: sha256 of the user turn, or of system + NUL + user turn when there is
 * a system prompt. Dataset prompts are user turns without a system prompt.
 */
export function replayKey(prompt: string, system?: string): string {
  return sha256Hex(system === undefined ? prompt : `${system}\u0000${prompt}`);
}

/** One model's recorded response, with the record it belongs to. */
export interface ReplayRecording {
  recordId: string;
  benchmark: string;
  /** The jsonl file the record came from. */
  datasetFile: string;
  response: RecordedResponse;
}

/** Outcome of a lookup; misses say why, so the error can too. */
export type ReplayLookup =
  | { found: true; recording: ReplayRecording; candidates: string[] }
  | { found: false; reason: 'unknown-model' | 'unknown-prompt' | 'unknown-record' | 'record-prompt-mismatch' };

interface IndexedRecord {
  record: BenchRecord;
  file: string;
}

/**
 * Recorded responses of one or more datasets, by prompt hash and model id. Build it once per
 * process and share it between all replay models.
 */
export class ReplayIndex {
  private readonly byKey = new Map<string, IndexedRecord[]>();
  private readonly byRecordId = new Map<string, { key: string; indexed: IndexedRecord }>();
  private readonly modelIds = new Set<string>();
  /** The jsonl files indexed. */
  readonly files: string[] = [];

  constructor(datasets: readonly Pick<Dataset, 'file' | 'records'>[]) {
    for (const dataset of datasets) {
      this.files.push(dataset.file);
      for (const record of dataset.records) {
        const key = replayKey(record.prompt);
        const indexed = { record, file: dataset.file };
        const list = this.byKey.get(key);
        if (list) list.push(indexed);
        else this.byKey.set(key, [indexed]);
        // Record ids are unique within a dataset; across datasets the first one loaded wins.
        if (!this.byRecordId.has(record.id)) this.byRecordId.set(record.id, { key, indexed });
        for (const modelId of Object.keys(record.responses)) this.modelIds.add(modelId);
      }
    }
  }

  /** Model ids with at least one recording. */
  get models(): string[] {
    return [...this.modelIds];
  }

  get recordCount(): number {
    return this.byRecordId.size;
  }

  /** Prompts recorded more than once (with possibly different responses), by record ids. */
  duplicatePrompts(): string[][] {
    return [...this.byKey.values()].filter((list) => list.length > 1).map((list) => list.map((x) => x.record.id));
  }

  /**
   * Finds `modelId`'s recording for the prompt with this key. When several records share the
   * prompt, `recordId` picks one; without it the first loaded is served and all are listed in
   * `candidates`.
   */
  lookup(key: string, modelId: string, recordId?: string): ReplayLookup {
    if (!this.modelIds.has(modelId)) return { found: false, reason: 'unknown-model' };
    let indexed: IndexedRecord | undefined;
    let candidates: IndexedRecord[];
    if (recordId !== undefined) {
      const byId = this.byRecordId.get(recordId);
      if (!byId) return { found: false, reason: 'unknown-record' };
      if (byId.key !== key) return { found: false, reason: 'record-prompt-mismatch' };
      indexed = byId.indexed;
      candidates = [indexed];
    } else {
      candidates = this.byKey.get(key) ?? [];
      indexed = candidates.find((candidate) => modelId in candidate.record.responses);
    }
    const response = indexed?.record.responses[modelId];
    if (!indexed || !response) return { found: false, reason: 'unknown-prompt' };
    return {
      found: true,
      recording: {
        recordId: indexed.record.id,
        benchmark: indexed.record.benchmark,
        datasetFile: indexed.file,
        response,
      },
      candidates: candidates.map((candidate) => candidate.record.id),
    };
  }
}

/** Indexes one or more loaded datasets (see `loadDataset` in `@switchyard/datasets`). */
export function createReplayIndex(
  datasets: Pick<Dataset, 'file' | 'records'> | readonly Pick<Dataset, 'file' | 'records'>[],
): ReplayIndex {
  return new ReplayIndex(Array.isArray(datasets) ? datasets : [datasets as Pick<Dataset, 'file' | 'records'>]);
}
