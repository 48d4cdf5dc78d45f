/**
 * Prints how long loading a dataset and building its replay index take, and how fast lookups are.
 * Usage: pnpm exec tsx --conditions=@switchyard/source packages/providers/scripts/measure-replay-load.ts [dataset folder]
 */
import path from 'node:path';
import { loadDataset, sharedDatasetsDirectory } from '@switchyard/datasets';
import { createReplayIndex, createReplayLanguageModel } from '../src/index.js';

const folder = process.argv[2] ?? path.join(sharedDatasetsDirectory(), 'mix');
const started = performance.now();
const dataset = await loadDataset(folder);
const loaded = performance.now();
const index = createReplayIndex(dataset);
const indexed = performance.now();
let calls = 0;
for (const model of dataset.models) {
  const replay = createReplayLanguageModel({ index, modelId: model.id });
  for (const record of dataset.records) {
    await replay.doGenerate({ prompt: record.prompt, providerOptions: { replay: { recordId: record.id } } });
    calls += 1;
  }
}
const served = performance.now();
console.log(`${dataset.file}: ${dataset.records.length} records, ${dataset.models.length} models`);
console.log(`load + validate: ${(loaded - started).toFixed(0)} ms`);
console.log(`index:           ${(indexed - loaded).toFixed(0)} ms`);
console.log(
  `${calls} replayed calls: ${(served - indexed).toFixed(0)} ms (${(((served - indexed) / calls) * 1000).toFixed(1)} µs each)`,
);
console.log(`heap used: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
