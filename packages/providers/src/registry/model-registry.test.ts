import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createReplayIndex } from '../replay/replay-index.js';
import { ProviderError } from '../spec/provider-error.js';
import { registryFromDataset } from './builtin-registries.js';
import { createLanguageModel } from './create-language-model.js';
import { loadModelRegistry, parseModelRegistry } from './model-registry.js';

const sim = { provider: 'sim', inputUsdPerMTok: 1, outputUsdPerMTok: 2, sim: { skill: 0.5, latencyMs: 0 } };

function errorOf(action: () => unknown): ProviderError {
  try {
    action();
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected a ProviderError');
}

describe('model registry', () => {
  it('loads the example config when its API keys are set, with exact prices', async () => {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/models.example.json');
    const registry = await loadModelRegistry(file, { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test' });
    expect(registry.entries.map((entry) => entry.provider)).toEqual(['openai', 'openai', 'anthropic']);
    const local = registry.entries.find((entry) => entry.baseURL?.startsWith('http://127.0.0.1'));
    expect(local?.apiKeyEnv).toBeNull();
    expect(registry.entries[0]?.pricing).toMatchObject({
      inputUsdPerMTok: expect.any(String),
      date: expect.any(String),
    });
  });

  it('refuses a model without a price, naming the file, model and field', () => {
    const error = errorOf(() =>
      parseModelRegistry(
        { models: [{ id: 'cheap', provider: 'sim', outputUsdPerMTok: 1, sim: { skill: 1 } }] },
        {},
        { file: 'models.json' },
      ),
    );
    expect(error.kind).toBe('unpriced_model');
    expect(error.message).toMatch(
      /^models\.json: models\[0\] \(id "cheap"\): inputUsdPerMTok: model "cheap" has no price/,
    );
    expect(error.message).toMatch(/never taken as \$0/);
  });

  it('names the index, id and field of an invalid value', () => {
    const error = errorOf(() =>
      parseModelRegistry(
        {
          models: [
            { id: 'ok', ...sim },
            { id: 'bad', ...sim, tier: -1 },
          ],
        },
        {},
        { file: 'm.json' },
      ),
    );
    expect(error).toMatchObject({ kind: 'invalid_config', isRetryable: false });
    expect(error.message).toMatch(/^m\.json: models\[1\] \(id "bad"\): tier: /);
  });

  it('refuses unknown fields, unknown providers and duplicate ids', () => {
    expect(errorOf(() => parseModelRegistry({ models: [{ id: 'a', ...sim, inputPrice: 1 }] }, {})).message).toMatch(
      /models\[0\] \(id "a"\): \(entry\): Unrecognized key: "inputPrice"/,
    );
    expect(
      errorOf(() => parseModelRegistry({ models: [{ id: 'a', ...sim, provider: 'gemini' }] }, {})).message,
    ).toMatch(/models\[0\] \(id "a"\): provider: /);
    expect(
      errorOf(() =>
        parseModelRegistry(
          {
            models: [
              { id: 'a', ...sim },
              { id: 'a', ...sim },
            ],
          },
          {},
        ),
      ).message,
    ).toMatch(/model id "a" is configured twice/);
    expect(errorOf(() => parseModelRegistry({ models: [] }, {})).message).toMatch(
      /models: expected at least one model/,
    );
  });

  it('names the missing API key variable and never the key', () => {
    const config = {
      models: [
        {
          id: 'gpt',
          provider: 'openai',
          model: 'gpt-4o-mini',
          apiKeyEnv: 'MY_OPENAI_KEY',
          inputUsdPerMTok: 0.15,
          outputUsdPerMTok: 0.6,
        },
      ],
    };
    expect(errorOf(() => parseModelRegistry(config, {})).message).toMatch(
      /environment variable MY_OPENAI_KEY is not set/,
    );
    const registry = parseModelRegistry(config, { MY_OPENAI_KEY: 'sk-secret-value-123' });
    expect(JSON.stringify(registry.entries)).not.toContain('sk-secret-value-123');
    const error = errorOf(() => createLanguageModel(registry.get('gpt'), { env: {} }));
    expect(error.message).toBe('model "gpt" needs its API key in environment variable MY_OPENAI_KEY, which is not set');
  });

  it('defaults to OPENAI_API_KEY / ANTHROPIC_API_KEY for the public APIs', () => {
    const priced = { inputUsdPerMTok: 1, outputUsdPerMTok: 1 };
    expect(
      errorOf(() => parseModelRegistry({ models: [{ id: 'o', provider: 'openai', ...priced }] }, {})).message,
    ).toMatch(/OPENAI_API_KEY/);
    expect(
      errorOf(() => parseModelRegistry({ models: [{ id: 'c', provider: 'anthropic', ...priced }] }, {})).message,
    ).toMatch(/ANTHROPIC_API_KEY/);
    const offline = parseModelRegistry(
      { models: [{ id: 'o', provider: 'openai', ...priced }] },
      {},
      { requireApiKeys: false },
    );
    expect(offline.get('o').apiKeyEnv).toBeNull();
  });

  it('reports unreadable and non-JSON files by name', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'sy-models-'));
    const file = path.join(folder, 'models.json');
    await writeFile(file, '{ "models": [');
    await expect(loadModelRegistry(file, {})).rejects.toThrow(`${file}: not valid JSON`);
    await expect(loadModelRegistry(path.join(folder, 'missing.json'), {})).rejects.toThrow(
      /cannot read models config .*missing\.json/,
    );
  });

  it('reads roles (default answer), the output limit field and the tokenizer', () => {
    const registry = parseModelRegistry(
      {
        models: [
          { id: 'a', ...sim },
          { id: 'j', ...sim, roles: ['answer', 'judge'], tokenizer: 'bytes' },
          {
            id: 'o',
            provider: 'openai',
            baseURL: 'http://127.0.0.1:9/v1',
            inputUsdPerMTok: 1,
            outputUsdPerMTok: 1,
            roles: ['judge'],
            maxTokensField: 'max_completion_tokens',
          },
        ],
      },
      {},
    );
    expect(registry.get('a')).toMatchObject({ roles: ['answer'], maxTokensField: null, tokenizer: null });
    expect(registry.get('j')).toMatchObject({ roles: ['answer', 'judge'], tokenizer: 'bytes' });
    expect(registry.get('o')).toMatchObject({ roles: ['judge'], maxTokensField: 'max_completion_tokens' });
    expect(errorOf(() => parseModelRegistry({ models: [{ id: 'a', ...sim, roles: ['critic'] }] }, {})).message).toMatch(
      /models\[0\] \(id "a"\): roles\.0: /,
    );
    expect(
      errorOf(() => parseModelRegistry({ models: [{ id: 'a', ...sim, maxTokensField: 'max_tokens' }] }, {})).message,
    ).toMatch(/maxTokensField: only OpenAI-protocol models take it/);
  });

  it('says which model is unknown and which are known', () => {
    const registry = parseModelRegistry({ models: [{ id: 'a', ...sim }] }, {}, { file: 'f.json' });
    expect(errorOf(() => registry.get('b'))).toMatchObject({
      kind: 'unknown_model',
      message: expect.stringMatching(/known: a$/),
    });
  });

  it('builds replay entries from a dataset pool and needs the replay index to create them', () => {
    const dataset = {
      file: '/data/x/train.jsonl',
      models: [{ id: 'm1', tier: 1, inputUsdPerMTok: 0.075, outputUsdPerMTok: 0.3, priceSource: 'list' }],
      records: [],
    };
    const registry = registryFromDataset(dataset);
    expect(registry.get('m1')).toMatchObject({
      provider: 'replay',
      pricing: { inputUsdPerMTok: '0.075', outputUsdPerMTok: '0.3', source: 'list' },
    });
    expect(errorOf(() => createLanguageModel(registry.get('m1'))).message).toMatch(/no replay index was given/);
    expect(createLanguageModel(registry.get('m1'), { replayIndex: createReplayIndex(dataset) }).provider).toBe(
      'replay',
    );
  });
});
