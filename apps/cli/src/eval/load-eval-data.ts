import { access } from 'node:fs/promises';
import path from 'node:path';
import { type BenchRecord, type DatasetModel, readModels, readRecords } from '@switchyard/datasets';

/** A bad eval input: the message says what is wrong and how to fix it. */
export class EvalInputError extends Error {
  override readonly name = 'EvalInputError';
}

export interface EvalData {
  /** The pool, cheapest tier first. */
  models: DatasetModel[];
  modelsFile: string;
  train: BenchRecord[];
  /** Absent in cross-validation. */
  test?: BenchRecord[];
  warnings: string[];
}

async function mustExist(file: string, what: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw new EvalInputError(`${what} not found: ${file}`);
  }
}

/**
 * Reads the train (and test) files and the pool, and checks they fit together: every record answers
 * every pool model, train and test share no id. Pool models in records but not in models.json are
 * ignored with a warning.
 */
export async function loadEvalData(options: { train: string; test?: string; models?: string }): Promise<EvalData> {
  await mustExist(options.train, '--train file');
  if (options.test !== undefined) await mustExist(options.test, '--test file');
  const modelsFile = options.models ?? path.join(path.dirname(options.train), 'models.json');
  await mustExist(modelsFile, options.models ? '--models file' : 'models.json beside the train file (give --models)');
  const models = await readModels(modelsFile);
  const warnings: string[] = [];
  const train = await readRecords(options.train);
  if (train.length === 0) throw new EvalInputError(`${options.train} holds no records`);
  checkPool(train, models, options.train, modelsFile, warnings);
  let test: BenchRecord[] | undefined;
  if (options.test !== undefined) {
    test = await readRecords(options.test);
    if (test.length === 0) throw new EvalInputError(`${options.test} holds no records`);
    checkPool(test, models, options.test, modelsFile, warnings);
    const trainIds = new Set(train.map((record) => record.id));
    const overlap = test.filter((record) => trainIds.has(record.id)).map((record) => record.id);
    if (overlap.length > 0) {
      throw new EvalInputError(
        `train and test share ${overlap.length} id(s) (e.g. ${overlap.slice(0, 3).join(', ')}); a test record must not be trained on — split the data or use --cv`,
      );
    }
    const trainPrompts = new Set(train.map((record) => record.prompt));
    const samePrompt = test.filter((record) => trainPrompts.has(record.prompt)).length;
    if (samePrompt > 0) warnings.push(`${samePrompt} test record(s) have a prompt that also appears in train`);
  }
  return { models, modelsFile, train, ...(test ? { test } : {}), warnings };
}

function checkPool(
  records: BenchRecord[],
  models: DatasetModel[],
  file: string,
  modelsFile: string,
  warnings: string[],
) {
  const pool = models.map((model) => model.id);
  const extra = new Set<string>();
  for (const record of records) {
    const missing = pool.filter((model) => !(model in record.responses));
    if (missing.length > 0) {
      throw new EvalInputError(
        `${file}: record ${record.id} has no response for ${missing.join(', ')} from ${modelsFile}; is --models the pool of this dataset?`,
      );
    }
    for (const model of Object.keys(record.responses)) if (!pool.includes(model)) extra.add(model);
  }
  if (extra.size > 0) warnings.push(`${file}: models not in ${modelsFile} are ignored: ${[...extra].join(', ')}`);
}
