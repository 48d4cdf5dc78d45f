import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadDataset } from './load-dataset.js';
import { sharedDatasetsDirectory } from './paths.js';

describe('loadDataset', () => {
  it('loads the shared mix dataset with its pool cheapest first', async () => {
    const dataset = await loadDataset(path.join(sharedDatasetsDirectory(), 'mix'));
    expect(dataset.records).toHaveLength(2937);
    expect(dataset.models.map((model) => model.id)).toEqual([
      'gemini-1.5-flash',
      'llama-3.1-8b-instruct',
      'llama-3.1-70b-instruct',
      'gemini-1.5-pro',
      'gpt-4o',
    ]);
  });

  it('names the file and line of a malformed record', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-ds-'));
    await writeFile(
      path.join(folder, 'models.json'),
      JSON.stringify([{ id: 'm', tier: 1, inputUsdPerMTok: 1, outputUsdPerMTok: 1 }]),
    );
    await writeFile(path.join(folder, 'train.jsonl'), '{"id":"a"}\n');
    await expect(loadDataset(folder)).rejects.toThrow(DatasetError);
    await expect(loadDataset(folder)).rejects.toThrow(/train\.jsonl:1: not a dataset record/);
  });

  it('says when the path does not exist', async () => {
    await expect(loadDataset('/nonexistent/dataset')).rejects.toThrow('dataset not found: /nonexistent/dataset');
  });
});
