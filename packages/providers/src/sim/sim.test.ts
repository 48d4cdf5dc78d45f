import { describe, expect, it } from 'vitest';
import { generateText } from '../call/generate-text.js';
import { createDefaultSimRegistry } from '../registry/builtin-registries.js';
import { createLanguageModel } from '../registry/create-language-model.js';
import { parseArithmetic } from './sim-answer.js';
import { SimState } from './sim-directives.js';
import { createSimLanguageModel, SIMULATED_MARKER } from './sim-language-model.js';

const answerOf = (text: string) => /The answer is (-?\d+)\.$/.exec(text)?.[1];

describe('sim provider', () => {
  it('answers the same prompt the same way every time, labelled as simulated', async () => {
    const model = createSimLanguageModel({ modelId: 'sim-a', skill: 0.5 });
    const first = await model.doGenerate({ prompt: 'What is 17 + 25?' });
    const second = await createSimLanguageModel({ modelId: 'sim-a', skill: 0.5 }).doGenerate({
      prompt: 'What is 17 + 25?',
    });
    expect(second).toEqual(first);
    expect(first.simulated).toBe(true);
    expect(first.text.startsWith(SIMULATED_MARKER)).toBe(true);
    expect(first.warnings.join()).toMatch(/simulated/);
  });

  it('is right on every arithmetic question at skill 1 and wrong on every one at skill 0', async () => {
    const expert = createSimLanguageModel({ modelId: 'expert', skill: 1 });
    const novice = createSimLanguageModel({ modelId: 'novice', skill: 0 });
    for (let a = 1; a <= 30; a += 1) {
      const prompt = `What is ${a} * ${a + 3}?`;
      expect(answerOf((await expert.doGenerate({ prompt })).text)).toBe(String(a * (a + 3)));
      const wrong = answerOf((await novice.doGenerate({ prompt })).text);
      expect(wrong).toBeDefined();
      expect(wrong).not.toBe(String(a * (a + 3)));
    }
  });

  it('is right about as often as its skill says', async () => {
    const model = createSimLanguageModel({ modelId: 'sim-skill', skill: 0.7 });
    let right = 0;
    for (let a = 0; a < 400; a += 1) {
      const result = await model.doGenerate({ prompt: `What is ${a} + 1000?` });
      if (answerOf(result.text) === String(a + 1000)) right += 1;
    }
    expect(right / 400).toBeGreaterThan(0.62);
    expect(right / 400).toBeLessThan(0.78);
  });

  it('parses word and symbol operators, and division only when exact', () => {
    expect(parseArithmetic('What is 12 divided by 4?')?.answer).toBe(3n);
    expect(parseArithmetic('Compute 7 × 6')?.answer).toBe(42n);
    expect(parseArithmetic('What is 10 minus 25?')?.answer).toBe(-15n);
    expect(parseArithmetic('What is 7 / 2?')).toBeNull();
    expect(parseArithmetic('Tell me a story')).toBeNull();
  });

  it('gives a deterministic canned reply to prompts it cannot check', async () => {
    const model = createSimLanguageModel({ modelId: 'sim-a', skill: 1 });
    const result = await model.doGenerate({ prompt: 'Write a haiku about queues.' });
    expect(result.text).toMatch(/^\[simulated\] sim-a has no real model behind it; canned reply [0-9a-f]{8}/);
    expect(result.providerMetadata?.sim?.correct).toBeNull();
  });

  it('fails with the status a directive names, only as many times as it says', async () => {
    const model = createSimLanguageModel({ modelId: 'sim-a', skill: 1, state: new SimState() });
    const prompt = 'What is 2 + 2? [[sim:error=429,times=1,retryAfterMs=1500]]';
    await expect(model.doGenerate({ prompt })).rejects.toMatchObject({
      kind: 'rate_limit',
      statusCode: 429,
      isRetryable: true,
      retryAfterMs: 1500,
    });
    const retried = await model.doGenerate({ prompt });
    expect(answerOf(retried.text)).toBe('4');
  });

  it('fails non-retryably on a 400 directive, and a model filter spares other models', async () => {
    const state = new SimState();
    const prompt = 'What is 3 + 4? [[sim:error=400,model=sim-a]]';
    await expect(
      createSimLanguageModel({ modelId: 'sim-a', skill: 1, state }).doGenerate({ prompt }),
    ).rejects.toMatchObject({
      kind: 'bad_request',
      isRetryable: false,
    });
    const other = await createSimLanguageModel({ modelId: 'sim-b', skill: 1, state }).doGenerate({ prompt });
    expect(answerOf(other.text)).toBe('7');
  });

  it('hangs on a timeout directive until the wrapper times out', async () => {
    const registry = createDefaultSimRegistry();
    const entry = registry.get('sim-small');
    const model = createLanguageModel({ ...entry, sim: { skill: 1, latencyMs: 0 } }, { simState: new SimState() });
    await expect(
      generateText({ model, entry, options: { prompt: 'What is 1 + 1? [[sim:error=timeout]]', timeoutMs: 30 } }),
    ).rejects.toMatchObject({ kind: 'timeout', isRetryable: true });
  });

  it('forces a wrong answer by directive and prices the call from the registry', async () => {
    const registry = createDefaultSimRegistry();
    const entry = registry.get('sim-frontier');
    const model = createLanguageModel({ ...entry, sim: { skill: 1, latencyMs: 0 } });
    const { result, costUsd } = await generateText({
      model,
      entry,
      options: { prompt: 'What is 5 + 5? [[sim:answer=wrong]]' },
    });
    expect(answerOf(result.text)).not.toBe('10');
    expect(result.providerMetadata?.sim).toEqual({ correct: false, expected: '10' });
    const { inputTokens, outputTokens } = result.usage;
    expect(costUsd).toBe(String((inputTokens! * 10 + outputTokens! * 30) / 1e6));
  });

  it('ships a default pool that gets more skilled and more expensive with each tier', () => {
    const entries = createDefaultSimRegistry().entries;
    expect(entries.map((entry) => entry.id)).toEqual(['sim-small', 'sim-medium', 'sim-large', 'sim-frontier']);
    for (let position = 1; position < entries.length; position += 1) {
      expect(entries[position]!.sim!.skill).toBeGreaterThan(entries[position - 1]!.sim!.skill);
      expect(Number(entries[position]!.pricing.outputUsdPerMTok)).toBeGreaterThan(
        Number(entries[position - 1]!.pricing.outputUsdPerMTok),
      );
    }
  });
});
