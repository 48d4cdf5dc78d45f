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

  it('reads a file with a byte-order mark, and refuses bytes that are not UTF-8 and a model listed twice', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-ds-'));
    const model = { id: 'm', tier: 1, inputUsdPerMTok: 1, outputUsdPerMTok: 1 };
    await writeFile(path.join(folder, 'models.json'), JSON.stringify([model]));
    const record = (id: string, prompt: string) =>
      JSON.stringify({
        id,
        benchmark: 'b',
        category: 'c',
        prompt,
        reference: '1',
        answerType: 'number',
        responses: {
          m: { text: '1', answer: '1', correct: true, inputTokens: 1, outputTokens: 1, costUsd: 0.001 },
        },
      });
    await writeFile(path.join(folder, 'train.jsonl'), `\uFEFF${record('a', 'x')}\n${record('b', 'y')}\n`);
    expect((await loadDataset(folder)).records.map((item) => item.id)).toEqual(['a', 'b']);
    await writeFile(
      path.join(folder, 'train.jsonl'),
      Buffer.concat([Buffer.from(`${record('a', 'x')}\n${record('b', 'caf').slice(0, -80)}`), Buffer.from([0xe9])]),
    );
    await expect(loadDataset(folder)).rejects.toThrow(/train\.jsonl: not valid UTF-8 text/);
    await writeFile(path.join(folder, 'train.jsonl'), `${record('a', 'x')}\n`);
    await writeFile(path.join(folder, 'models.json'), JSON.stringify([model, model]));
    await expect(loadDataset(folder)).rejects.toThrow(/models\.json: model m is listed twice/);
  });

  it('says when the path does not exist', async () => {
    await expect(loadDataset('/nonexistent/dataset')).rejects.toThrow('dataset not found: /nonexistent/dataset');
  });
});
