import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { type BenchRecord, benchRecordSchema, type DatasetModel, datasetModelSchema } from './record.js';

/** Base error of the datasets package: names the file, and the line when there is one. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface Dataset {
  /** The jsonl file read. */
  file: string;
  records: BenchRecord[];
  /** The pool from `models.json` beside the file, cheapest tier first; derived from records if absent. */
  models: DatasetModel[];
}

/**
 * Resolves a dataset argument: a folder (its `train.jsonl`) or a `.jsonl`/`.jsonl.gz` file.
 * `models.json` is looked up beside the file.
 */
export async function resolveDatasetFile(datasetPath: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(datasetPath);
  } catch (error) {
    throw new DatasetError(`dataset not found: ${datasetPath}`, { cause: error });
  }
  if (info.isDirectory()) {
    const file = path.join(datasetPath, 'train.jsonl');
    try {
      await stat(file);
    } catch (error) {
      throw new DatasetError(`dataset folder ${datasetPath} has no train.jsonl; give the .jsonl file itself`, {
        cause: error,
      });
    }
    return file;
  }
  return datasetPath;
}

/** Reads every record, validating each line; a bad line fails with its file and line number. */
export async function readRecords(file: string): Promise<BenchRecord[]> {
  const input = createReadStream(file);
  const stream = file.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  // Decoded strictly: bytes that are not UTF-8 are an error, not U+FFFD in a prompt.
  const decoded = Readable.from(
    (async function* () {
      const decoder = new TextDecoder('utf-8', { fatal: true });
      for await (const chunk of stream) yield decoder.decode(chunk as Buffer, { stream: true });
      yield decoder.decode();
    })(),
  );
  const lines = createInterface({ input: decoded, crlfDelay: Number.POSITIVE_INFINITY });
  const records: BenchRecord[] = [];
  const seen = new Set<string>();
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber += 1;
      // A byte-order mark some editors write is not part of the first record.
      const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new DatasetError(`${file}:${lineNumber}: not valid JSON (${(error as Error).message})`, { cause: error });
      }
      const parsed = benchRecordSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new DatasetError(
          `${file}:${lineNumber}: not a dataset record: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        );
      }
      if (seen.has(parsed.data.id)) throw new DatasetError(`${file}:${lineNumber}: duplicate id ${parsed.data.id}`);
      seen.add(parsed.data.id);
      records.push(parsed.data);
    }
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    if ((error as { code?: string }).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') {
      throw new DatasetError(`${file}: not valid UTF-8 text (after line ${lineNumber})`, { cause: error });
    }
    throw new DatasetError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return records;
}

/** Reads `models.json` (an array of pool models) and sorts it cheapest tier first. */
export async function readModels(file: string): Promise<DatasetModel[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new DatasetError(`cannot read models file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = z.array(datasetModelSchema).min(1).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DatasetError(`${file}: not a models.json: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const ids = parsed.data.map((model) => model.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated !== undefined) throw new DatasetError(`${file}: model ${repeated} is listed twice`);
  return [...parsed.data].sort((a, b) => a.tier - b.tier);
}

/** Loads a dataset folder or file with its pool. */
export async function loadDataset(datasetPath: string, options: { modelsFile?: string } = {}): Promise<Dataset> {
  const file = await resolveDatasetFile(datasetPath);
  const records = await readRecords(file);
  if (records.length === 0) throw new DatasetError(`${file} holds no records`);
  const modelsFile = options.modelsFile ?? path.join(path.dirname(file), 'models.json');
  const models = await readModels(modelsFile);
  const pool = new Set(models.map((model) => model.id));
  for (const record of records) {
    for (const id of pool) {
      if (!(id in record.responses)) {
        throw new DatasetError(`${file}: record ${record.id} has no response for pool model ${id}`);
      }
    }
  }
  return { file, records, models };
}
