import path from 'node:path';
import { type Dataset, loadDataset, sharedDatasetsDirectory } from '@switchyard/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateText } from '../call/generate-text.js';
import { computeCostUsd } from '../pricing/cost.js';
import { formatDecimal, parseDecimal } from '../pricing/decimal.js';
import { registryFromDataset } from '../registry/builtin-registries.js';
import { createLanguageModel } from '../registry/create-language-model.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { ProviderError } from '../spec/provider-error.js';
import { createReplayIndex, type ReplayIndex } from './replay-index.js';
import { createReplayLanguageModel } from './replay-language-model.js';

let mix: Dataset;
let index: ReplayIndex;
let registry: ModelRegistry;

beforeAll(async () => {
  mix = await loadDataset(path.join(sharedDatasetsDirectory(), 'mix'));
  index = createReplayIndex(mix);
  registry = registryFromDataset(mix);
}, 30_000);

async function replay(modelId: string, prompt: string, recordId?: string) {
  const entry = registry.get(modelId);
  const model = createLanguageModel(entry, { replayIndex: index });
  return generateText({ model, entry, options: { prompt, providerOptions: { replay: { recordId } } } });
}

describe('replay of the mix dataset', () => {
  it('serves every 50th record for every model with its recorded text, tokens, cost and label', async () => {
    let checked = 0;
    for (let position = 0; position < mix.records.length; position += 50) {
      const record = mix.records[position]!;
      for (const model of mix.models) {
        const recorded = record.responses[model.id]!;
        const { result, costUsd } = await replay(model.id, record.prompt, record.id);
        expect(result.text).toBe(recorded.text);
        expect(result.usage.inputTokens).toBe(recorded.inputTokens);
        expect(result.usage.outputTokens).toBe(recorded.outputTokens);
        expect(costUsd).toBe(formatDecimal(parseDecimal(recorded.costUsd)));
        expect(Number(costUsd)).toBe(recorded.costUsd);
        expect(result.providerMetadata?.replay).toMatchObject({
          recordId: record.id,
          answer: recorded.answer,
          correct: recorded.correct,
        });
        checked += 1;
      }
    }
    expect(checked).toBe(Math.ceil(2937 / 50) * 5);
  });

  it('serves all 2937 records × 5 models exactly, and the recorded cost equals tokens × list price', async () => {
    const models = new Map(
      mix.models.map((model) => [model.id, createReplayLanguageModel({ index, modelId: model.id })]),
    );
    let mismatches = 0;
    let served = 0;
    for (const record of mix.records) {
      for (const [modelId, model] of models) {
        const result = await model.doGenerate({
          prompt: record.prompt,
          providerOptions: { replay: { recordId: record.id } },
        });
        const recorded = record.responses[modelId]!;
        const priced = computeCostUsd(
          registry.get(modelId).pricing,
          recorded.inputTokens ?? Number.NaN,
          recorded.outputTokens ?? Number.NaN,
        );
        if (result.text !== recorded.text || result.usage.costUsd !== priced || Number(priced) !== recorded.costUsd) {
          mismatches += 1;
        }
        served += 1;
      }
    }
    expect(served).toBe(2937 * 5);
    expect(mismatches).toBe(0);
  });

  it('flags a prompt recorded twice and serves the record named in providerOptions', async () => {
    expect(index.duplicatePrompts()).toContainEqual(['mmlu-pro/06264', 'mmlu-pro/06265']);
    const second = mix.records.find((record) => record.id === 'mmlu-pro/06265')!;
    const ambiguous = await replay('gpt-4o', second.prompt);
    expect(ambiguous.result.warnings[0]).toMatch(/recorded 2 times .*served mmlu-pro\/06264/);
    const chosen = await replay('gpt-4o', second.prompt, 'mmlu-pro/06265');
    expect(chosen.result.text).toBe(second.responses['gpt-4o']!.text);
    expect(chosen.result.providerMetadata?.replay?.correct).toBe(true);
    expect(chosen.result.warnings).toEqual([]);
  });

  it('refuses an unknown prompt with a non-retryable replay_miss that names a hash, not the prompt', async () => {
    const prompt = `What is the capital of Atlantis? ${'padding '.repeat(500)}`;
    const error = await replay('gpt-4o', prompt).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'replay_miss', isRetryable: false, provider: 'replay', modelId: 'gpt-4o' });
    const { message } = error as ProviderError;
    expect(message).toMatch(/no recorded response for this prompt; prompt sha256:[0-9a-f]{12} \(4033 chars/);
    expect(message.length).toBeLessThan(300);
  });

  it('refuses a model the dataset did not record, listing the recorded ones', async () => {
    const model = createReplayLanguageModel({ index, modelId: 'gpt-5' });
    const error = await generateText({
      model,
      entry: registry.get('gpt-4o'),
      options: { prompt: mix.records[0]!.prompt },
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: 'replay_miss', isRetryable: false });
    expect((error as Error).message).toMatch(/no recordings for this model; recorded models: gemini-1.5-flash, /);
  });

  it('misses when a system prompt is added to a recorded user turn', async () => {
    const record = mix.records[0]!;
    const model = createReplayLanguageModel({ index, modelId: 'gpt-4o' });
    await expect(model.doGenerate({ prompt: record.prompt, system: 'Be brief.' })).rejects.toMatchObject({
      kind: 'replay_miss',
    });
  });

  it('waits the configured latency and still lets the wrapper time out', async () => {
    const record = mix.records[0]!;
    const model = createReplayLanguageModel({ index, modelId: 'gpt-4o', latencyMs: 200 });
    const entry = registry.get('gpt-4o');
    const slow = await generateText({ model, entry, options: { prompt: record.prompt } });
    expect(slow.latencyMs).toBeGreaterThanOrEqual(190);
    await expect(
      generateText({ model, entry, options: { prompt: record.prompt, timeoutMs: 20 } }),
    ).rejects.toMatchObject({
      kind: 'timeout',
      isRetryable: true,
    });
  });
});

describe('replay of routerbench (no token counts)', () => {
  it('charges the recorded cost and reports null tokens', async () => {
    const routerbench = await loadDataset(path.join(sharedDatasetsDirectory(), 'routerbench'));
    const routerbenchIndex = createReplayIndex(routerbench);
    const routerbenchRegistry = registryFromDataset(routerbench);
    for (const record of routerbench.records.filter((_, position) => position % 100 === 0)) {
      for (const entry of routerbenchRegistry.entries) {
        const model = createLanguageModel(entry, { replayIndex: routerbenchIndex });
        const { result, costUsd } = await generateText({ model, entry, options: { prompt: record.prompt } });
        const recorded = record.responses[entry.id]!;
        expect(result.usage.inputTokens).toBeNull();
        expect(result.usage.outputTokens).toBeNull();
        expect(costUsd).toBe(String(recorded.costUsd));
        expect(result.warnings).toEqual([]);
      }
    }
  }, 30_000);
});
