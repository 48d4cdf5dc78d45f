import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from './stack.js';

/** The fields of a recorded response the end-to-end tests read. */
export interface Recorded {
  text: string;
  answer: string | null;
  correct: boolean;
  costUsd: number;
}
export interface RecordLine {
  id: string;
  prompt: string;
  answerType: string;
  responses: Record<string, Recorded>;
}

/** The mix dataset the replay provider serves in the end-to-end tests. */
export const mixDirectory = path.resolve(
  process.env.SWITCHYARD_DATASETS_DIR ?? path.join(repositoryRoot, '..', 'shared', 'datasets'),
  'mix',
);

/** Mix's train records, in file order. */
export function readMixRecords(): RecordLine[] {
  return readFileSync(path.join(mixDirectory, 'train.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordLine);
}
